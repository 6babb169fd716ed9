"""The article model every input format becomes (:class:`Article`), its limits and text normalisation.

Normalisation is deliberately minimal because ``body_text`` is exactly the text the NLP stages analyse
and every offset they emit points into it: C0/C1 control characters other than ``\\n``, ``\\t`` and
``\\r`` (e.g. NUL) are removed, CRLF and lone CR become LF, and outer whitespace is stripped. Headlines
additionally have inner whitespace runs collapsed to one space. The formats that produce articles are
in schemas/formats/.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields

from schemas.errors import REASONS, InputPathError, InvalidArticle  # noqa: F401 - the model's errors

MAX_PAYLOAD_BYTES = 1_048_576
MAX_BODY_CHARS = 200_000
MAX_HEADLINE_CHARS = 1_000
MAX_ID_CHARS = 512
MAX_JSON_DEPTH = 64
SOURCE_FORMATS = ("json", "text", "ninjs-1", "ninjs-2", "ninjs-3", "nitf", "newsml-g2", "newsml-1.2", "rss",
                  "atom", "anpa-1312", "iptc-7901")

# Control characters (C0 except tab/LF/CR, DEL, C1) break tokenisers and terminals; drop them.
_CONTROL = dict.fromkeys([c for c in range(0x20) if c not in (9, 10, 13)] + list(range(0x7F, 0xA0)))


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
    #: What the source said about the item (guid, version, byline, subjects, ...): the enriched record's
    #: ``source_meta`` (schemas/enriched-v1.schema.json, README "The enriched record").
    source_meta: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Article:
        """Rebuild from :meth:`to_dict` output; optional keys may be absent, unknown keys are ignored."""
        if not isinstance(d, dict):
            raise InvalidArticle("wrong_type", f"article record must be an object, not {type(d).__name__}")
        optional = {"headline", "language", "uri", "ninjs", "source_meta"}
        values = {}
        for f in fields(cls):
            if f.name not in d and f.name not in optional:
                raise InvalidArticle("missing_field", f"article record lacks {f.name!r}")
            value = d.get(f.name)
            wanted = dict if f.name in ("ninjs", "source_meta") else str
            if not (isinstance(value, wanted) or (value is None and f.name in optional)):
                kind = type(value).__name__
                raise InvalidArticle("wrong_type", f"article field {f.name!r} has type {kind}")
            values[f.name] = value
        return cls(**values)


def stable_id(headline: str | None, body_text: str) -> str:
    """Content-derived id, so re-sending the same article yields the same id."""
    return hashlib.sha256(f"{headline or ''}\n{body_text}".encode()).hexdigest()[:16]


def clean(text: str) -> str:
    return text.translate(_CONTROL).replace("\r\n", "\n").replace("\r", "\n")


def clean_headline(headline: str | None) -> str | None:
    if headline is None:
        return None
    headline = " ".join(clean(headline).split())
    if len(headline) > MAX_HEADLINE_CHARS:
        raise InvalidArticle(
            "headline_too_large", f"headline is {len(headline)} chars (max {MAX_HEADLINE_CHARS})"
        )
    return headline or None


def check_body(body: str | None, missing: str) -> str:
    if body is None:
        raise InvalidArticle("missing_body", missing)
    body = clean(body).strip()
    if not body:
        raise InvalidArticle("empty_body", "body is empty or whitespace")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidArticle("body_too_large", f"body is {len(body)} chars (max {MAX_BODY_CHARS})")
    return body
