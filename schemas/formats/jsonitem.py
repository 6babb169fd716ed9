"""JSON articles: plain objects ``{"id"?, "uri"?, "headline"?, "body_text", "language"?, ...}`` (other keys
ignored) and IPTC ninjs 1.x (``headline``/``body_text``, else ``body_html``/``body_xhtml``), 2.x and 3.x
(``headlines[]``/``bodies[]``: the "main" headline; the first text/plain body, else HTML, else NITF)."""

from __future__ import annotations

import re

import orjson

from schemas.article import (
    MAX_ID_CHARS,
    MAX_JSON_DEPTH,
    Article,
    check_body,
    clean,
    clean_headline,
    stable_id,
)
from schemas.errors import InvalidArticle
from schemas.formats.html import html_to_text

MAX_METADATA_BYTES = 16_384  # original ninjs fields carried along (Article.ninjs), see _metadata
# Bulky or body-bearing ninjs members, not carried in Article.ninjs (body_text/headline replace them).
_NINJS_BULK = frozenset(
    {"bodies", "headlines", "body_text", "body_html", "body_xhtml", "headline", "associations"}
)
# ninjs 1.x items always carry a uri; these keys tell them apart from our plain JSON shape.
_NINJS1_KEYS = frozenset(
    {"type", "versioncreated", "firstcreated", "pubstatus", "body_html", "body_xhtml", "byline",
     "located", "copyrightnotice", "urgency", "profile", "associations", "description_text"}
)
_NITF_TYPES = frozenset({"text/vnd.iptc.nitf", "application/nitf+xml", "application/vnd.iptc.nitf+xml"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def from_json(text: str, stamp: str) -> Article:
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
        headline = clean_headline(_pick_headline(d.get("headlines")))
        body = check_body(_pick_body(d.get("bodies")), "ninjs item has no bodies")
    else:
        headline = clean_headline(_opt_str(d, "headline"))
        raw_body = _opt_str(d, "body_text")
        if raw_body is None and fmt == "ninjs-1":
            html = _opt_str(d, "body_html") or _opt_str(d, "body_xhtml")
            raw_body = html_to_text(html) if html is not None else None
        body = check_body(raw_body, "no body_text")
    uri = _opt_str(d, "uri")
    uri = (clean(uri).strip() or None) if uri is not None else None
    language = _opt_str(d, "language")
    if language is not None and len(language) > 64:
        raise InvalidArticle("wrong_type", "language is not a language tag (over 64 chars)")
    raw_id = d.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, str | int)):
        raise InvalidArticle("wrong_type", f"id must be a string or integer, not {type(raw_id).__name__}")
    art_id = clean(str(raw_id)).strip() if raw_id is not None else ""
    art_id = art_id or uri or stable_id(headline, body)
    if len(art_id) > MAX_ID_CHARS:
        raise InvalidArticle("id_too_large", f"id is {len(art_id)} chars (max {MAX_ID_CHARS})")
    language = (clean(language).strip() or None) if language is not None else None
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
    return html_to_text(text) if _content_type(main[0]) in _HTML_TYPES else text


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
            return html_to_text(text)
    for ctype, text in by_type.items():
        if ctype in _NITF_TYPES:
            return html_to_text(text, only_within="body.content")
    raise InvalidArticle("unsupported_format", f"no text body among content types {sorted(by_type)}")
