"""IPTC NewsML-G2: a ``newsMessage`` (one article per text ``newsItem`` of its ``itemSet``), a bare
``newsItem``, and ``packageItem`` (refused: it only references other items, it has no text of its own).

Text comes from ``contentSet``: ``inlineXML`` holding NITF (``body.content``) or XHTML (``body``), else
``inlineData`` as plain text (or HTML, by its ``contenttype``). Picture, video, audio and graphic items
(``itemMeta/itemClass`` ``ninat:picture`` ...) are refused as ``not_text``. The metadata kept as
``source_meta``: guid and version, headlines (with their roles), language, firstcreated/versioncreated,
byline, dateline, located, subjects (qcode or URI, and their name where given), urgency, copyright,
provider, slugline and description.

Read with defusedxml and ElementTree like every XML format, not with the IPTC ``newsmlg2`` package:
see README "Input formats" for why.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from schemas.article import Article, check_body, clean, clean_headline
from schemas.errors import InvalidArticle
from schemas.formats.html import html_to_text
from schemas.formats.nitf import nitf_article_parts
from schemas.formats.xml import (
    XML_LANG,
    article,
    find,
    find_all,
    iso,
    local,
    paragraphs,
    root_name,
    text_of,
    xml_root,
)

NAME = "newsml-g2"
NAR = "http://iptc.org/std/nar/2006-10-01/"
ITEMS = ("newsItem", "packageItem", "conceptItem", "knowledgeItem", "planningItem", "catalogItem")
ROOTS = ("newsMessage", *ITEMS)
NOT_TEXT = frozenset({"picture", "video", "audio", "graphic", "animated", "interactive"})
_TEXT_TYPES = ("text/plain", "")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def detect(text: str) -> bool:
    return root_name(text) in ROOTS


def parse(text: str, stamp: str) -> list[Article | InvalidArticle] | None:
    root = xml_root(text)
    if root is None:
        return None
    name = local(root.tag)
    if name == "newsMessage":
        items = [i for s in find_all(root, "itemSet") for i in s if local(i.tag) in ITEMS]
        if not items:
            raise InvalidArticle("empty_message", "NewsML-G2 newsMessage has no items in its itemSet")
        return [_safely(i, stamp) for i in items]
    if name not in ITEMS:
        raise InvalidArticle("unsupported_format", f"XML root <{name}> is not a NewsML-G2 item or message")
    return [_safely(root, stamp)]


def _safely(item: Element, stamp: str) -> Article | InvalidArticle:
    try:
        return from_item(item, stamp)
    except InvalidArticle as exc:
        return exc


def _nature(item: Element) -> str:
    """The item class's nature: "text", "picture", ... from ``ninat:text`` or its URI form."""
    cls = find(item, ["itemMeta", "itemClass"])
    code = (cls.get("qcode") or cls.get("uri") or "") if cls is not None else ""
    return code.rsplit(":", 1)[-1].rsplit("/", 1)[-1].lower()


def from_item(item: Element, stamp: str) -> Article:
    kind, guid = local(item.tag), (item.get("guid") or "").strip()
    if kind == "packageItem":
        raise InvalidArticle("package_item", f"NewsML-G2 packageItem {guid or '(no guid)'} carries no text of"
                             " its own, only references to other items: send the newsItems themselves")
    if kind != "newsItem":
        raise InvalidArticle("unsupported_format", f"NewsML-G2 {kind} {guid} is not a news item")
    nature = _nature(item)
    if nature in NOT_TEXT:
        raise InvalidArticle("not_text",
                             f"NewsML-G2 newsItem {guid} is a {nature} item (itemClass ninat:{nature})")
    if not guid:
        raise InvalidArticle("missing_field", "NewsML-G2 newsItem has no guid")
    meta = _metadata(item, guid)
    headline, body = _content(item, guid)
    headlines = meta.get("headlines", [])
    main = [h for h in headlines if h.get("role", ":main").endswith(":main")] or headlines
    headline = clean_headline(main[0]["value"] if main else headline)
    if body and headline and body.startswith(headline + "\n\n"):  # an XHTML <h1> repeating the headline
        body = body[len(headline) + 2 :]
    body = check_body(body, f"NewsML-G2 newsItem {guid} has no inlineXML or inlineData in its contentSet")
    return article(clean(guid), headline, body, meta.get("language"), guid, stamp, NAME, None, meta)


def _content(item: Element, guid: str) -> tuple[str | None, str | None]:
    """(headline from the content, if any; body text) of the first usable ``contentSet`` alternative."""
    content_set = find(item, ["contentSet"])
    if content_set is None:
        return None, None
    alternatives = list(content_set)
    for alt in alternatives:  # structured text first
        if local(alt.tag) != "inlineXML":
            continue
        for child in alt:
            if local(child.tag) == "nitf":
                headline, text, _ = nitf_article_parts(child)
                if text is not None:
                    return headline, text
            elif local(child.tag) in ("html", "body", "div", "section", "article"):
                body = find(child, ["body"]) if local(child.tag) == "html" else child
                if body is not None:
                    return text_of(find(child, ["head", "title"])), paragraphs(body)
    for alt in alternatives:
        if local(alt.tag) != "inlineData":
            continue
        ctype = (alt.get("contenttype") or "").split(";")[0].strip().lower()
        if ctype in _TEXT_TYPES:
            return None, "".join(alt.itertext())
        if ctype in _HTML_TYPES:
            return None, html_to_text("".join(alt.itertext()))
    types = sorted({a.get("contenttype") or local(a.tag) for a in alternatives})
    if alternatives:
        raise InvalidArticle("unsupported_format", f"NewsML-G2 newsItem {guid} has no text content"
                             f" among {', '.join(types)} (remote content is never fetched)")
    return None, None


def _metadata(item: Element, guid: str) -> dict:
    meta: dict = {"format": NAME, "guid": guid}
    if version := (item.get("version") or "").strip():
        meta["version"] = version
    item_meta, content_meta = find(item, ["itemMeta"]), find(item, ["contentMeta"])
    language = item.get(XML_LANG) or next((lang.get("tag") for lang in find_all(content_meta, "language")
                                           if lang.get("tag")), None)
    if language:
        meta["language"] = language
    for key, name in (("firstcreated", "firstCreated"), ("versioncreated", "versionCreated")):
        if when := iso(text_of(find(item_meta, [name]))):
            meta[key] = when
    if (provider := find(item_meta, ["provider"])) is not None:
        if name := text_of(find(provider, ["name"])) or provider.get("qcode") or provider.get("uri"):
            meta["provider"] = name
    headlines = [{**({"role": h.get("role")} if h.get("role") else {}), "value": v}
                 for h in find_all(content_meta, "headline") if (v := text_of(h))]
    if headlines:
        meta["headlines"] = headlines
    byline = text_of(find(content_meta, ["by"])) or "; ".join(
        n for c in find_all(content_meta, "creator") if (n := text_of(find(c, ["name"]))))
    for key, value in (("byline", byline), ("dateline", text_of(find(content_meta, ["dateline"]))),
                       ("slugline", text_of(find(content_meta, ["slugline"]))),
                       ("description", text_of(find(content_meta, ["description"])))):
        if value:
            meta[key] = value
    if (located := find(content_meta, ["located"])) is not None:
        if place := text_of(find(located, ["name"])) or located.get("literal") or located.get("qcode"):
            meta["located"] = place
    if (urgency := text_of(find(content_meta, ["urgency"]))) and urgency.isdigit() and 1 <= int(urgency) <= 9:
        meta["urgency"] = int(urgency)
    subjects = []
    for s in find_all(content_meta, "subject"):
        code = s.get("qcode") or s.get("uri") or s.get("literal")
        if not code:
            continue
        names = find_all(s, "name")
        named = next((n for n in names if n.get(XML_LANG, language) == language), names[0] if names else None)
        subjects.append({"code": code, **({"name": n} if (n := text_of(named)) else {})})
    if subjects:
        meta["subjects"] = subjects
    rights = find(item, ["rightsInfo"])
    holder = text_of(find(rights, ["copyrightHolder", "name"]))
    if copyright_ := text_of(find(rights, ["copyrightNotice"])) or holder:
        meta["copyright"] = copyright_
    return meta
