"""Raw article payloads -> validated :class:`Article` records.

Accepted inputs (auto-detected by :func:`parse_raw`):

* plain JSON objects ``{"id"?, "uri"?, "headline"?, "body_text", "language"?, ...}`` (other keys ignored);
* IPTC ninjs 1.x (``headline``/``body_text``, else ``body_html``/``body_xhtml``), 2.x and 3.x
  (``headlines[]``/``bodies[]``: the "main" headline; the first text/plain body, else HTML, else NITF);
* the plain-text seed format: a headline line, a blank line, then the body paragraphs.

Normalisation is deliberately minimal because ``body_text`` is exactly the text the NLP stages analyse
and every offset they emit points into it: C0/C1 control characters other than ``\\n``, ``\\t`` and
``\\r`` (e.g. NUL) are removed, CRLF and lone CR become LF, and outer whitespace is stripped. Headlines
additionally have inner whitespace runs collapsed to one space. HTML bodies are reduced to text with
paragraphs separated by a blank line.

Anything unusable raises :class:`InvalidArticle` (never another exception) carrying a short ``reason``
slug suitable for dead-letter records.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import orjson

MAX_PAYLOAD_BYTES = 1_048_576
MAX_BODY_CHARS = 200_000
MAX_HEADLINE_CHARS = 1_000
MAX_ID_CHARS = 512
MAX_JSON_DEPTH = 64
SOURCE_FORMATS = ("json", "text", "ninjs-1", "ninjs-2", "ninjs-3", "nitf", "rss", "atom")
REASONS = frozenset(  # every InvalidArticle.reason parse_raw / Article.from_dict can give
    {"payload_too_large", "not_utf8", "invalid_json", "wrong_type", "too_deeply_nested", "missing_body",
     "empty_body", "body_too_large", "headline_too_large", "id_too_large", "unsupported_format",
     "missing_field", "invalid_ninjs", "invalid_xml", "empty_feed", "multiple_articles"}
)
MAX_METADATA_BYTES = 16_384  # original ninjs fields carried along (Article.ninjs), see _metadata
# Bulky or body-bearing ninjs members, not carried in Article.ninjs (body_text/headline replace them).
_NINJS_BULK = frozenset(
    {"bodies", "headlines", "body_text", "body_html", "body_xhtml", "headline", "associations"}
)

# Control characters (C0 except tab/LF/CR, DEL, C1) break tokenisers and terminals; drop them.
_CONTROL = dict.fromkeys([c for c in range(0x20) if c not in (9, 10, 13)] + list(range(0x7F, 0xA0)))
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML collapses ASCII whitespace only (keeps NBSP etc.)
# ninjs 1.x items always carry a uri; these keys tell them apart from our plain JSON shape.
_NINJS1_KEYS = frozenset(
    {"type", "versioncreated", "firstcreated", "pubstatus", "body_html", "body_xhtml", "byline",
     "located", "copyrightnotice", "urgency", "profile", "associations", "description_text"}
)
_NITF_TYPES = frozenset({"text/vnd.iptc.nitf", "application/nitf+xml", "application/vnd.iptc.nitf+xml"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class InvalidArticle(ValueError):
    """An unusable payload. ``reason`` is a short slug, ``detail`` one human-readable line."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InputPathError(OSError):
    """An input path for ``wirestream produce`` is missing or unreadable (message names the path)."""


@dataclass(frozen=True)
class Article:
    id: str
    headline: str | None
    body_text: str
    language: str | None
    uri: str | None
    received_at: str
    source_format: str
    #: Original ninjs metadata (or ninjs-2-shaped metadata from NITF/feeds) for the ninjs projection.
    ninjs: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Article:
        """Rebuild from :meth:`to_dict` output; optional keys may be absent, unknown keys are ignored."""
        if not isinstance(d, dict):
            raise InvalidArticle("wrong_type", f"article record must be an object, not {type(d).__name__}")
        optional = {"headline", "language", "uri", "ninjs"}
        values = {}
        for f in fields(cls):
            if f.name not in d and f.name not in optional:
                raise InvalidArticle("missing_field", f"article record lacks {f.name!r}")
            value = d.get(f.name)
            wanted = dict if f.name == "ninjs" else str
            if not (isinstance(value, wanted) or (value is None and f.name in optional)):
                kind = type(value).__name__
                raise InvalidArticle("wrong_type", f"article field {f.name!r} has type {kind}")
            values[f.name] = value
        return cls(**values)


def utc_now() -> str:
    """Current time as ISO-8601 UTC with millisecond precision and a 'Z' suffix (used for all stamps)."""
    return format_timestamp(datetime.now(UTC))


def format_timestamp(value: datetime | str) -> str:
    """Normalise a datetime or ISO-8601 string to ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (naive means UTC)."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stable_id(headline: str | None, body_text: str) -> str:
    """Content-derived id, so re-sending the same article yields the same id."""
    return hashlib.sha256(f"{headline or ''}\n{body_text}".encode()).hexdigest()[:16]


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
        return _from_json(text, stamp)
    from schemas.formats.xml import looks_like_xml, parse_xml

    if looks_like_xml(text) and (found := parse_xml(text, stamp)) is not None:
        if len(found) > 1:
            raise InvalidArticle("multiple_articles", f"payload holds {len(found)} articles (use parse_many)")
        if isinstance(found[0], InvalidArticle):
            raise found[0]
        return found[0]
    return _from_text(text, stamp)


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
        from schemas.formats.xml import looks_like_xml, parse_xml

        if looks_like_xml(text) and (found := parse_xml(text, stamp)) is not None:
            return found
    return [parse_raw(value, received_at=stamp)]


def _one(value: bytes, stamp: str) -> Article | InvalidArticle:
    try:
        return parse_raw(value, received_at=stamp)
    except InvalidArticle as exc:
        return exc


def _from_text(text: str, stamp: str) -> Article:
    text = _clean(text).strip()
    if not text:
        raise InvalidArticle("empty_body", "payload is empty or whitespace")
    first, _, rest = text.partition("\n")
    headline = _clean_headline(first)
    body = _check_body(rest.strip() or None, "plain text has a headline line but no body after it")
    return Article(stable_id(headline, body), headline, body, None, None, stamp, "text")


def _from_json(text: str, stamp: str) -> Article:
    try:
        d = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        if "depth limit" in str(e):  # orjson's own recursion guard (1024 levels)
            raise InvalidArticle("too_deeply_nested", f"JSON nests deeper than {MAX_JSON_DEPTH}") from None
        raise InvalidArticle("invalid_json", str(e)) from None
    if not isinstance(d, dict):
        raise InvalidArticle("wrong_type", f"JSON payload must be an object, not {type(d).__name__}")
    if _too_deep(d):
        raise InvalidArticle("too_deeply_nested", f"JSON nests deeper than {MAX_JSON_DEPTH}")
    fmt = _detect_format(d)
    if fmt.startswith("ninjs-"):
        from schemas.ninjs_schema import ninjs_error

        if problem := ninjs_error(d, fmt[-1]):
            raise InvalidArticle("invalid_ninjs", problem)
    if fmt in ("ninjs-2", "ninjs-3"):
        headline = _clean_headline(_pick_headline(d.get("headlines")))
        body = _check_body(_pick_body(d.get("bodies")), "ninjs item has no bodies")
    else:
        headline = _clean_headline(_opt_str(d, "headline"))
        raw_body = _opt_str(d, "body_text")
        if raw_body is None and fmt == "ninjs-1":
            html = _opt_str(d, "body_html") or _opt_str(d, "body_xhtml")
            raw_body = _html_to_text(html) if html is not None else None
        body = _check_body(raw_body, "no body_text")
    uri = _opt_str(d, "uri")
    uri = (_clean(uri).strip() or None) if uri is not None else None
    language = _opt_str(d, "language")
    if language is not None and len(language) > 64:
        raise InvalidArticle("wrong_type", "language is not a language tag (over 64 chars)")
    raw_id = d.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, str | int)):
        raise InvalidArticle("wrong_type", f"id must be a string or integer, not {type(raw_id).__name__}")
    art_id = _clean(str(raw_id)).strip() if raw_id is not None else ""
    art_id = art_id or uri or stable_id(headline, body)
    if len(art_id) > MAX_ID_CHARS:
        raise InvalidArticle("id_too_large", f"id is {len(art_id)} chars (max {MAX_ID_CHARS})")
    language = (_clean(language).strip() or None) if language is not None else None
    return Article(art_id, headline, body, language, uri, stamp, fmt, _metadata(d) if fmt != "json" else None)


def _metadata(item: dict) -> dict:
    """The ninjs item without its bodies; the largest members go first if it is still over the budget."""
    meta = {k: v for k, v in item.items() if k not in _NINJS_BULK}
    while meta and len(orjson.dumps(meta)) > MAX_METADATA_BYTES:
        del meta[max(meta, key=lambda k: len(orjson.dumps(meta[k])))]
    return meta


def _too_deep(obj) -> bool:
    # Iterative walk: a recursive one could itself hit Python's recursion limit.
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _detect_format(d: dict) -> str:
    """Declared version (``standard.version`` or ``$schema``) wins; otherwise guess from structure."""
    major = None
    std = d.get("standard")
    if isinstance(std, dict) and "ninjs" in str(std.get("name", "")).lower():
        major = str(std.get("version", "")).split(".")[0]
    elif isinstance(d.get("$schema"), str) and "ninjs" in d["$schema"].lower():
        m = re.search(r"ninjs-schema_(\d+)", d["$schema"])
        major = m.group(1) if m else None
    if major in ("1", "2", "3"):
        return f"ninjs-{major}"
    if "bodies" in d or "headlines" in d:
        # ninjs 3.0 renamed properties to camelCase (contentType, versionCreated, ...).
        items = [b for b in (d.get("bodies"), d.get("headlines")) if isinstance(b, list)]
        keys = list(d) + [k for lst in items for item in lst if isinstance(item, dict) for k in item]
        return "ninjs-3" if any(k[:1].islower() and not k.islower() for k in keys) else "ninjs-2"
    if "uri" in d and ("id" not in d) and (_NINJS1_KEYS & d.keys()):
        return "ninjs-1"
    return "json"


def _opt_str(d: dict, key: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidArticle("wrong_type", f"{key} must be a string, not {type(value).__name__}")
    return value


def _items(value, name: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise InvalidArticle("wrong_type", f"{name} must be an array of objects")
    for i, item in enumerate(value):
        if not isinstance(item.get("value"), str):
            raise InvalidArticle("wrong_type", f"{name}[{i}].value must be a string")
    return value


def _content_type(item: dict) -> str:
    # ninjs: a body without a content type is a "simple body", taken as plain text.
    ctype = item.get("contenttype", item.get("contentType")) or "text/plain"
    return str(ctype).split(";")[0].strip().lower()


def _pick_headline(value) -> str | None:
    items = _items(value, "headlines")
    main = [h for h in items if h.get("role") == "main"] or items
    if not main:
        return None
    text = main[0]["value"]
    return _html_to_text(text) if _content_type(main[0]) in _HTML_TYPES else text


def _pick_body(value) -> str | None:
    items = _items(value, "bodies")
    if not items:
        return None
    by_type = {}
    for b in items:
        by_type.setdefault(_content_type(b), b["value"])
    if "text/plain" in by_type:
        return by_type["text/plain"]
    for ctype, text in by_type.items():
        if ctype in _HTML_TYPES:
            return _html_to_text(text)
    for ctype, text in by_type.items():
        if ctype in _NITF_TYPES:
            return _html_to_text(text, only_within="body.content")
    raise InvalidArticle("unsupported_format", f"no text body among content types {sorted(by_type)}")


def _clean(text: str) -> str:
    return text.translate(_CONTROL).replace("\r\n", "\n").replace("\r", "\n")


def _clean_headline(headline: str | None) -> str | None:
    if headline is None:
        return None
    headline = " ".join(_clean(headline).split())
    if len(headline) > MAX_HEADLINE_CHARS:
        raise InvalidArticle(
            "headline_too_large", f"headline is {len(headline)} chars (max {MAX_HEADLINE_CHARS})"
        )
    return headline or None


def _check_body(body: str | None, missing: str) -> str:
    if body is None:
        raise InvalidArticle("missing_body", missing)
    body = _clean(body).strip()
    if not body:
        raise InvalidArticle("empty_body", "body is empty or whitespace")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidArticle("body_too_large", f"body is {len(body)} chars (max {MAX_BODY_CHARS})")
    return body


class _TextExtractor(HTMLParser):
    """Text of an HTML (or NITF) fragment: block elements become paragraph breaks."""

    BLOCK = frozenset(
        "address article aside blockquote block body.content dd div dl dt footer h1 h2 h3"
        " h4 h5 h6 header hl1 hl2 hr li main nav ol p pre section table tr ul".split()
    )
    # Not article prose: metadata, code, and photo captions/credits (<figure>).
    SKIP = frozenset("script style head title template noscript figure body.head body.end".split())

    def __init__(self, only_within: str | None):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.only_within = only_within
        self.inside = 0  # depth inside `only_within` (e.g. NITF body.content)
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag == "body":  # an unclosed <head> ends where <body> starts
            self.skipping = 0
        self._tag(tag, +1)
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self._tag(tag, -1)

    def _tag(self, tag: str, step: int):
        if tag == self.only_within:
            self.inside = max(0, self.inside + step)
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping + step)
        if tag in self.BLOCK or tag in self.SKIP:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skipping and (self.only_within is None or self.inside):
            self.parts.append(_HTML_SPACE.sub(" ", data))

    def text(self) -> str:
        paragraphs = []
        for block in "".join(self.parts).split("\n\n"):
            lines = [line.strip(" ") for line in block.split("\n")]
            if para := "\n".join(line for line in lines if line):
                paragraphs.append(para)
        return "\n\n".join(paragraphs)


def _html_to_text(html: str, only_within: str | None = None) -> str:
    parser = _TextExtractor(only_within)
    # Python 3.11's HTMLParser rescans its pending buffer on every feed and is quadratic on some
    # unterminated constructs at close(). Growing the chunk with the pending buffer keeps feeding
    # linear; an unterminated construct over 4 KiB at the end is markup debris and is dropped.
    pos, size = 0, 4096
    while pos < len(html):
        parser.feed(html[pos : pos + size])
        pos += size
        size = max(4096, len(parser.rawdata))
    if len(parser.rawdata) > 4096:
        parser.rawdata = ""
    parser.close()
    return parser.text()


def iter_payloads(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(origin, payload)`` for files and directories, in a stable order.

    Directories are walked recursively in sorted order, skipping hidden files and directories.
    ``.jsonl`` files give one payload per non-empty line (origin ``path:line``); any other file is one
    payload. Missing paths raise :class:`InputPathError` here, before anything is yielded.
    """
    for p in paths:
        if not os.path.exists(p):
            raise InputPathError(f"input path {p!r} does not exist")
    return _iter_payloads([Path(p) for p in paths])


def _iter_payloads(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        for file in _walk(path):
            try:
                if file.suffix == ".jsonl":
                    with file.open("rb") as fh:
                        for n, line in enumerate(fh, 1):
                            if line.strip():
                                yield f"{file}:{n}", line.strip()
                else:
                    yield str(file), file.read_bytes()
            except OSError as e:
                raise InputPathError(f"cannot read input {str(file)!r}: {e.strerror or e}") from None


def _walk(path: Path) -> Iterator[Path]:
    if not path.is_dir():
        yield path
        return

    def fail(e: OSError):
        raise InputPathError(f"cannot list input directory {e.filename!r}: {e.strerror}")

    for root, dirs, files in os.walk(path, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield from (Path(root) / f for f in sorted(files) if not f.startswith("."))
