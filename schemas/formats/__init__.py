"""Raw article payloads -> validated :class:`Article` records, whatever the format.

Accepted inputs (auto-detected by :func:`parse_raw`):

* plain JSON objects ``{"id"?, "uri"?, "headline"?, "body_text", "language"?, ...}`` (other keys ignored);
* IPTC ninjs 1.x (``headline``/``body_text``, else ``body_html``/``body_xhtml``), 2.x and 3.x
  (``headlines[]``/``bodies[]``: the "main" headline; the first text/plain body, else HTML, else NITF);
* the plain-text seed format: a headline line, a blank line, then the body paragraphs.

One module per format: jsonitem (plain JSON and ninjs), text, xml (NITF, RSS, Atom), html (bodies
given as HTML); files reads payloads from paths. Normalisation is schemas/article.py's. Anything
unusable raises :class:`InvalidArticle` (never another exception) carrying a short ``reason``
slug suitable for dead-letter records.
"""

from __future__ import annotations

import orjson

from schemas.article import MAX_PAYLOAD_BYTES, Article
from schemas.clock import format_timestamp, utc_now
from schemas.errors import InvalidArticle
from schemas.formats.jsonitem import from_json
from schemas.formats.text import from_text
from schemas.formats.xml import looks_like_xml, parse_xml


def parse_raw(value: bytes, *, received_at: str | None = None) -> Article:
    """Parse one raw payload; raises :class:`InvalidArticle` for any unusable bytes.

    ``received_at`` (an ISO-8601 string from the caller, e.g. the Kafka timestamp) defaults to now; it
    is the caller's value, not the payload's, so a malformed one raises a plain ``ValueError``.
    """
    stamp = format_timestamp(received_at) if received_at is not None else utc_now()
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidArticle("wrong_type", f"payload must be bytes, not {type(value).__name__}")
    if len(value) > MAX_PAYLOAD_BYTES:
        raise InvalidArticle("payload_too_large", f"payload is {len(value)} bytes (max {MAX_PAYLOAD_BYTES})")
    try:
        text = bytes(value).decode("utf-8-sig")  # tolerate a leading BOM, as editors add one
    except UnicodeDecodeError as e:
        raise InvalidArticle("not_utf8", f"invalid UTF-8 at byte {e.start}") from None
    if text.lstrip().startswith(("{", "[")):
        return from_json(text, stamp)
    if looks_like_xml(text) and (found := parse_xml(text, stamp)) is not None:
        if len(found) > 1:
            raise InvalidArticle("multiple_articles", f"payload holds {len(found)} articles (use parse_many)")
        if isinstance(found[0], InvalidArticle):
            raise found[0]
        return found[0]
    return from_text(text, stamp)


def parse_many(value: bytes, *, received_at: str | None = None) -> list[Article | InvalidArticle]:
    """Every article in one payload: a feed's entries, a JSON array's or JSON lines' items, else one.

    A payload that is unusable as a whole raises :class:`InvalidArticle`; an unusable item inside a
    usable payload comes back in the list as an :class:`InvalidArticle`, in its place.
    """
    stamp = format_timestamp(received_at) if received_at is not None else utc_now()
    if isinstance(value, bytes | bytearray | memoryview) and len(value) <= MAX_PAYLOAD_BYTES:
        try:
            text = bytes(value).decode("utf-8-sig").strip()
        except UnicodeDecodeError:
            text = ""
        if text.startswith("["):
            try:
                items = orjson.loads(text)
            except orjson.JSONDecodeError:
                items = None
            if isinstance(items, list) and items:
                return [_one(orjson.dumps(i), stamp) if isinstance(i, dict) else
                        InvalidArticle("wrong_type", f"array item must be an object, not {type(i).__name__}")
                        for i in items]
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):  # JSON lines
            try:
                orjson.loads(text)
            except orjson.JSONDecodeError:
                return [_one(line.encode(), stamp) for line in lines]
        if looks_like_xml(text) and (found := parse_xml(text, stamp)) is not None:
            return found
    return [parse_raw(value, received_at=stamp)]


def _one(value: bytes, stamp: str) -> Article | InvalidArticle:
    try:
        return parse_raw(value, received_at=stamp)
    except InvalidArticle as exc:
        return exc
