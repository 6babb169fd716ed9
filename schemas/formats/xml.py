"""XML wire formats: IPTC NITF (one article) and RSS 2.0 / RSS 1.0 / Atom feeds (one article per entry).

Every XML payload is first parsed by defusedxml, which refuses entity declarations (billion laughs,
external entities) and never fetches anything; only then is a feed handed to feedparser, from memory.
Besides the article, each parser keeps a little ninjs-2-shaped metadata (``uri``, ``versioncreated``,
``by``, ``urgency``, ``subjects``) for the ninjs projection.
"""

from __future__ import annotations

import calendar
import io
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from schemas.article import MAX_ID_CHARS, Article, check_body, clean, clean_headline, stable_id
from schemas.clock import format_timestamp
from schemas.errors import InvalidArticle
from schemas.formats.html import html_to_text

_ATOM = "{http://www.w3.org/2005/Atom}feed"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def looks_like_xml(text: str) -> bool:
    head = text.lstrip()[:100]
    return head.startswith(("<?xml", "<!DOCTYPE")) or head[:1] == "<" and head[1:2].isalpha()


def _declared(text: str) -> bool:
    return text.lstrip().startswith(("<?xml", "<!DOCTYPE"))


def xml_root(text: str) -> Element | None:
    """The parsed root; None for text that merely starts with a tag (a plain-text article)."""
    try:
        return fromstring(text.encode("utf-8"))
    except DefusedXmlException as e:
        raise InvalidArticle("invalid_xml", f"refused unsafe XML: {type(e).__name__}") from None
    except ParseError as e:
        if not _declared(text):
            return None
        raise InvalidArticle("invalid_xml", f"not well-formed XML: {e}") from None


def parse_xml(text: str, stamp: str) -> list[Article | InvalidArticle] | None:
    """Articles in an XML payload, or None if it is not XML after all (plain text starting with "<").

    Raises :class:`InvalidArticle` if the payload as a whole is unusable: declared XML that is not
    well-formed, entity declarations, or an XML vocabulary other than NITF, RSS and Atom.
    """
    root = xml_root(text)
    if root is None:
        return None
    tag = _local(root.tag)
    if tag == "nitf":
        return [_nitf(root, stamp)]
    if tag == "rss" or root.tag in (_ATOM, _RDF):
        return _feed(text, stamp, "atom" if root.tag == _ATOM else "rss")
    raise InvalidArticle("unsupported_format", f"XML root <{tag}> is not NITF, RSS or Atom")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: Element | None, path: list[str]) -> Element | None:
    """Namespace-agnostic child lookup (NITF comes with and without its namespace)."""
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


def _text(node: Element | None) -> str | None:
    return "".join(node.itertext()) if node is not None else None


def _nitf(root: Element, stamp: str) -> Article:
    head, body = _find(root, ["head"]), _find(root, ["body"])
    hl1 = _text(_find(body, ["body.head", "hedline", "hl1"]))
    headline = clean_headline(hl1 or _text(_find(head, ["title"])))
    content = _find(body, ["body.content"])
    paragraphs = [" ".join(_text(p).split()) for p in content.iter() if _local(p.tag) in ("p", "hl2")] \
        if content is not None else []
    text = "\n\n".join(p for p in paragraphs if p) or (_text(content) if content is not None else None)
    body_text = check_body(text, "NITF has no body.content")
    docdata = _find(head, ["docdata"])
    doc_id = (_find(docdata, ["doc-id"]).get("id-string") if _find(docdata, ["doc-id"]) is not None else None)
    meta: dict = {}
    if (issued := _find(docdata, ["date.issue"])) is not None and (when := _iso(issued.get("norm"))):
        meta["versioncreated"] = when
    if (urg := _find(docdata, ["urgency"])) is not None and (urg.get("ed-urg") or "").isdigit():
        meta["urgency"] = int(urg.get("ed-urg"))
    if byline := _text(_find(body, ["body.head", "byline"])):
        meta["by"] = " ".join(byline.split())
    subjects = [{"name": clean(s.get("tobject.subject.matter") or s.get("tobject.subject.type") or ""),
                 "uri": f"subj:{s.get('tobject.subject.refnum')}"}
                for s in root.iter()
                if _local(s.tag) == "tobject.subject" and s.get("tobject.subject.refnum")]
    if subjects:
        meta["subjects"] = subjects
    language = root.get(_XML_LANG) or (content.get(_XML_LANG) if content is not None else None)
    art_id = clean(doc_id or "").strip() or stable_id(headline, body_text)
    return _article(art_id, headline, body_text, language, None, stamp, "nitf", meta)


def _article(art_id, headline, body, language, uri, stamp, fmt, meta) -> Article:
    if len(art_id) > MAX_ID_CHARS:
        raise InvalidArticle("id_too_large", f"id is {len(art_id)} chars (max {MAX_ID_CHARS})")
    meta = {"uri": uri or art_id, **meta}
    return Article(art_id, headline, body, language, uri, stamp, fmt, meta)


def _iso(value: str | None) -> str | None:
    """NITF's ISO 8601 basic format (``20240115T093000Z``) or extended, to ``...Z``; None if unreadable."""
    if not value:
        return None
    for fmt in ("%Y%m%dT%H%M%S%z", "%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            return format_timestamp(datetime.strptime(value.replace("Z", "+0000"), fmt))
        except ValueError:
            continue
    try:
        return format_timestamp(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _feed(text: str, stamp: str, fmt: str) -> list[Article | InvalidArticle]:
    import feedparser  # imported lazily: only feeds need it

    # A file object, never a string: feedparser fetches strings that look like URLs or paths.
    parsed = feedparser.parse(io.BytesIO(text.encode("utf-8")))
    if not parsed.entries:
        raise InvalidArticle("empty_feed", f"{fmt} feed has no entries")
    feed_lang = parsed.feed.get("language")
    out: list[Article | InvalidArticle] = []
    for entry in parsed.entries:
        try:
            out.append(_entry(entry, feed_lang, stamp, fmt))
        except InvalidArticle as exc:
            out.append(exc)
    return out


def _entry(entry, feed_lang: str | None, stamp: str, fmt: str) -> Article:
    html = entry["content"][0]["value"] if entry.get("content") else entry.get("summary")
    body = check_body(html_to_text(html) if html else None, "feed entry has no content or summary")
    headline = clean_headline(entry.get("title"))
    link = entry.get("link")
    art_id = clean(entry.get("id") or link or "").strip() or stable_id(headline, body)
    meta: dict = {}
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    if when:
        # feedparser's *_parsed tuples are UTC
        meta["versioncreated"] = format_timestamp(datetime.fromtimestamp(calendar.timegm(when), UTC))
    if entry.get("author"):
        meta["by"] = entry["author"]
    tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
    if tags:
        meta["subjects"] = [{"name": t} for t in tags]
    if feed_lang:  # a channel-wide default, weaker than detection: see agents/enrichment/language.py
        meta["language"] = feed_lang
    language = (entry.get("content") or [{}])[0].get("language")
    return _article(art_id, headline, body, language, link, stamp, fmt, meta)
