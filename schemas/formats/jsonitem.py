"""JSON articles: plain objects ``{"id"?, "uri"?, "headline"?, "body_text", "language"?, ...}`` (other keys
ignored) and IPTC ninjs 1.x (``uri`` or ``guid``; ``headline``/``body_text``, else ``body_html``, else
``body_xhtml``; ``description_text`` is a description, never the body), 2.x and 3.x
(``headlines[]``/``bodies[]``: the "main" headline; the first text/plain body, else HTML, else NITF).
API responses that wrap items (``{"total": 2, "item": [...]}``, ``items`` or ``data`` arrays) are
unwrapped into one article per item."""

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
from schemas.clock import format_timestamp
from schemas.errors import InvalidArticle
from schemas.formats.html import html_to_text

MAX_METADATA_BYTES = 16_384  # original ninjs fields carried along (Article.ninjs), see _metadata
# Bulky or body-bearing ninjs members, not carried in Article.ninjs (body_text/headline replace them).
_NINJS_BULK = frozenset(
    {"bodies", "headlines", "body_text", "body_html", "body_xhtml", "headline", "associations"}
)
# ninjs 1.x items always carry a uri; these keys tell them apart from our plain JSON shape.
_NINJS1_KEYS = frozenset(
    {"guid", "type", "versioncreated", "firstcreated", "pubstatus", "body_html", "body_xhtml", "byline",
     "located", "copyrightnotice", "urgency", "profile", "associations", "description_text"}
)
_NITF_TYPES = frozenset({"text/vnd.iptc.nitf", "application/nitf+xml", "application/vnd.iptc.nitf+xml"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


NAME = "json"
_ENVELOPES = ("item", "items", "data")
_BODY_KEYS = frozenset({"body_text", "body_html", "body_xhtml", "bodies", "headline", "headlines"})


def detect(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))


def parse(text: str, stamp: str) -> list[Article | InvalidArticle]:
    """One JSON document: an API response's items (one article each), else one article."""
    d = _load(text)
    items = _unwrap(d) if isinstance(d, dict) else None
    if items is None:
        return [from_object(d, stamp)]
    if not items:
        raise InvalidArticle("empty_message", "JSON response holds an empty item list")
    out: list[Article | InvalidArticle] = []
    for item in items:
        try:
            if not isinstance(item, dict):
                raise InvalidArticle("wrong_type", f"item must be an object, not {type(item).__name__}")
            out.append(from_object(item, stamp))
        except InvalidArticle as exc:
            out.append(exc)
    return out


def _unwrap(d: dict, depth: int = 0) -> list | None:
    """The items of a wrapping response (``item``/``items``/``data`` array, or ``data: {items: [...]}``),
    or None when the object is an item itself."""
    if _BODY_KEYS & d.keys() or depth > 1:
        return None
    for key in _ENVELOPES:
        value = d.get(key)
        if isinstance(value, list) and all(isinstance(i, dict) for i in value):
            return value
        if isinstance(value, dict) and (inner := _unwrap(value, depth + 1)) is not None:
            return inner
    return None


def from_json(text: str, stamp: str) -> Article:
    return from_object(_load(text), stamp)


def _load(text: str):
    try:
        d = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        if "depth limit" in str(e):  # orjson's own recursion guard (1024 levels)
            raise InvalidArticle("too_deeply_nested", f"JSON nests deeper than {MAX_JSON_DEPTH}") from None
        raise InvalidArticle("invalid_json", str(e)) from None
    return d


def from_object(d, stamp: str) -> Article:
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
        missing = "no body_text"
        if fmt == "ninjs-1":
            missing = "ninjs item has no body_text, body_html or body_xhtml" + (
                " (description_text is a description, not the body)" if "description_text" in d else "")
        body = check_body(raw_body, missing)
    uri = _opt_str(d, "uri")
    if uri is None and fmt == "ninjs-1":
        uri = _opt_str(d, "guid")
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
    if fmt == "json":
        return Article(art_id, headline, body, language, uri, stamp, fmt)
    source_meta = _source_meta(d, fmt, art_id)
    return Article(art_id, headline, body, language, uri, stamp, fmt, _metadata(d), source_meta)


def _source_meta(item: dict, fmt: str, guid: str) -> dict:
    """The facts of a ninjs item (any version: 3.x camelCase and 1.x names too) as ``source_meta``."""
    d = {k.lower(): v for k, v in item.items()}
    meta: dict = {"format": fmt, "guid": guid}

    def text(*keys: str) -> str | None:
        return next((v.strip() for k in keys if isinstance(v := d.get(k), str) and v.strip()), None)

    for key, names in (("version", ("version",)), ("byline", ("by", "byline")), ("located", ("located",)),
                       ("copyright", ("copyrightnotice",)), ("slugline", ("slugline",)),
                       ("description", ("description_text",)), ("language", ("language",))):
        if value := text(*names):
            meta[key] = value
    for key in ("firstcreated", "versioncreated"):
        if isinstance(d.get(key), str):
            try:
                meta[key] = format_timestamp(d[key].replace("Z", "+00:00"))
            except ValueError:
                pass
    if isinstance(d.get("urgency"), int) and not isinstance(d["urgency"], bool) and 1 <= d["urgency"] <= 9:
        meta["urgency"] = d["urgency"]
    if "description" not in meta and isinstance(d.get("descriptions"), list):
        meta["description"] = next((x["value"] for x in d["descriptions"]
                                    if isinstance(x, dict) and isinstance(x.get("value"), str)), None)
        if not meta["description"]:
            del meta["description"]
    if isinstance(d.get("headlines"), list):
        heads = [{**({"role": h["role"]} if isinstance(h.get("role"), str) else {}), "value": h["value"]}
                 for h in d["headlines"] if isinstance(h, dict) and isinstance(h.get("value"), str)]
        if heads:
            meta["headlines"] = heads
    elif text("headline"):
        meta["headlines"] = [{"value": text("headline")}]
    subjects = []
    listed = d.get("subjects", d.get("subject"))  # ninjs 1.x: "subject" [{code, name, scheme}]
    for s in listed if isinstance(listed, list) else []:
        if not isinstance(s, dict):
            continue
        code = next((s[k] for k in ("uri", "literal", "code", "qcode") if isinstance(s.get(k), str)), None)
        name = s.get("name") if isinstance(s.get("name"), str) else None
        if code or name:
            subjects.append({"code": code or name, **({"name": name} if name else {})})
    if subjects:
        meta["subjects"] = subjects
    return meta


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
    if ("uri" in d or "guid" in d) and ("id" not in d) and (_NINJS1_KEYS & d.keys()):
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
