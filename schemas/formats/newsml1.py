"""IPTC NewsML 1.2: ``<NewsML>`` with one article per ``NewsItem``, its text from the first text
``ContentItem`` of its ``NewsComponent`` tree (``DataContent`` holding NITF, XHTML or plain text), the
headline from that component's ``NewsLines`` (else the enclosing components'). A NewsItem whose
components carry only photos, graphics, audio or video is refused as ``not_text``.

``source_meta``: guid (``PublicIdentifier``, else ``Duid``) and version (``RevisionId``), headlines
(``HeadLine``, ``SubHeadLine``), language, firstcreated / versioncreated (``FirstCreated``,
``ThisRevisionCreated``), byline, dateline, located (the ``Location`` City/Country properties),
subjects (``SubjectCode`` FormalNames as ``subj:`` codes), urgency, copyright, provider, slugline.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from schemas.article import Article, check_body, clean, clean_headline, stable_id
from schemas.errors import InvalidArticle
from schemas.formats.html import html_to_text
from schemas.formats.nitf import nitf_article_parts
from schemas.formats.xml import article, find, find_all, iso, local, paragraphs, root_name, text_of, xml_root

NAME = "newsml-1.2"
_TEXT_MEDIA = ("", "text", "complexdata")


def detect(text: str) -> bool:
    return root_name(text) == "NewsML"


def parse(text: str, stamp: str) -> list[Article | InvalidArticle] | None:
    root = xml_root(text)
    if root is None:
        return None
    if local(root.tag) != "NewsML":
        raise InvalidArticle("unsupported_format", f"XML root <{local(root.tag)}> is not NewsML 1.2")
    items = find_all(root, "NewsItem")
    if not items:
        raise InvalidArticle("empty_message", "NewsML document has no NewsItem")
    envelope_priority = _formal(find(root, ["NewsEnvelope", "Priority"]))
    out: list[Article | InvalidArticle] = []
    for item in items:
        try:
            out.append(from_item(item, stamp, envelope_priority))
        except InvalidArticle as exc:
            out.append(exc)
    return out


def _formal(node: Element | None) -> str | None:
    return (node.get("FormalName") or "").strip() or None if node is not None else None


def _text_content(component: Element, lines: list[Element]) -> tuple[Element, list[Element]] | None:
    """The first text ContentItem in a NewsComponent tree, depth first, and the NewsLines above it."""
    here = lines + find_all(component, "NewsLines")
    for child in component:
        name = local(child.tag)
        if name == "ContentItem" and find(child, ["DataContent"]) is not None \
                and (_formal(find(child, ["MediaType"])) or "").lower() in _TEXT_MEDIA:
            return child, here
        if name == "NewsComponent" and (found := _text_content(child, here)):
            return found
    return None


def _media(component: Element) -> set[str]:
    return {(_formal(find(c, ["MediaType"])) or "?").lower()
            for c in component.iter() if local(c.tag) == "ContentItem"}


def from_item(item: Element, stamp: str, priority: str | None) -> Article:
    ident = find(item, ["Identification", "NewsIdentifier"])
    guid = text_of(find(ident, ["PublicIdentifier"])) or item.get("Duid") \
        or text_of(find(ident, ["NewsItemId"]))
    component = find(item, ["NewsComponent"])
    if component is None:
        raise InvalidArticle("missing_body", f"NewsML NewsItem {guid} has no NewsComponent")
    found = _text_content(component, [])
    if found is None:
        media = _media(component) - {"text"}
        if media:
            kinds = ", ".join(sorted(media))
            raise InvalidArticle("not_text", f"NewsML NewsItem {guid} holds only {kinds} content")
        raise InvalidArticle("missing_body", f"NewsML NewsItem {guid} has no ContentItem with DataContent")
    content_item, lines = found
    data = find(content_item, ["DataContent"])
    headline, body = _data_text(content_item, data)
    meta = _metadata(item, component, lines, guid, priority)
    heads = meta.get("headlines", [])
    headline = clean_headline(heads[0]["value"] if heads else headline)
    body = check_body(body, f"NewsML NewsItem {guid} has an empty DataContent")
    art_id = clean(guid or "").strip() or stable_id(headline, body)
    return article(art_id, headline, body, meta.get("language"), guid if guid and ":" in guid else None,
                   stamp, NAME, None, {**meta, "guid": art_id})


def _data_text(content_item: Element, data: Element) -> tuple[str | None, str | None]:
    mime = (_formal(find(content_item, ["MimeType"])) or "").lower()
    for child in data:
        name = local(child.tag)
        if name == "nitf":
            headline, text, _ = nitf_article_parts(child)
            return headline, text
        if name in ("html", "body"):
            body = find(child, ["body"]) if name == "html" else child
            return None, paragraphs(body) if body is not None else None
    if len(data) and not (data.text or "").strip():
        return None, paragraphs(data)  # loose XHTML <p> elements
    raw = "".join(data.itertext())
    return None, html_to_text(raw) if "html" in mime else raw


def _metadata(item: Element, component: Element, lines: list[Element], guid: str | None,
              priority: str | None) -> dict:
    meta: dict = {"format": NAME}
    ident = find(item, ["Identification", "NewsIdentifier"])
    if version := text_of(find(ident, ["RevisionId"])):
        meta["version"] = version
    management = find(item, ["NewsManagement"])
    for key, name in (("firstcreated", "FirstCreated"), ("versioncreated", "ThisRevisionCreated")):
        if when := iso(text_of(find(management, [name]))):
            meta[key] = when
    urgency = _formal(find(management, ["Urgency"])) or priority
    if urgency and urgency.isdigit() and 1 <= int(urgency) <= 9:
        meta["urgency"] = int(urgency)

    def line(name: str) -> str | None:
        return next((v for nl in reversed(lines) if (v := text_of(find(nl, [name])))), None)

    headlines = [{"value": v} for v in [line("HeadLine")] if v]
    headlines += [{"role": "subheadline", "value": v} for v in [line("SubHeadLine")] if v]
    if headlines:
        meta["headlines"] = headlines
    for key, name in (("byline", "ByLine"), ("dateline", "DateLine"), ("copyright", "CopyrightLine"),
                      ("slugline", "SlugLine")):
        if value := line(name):
            meta[key] = value
    descriptive = [d for c in component.iter() if local(c.tag) == "NewsComponent"
                   for d in find_all(c, "DescriptiveMetadata")]
    if language := next((lang for d in descriptive if (lang := _formal(find(d, ["Language"])))), None):
        meta["language"] = language
    codes = [f"subj:{code}" for d in descriptive for sc in find_all(d, "SubjectCode") for s in sc
             if (code := _formal(s))]
    subjects = [{"code": code} for code in dict.fromkeys(codes)]
    if subjects:
        meta["subjects"] = subjects
    for d in descriptive:
        for loc in find_all(d, "Location"):
            props = {p.get("FormalName"): p.get("Value") for p in find_all(loc, "Property") if p.get("Value")}
            if place := ", ".join(v for k in ("City", "Country") if (v := props.get(k))):
                meta["located"] = place
                break
        if "located" in meta:
            break
    admin = find(component, ["AdministrativeMetadata"])
    if provider := _formal(find(admin, ["Provider", "Party"])):
        meta["provider"] = provider
    return meta
