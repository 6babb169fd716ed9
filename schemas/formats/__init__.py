"""Raw article payloads -> validated :class:`Article` records, whatever the format.

The formats, their detection rules and examples are listed once, in detection order, in
schemas/formats/registry.py (``wirestream formats`` prints them; README "Input formats"): IPTC 7901
and ANPA-1312 wire text, plain JSON and ninjs 1.x/2.x/3.x (and API responses wrapping items),
NewsML-G2, NewsML 1.2, NITF, RSS, Atom, and the plain-text seed format. One module per format under
schemas/formats/; encoding.py decodes the bytes first (UTF-8, UTF-16 XML with a BOM, XML's declared
encoding). Normalisation is schemas/article.py's. Anything unusable raises :class:`InvalidArticle`
(never another exception) carrying a short ``reason`` slug suitable for dead-letter records.
"""

from __future__ import annotations

import orjson

from schemas.article import MAX_PAYLOAD_BYTES, Article
from schemas.clock import format_timestamp, utc_now
from schemas.errors import InvalidArticle
from schemas.formats.encoding import decode_payload
from schemas.formats.registry import parse_text


def _decoded(value) -> str:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidArticle("wrong_type", f"payload must be bytes, not {type(value).__name__}")
    if len(value) > MAX_PAYLOAD_BYTES:
        raise InvalidArticle("payload_too_large", f"payload is {len(value)} bytes (max {MAX_PAYLOAD_BYTES})")
    return decode_payload(bytes(value))


def parse_raw(value: bytes, *, received_at: str | None = None) -> Article:
    """Parse one raw payload; raises :class:`InvalidArticle` for any unusable bytes.

    ``received_at`` (an ISO-8601 string from the caller, e.g. the Kafka timestamp) defaults to now; it
    is the caller's value, not the payload's, so a malformed one raises a plain ``ValueError``.
    """
    stamp = format_timestamp(received_at) if received_at is not None else utc_now()
    found = parse_text(_decoded(value), stamp)
    if len(found) > 1:
        raise InvalidArticle("multiple_articles", f"payload holds {len(found)} articles (use parse_many)")
    if isinstance(found[0], InvalidArticle):
        raise found[0]
    return found[0]


def parse_many(value: bytes, *, received_at: str | None = None) -> list[Article | InvalidArticle]:
    """Every article in one payload: a feed's entries, a NewsML message's items, a JSON array's, JSON
    lines' or a JSON response's items, else one.

    A payload that is unusable as a whole raises :class:`InvalidArticle`; an unusable item inside a
    usable payload comes back in the list as an :class:`InvalidArticle`, in its place.
    """
    stamp = format_timestamp(received_at) if received_at is not None else utc_now()
    text = _decoded(value)
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            items = None
        if isinstance(items, list) and items:
            return [_one(orjson.dumps(i), stamp) if isinstance(i, dict) else
                    InvalidArticle("wrong_type", f"array item must be an object, not {type(i).__name__}")
                    for i in items]
    lines = [line for line in stripped.split("\n") if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):  # JSON lines
        try:
            orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return [_one(line.encode(), stamp) for line in lines]
    return parse_text(text, stamp)


def _one(value: bytes, stamp: str) -> Article | InvalidArticle:
    try:
        return parse_raw(value, received_at=stamp)
    except InvalidArticle as exc:
        return exc
