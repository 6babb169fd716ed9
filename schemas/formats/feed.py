"""RSS 2.0 / RSS 1.0 and Atom feeds, one article per entry (schemas/formats/rss.py and atom.py detect
them). The document is first parsed by defusedxml (schemas/formats/xml.py); only then is it handed to
feedparser, from memory. Each entry keeps a little ninjs-2-shaped metadata (``uri``,
``versioncreated``, ``by``, ``subjects``, the channel's ``language``) for the ninjs projection."""

from __future__ import annotations

import calendar
import io
from datetime import UTC, datetime

from schemas.article import Article, check_body, clean, clean_headline, stable_id
from schemas.clock import format_timestamp
from schemas.errors import InvalidArticle
from schemas.formats.encoding import utf8_document
from schemas.formats.html import html_to_text
from schemas.formats.xml import article

ATOM = "{http://www.w3.org/2005/Atom}feed"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"


def parse_feed(text: str, stamp: str, fmt: str) -> list[Article | InvalidArticle]:
    import feedparser  # imported lazily: only feeds need it

    # A file object, never a string: feedparser fetches strings that look like URLs or paths.
    parsed = feedparser.parse(io.BytesIO(utf8_document(text)))
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
    source_meta = {"format": fmt, "guid": art_id}
    if "versioncreated" in meta:
        source_meta["versioncreated"] = meta["versioncreated"]
    if "by" in meta:
        source_meta["byline"] = meta["by"]
    if tags:
        source_meta["subjects"] = [{"code": t} for t in tags]
    return article(art_id, headline, body, language, link, stamp, fmt, meta, source_meta)
