"""What every XML format shares: detection of the root element, safe parsing, namespace-agnostic lookup,
paragraphs of a marked-up body, ISO 8601 dates; and the fallback for XML that no format claims.

Every XML payload is parsed by defusedxml, which refuses entity declarations (billion laughs, external
entities) and never fetches anything. The text has been decoded already (schemas/formats/encoding.py,
honouring the declared encoding); the parser gets it as UTF-8 without the encoding declaration.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from schemas.article import MAX_ID_CHARS, Article
from schemas.clock import format_timestamp
from schemas.errors import InvalidArticle
from schemas.formats.encoding import utf8_document

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The first element's name after the prolog (declaration, comments, processing instructions, DOCTYPE).
_ROOT = re.compile(
    r"\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)\s*)*<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)",
    re.DOTALL,
)
# Block elements of NITF and XHTML bodies: each is one paragraph of text.
BLOCKS = frozenset("p hl1 hl2 h1 h2 h3 h4 h5 h6 li blockquote pre dd dt address".split())
SKIP = frozenset("figure script style head title media table.reference body.head body.end".split())


def looks_like_xml(text: str) -> bool:
    head = text.lstrip()[:100]
    return head.startswith(("<?xml", "<!DOCTYPE")) or head[:1] == "<" and head[1:2].isalpha()


def root_name(text: str) -> str | None:
    """Local name of the root element, read from the start of the text without parsing it (or None)."""
    return _root_name(text[:8192]) if looks_like_xml(text) else None


@functools.lru_cache(maxsize=16)
def _root_name(head: str) -> str | None:
    m = _ROOT.match(head)
    return m.group(1) if m else None


def _declared(text: str) -> bool:
    return text.lstrip().startswith(("<?xml", "<!DOCTYPE"))


def xml_root(text: str) -> Element | None:
    """The parsed root; None for text that merely starts with a tag (a plain-text article)."""
    try:
        return fromstring(utf8_document(text))
    except DefusedXmlException as e:
        raise InvalidArticle("invalid_xml", f"refused unsafe XML: {type(e).__name__}") from None
    except ParseError as e:
        if not _declared(text):
            return None
        raise InvalidArticle("invalid_xml", f"not well-formed XML: {e}") from None


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def find(node: Element | None, path: list[str]) -> Element | None:
    """Namespace-agnostic child lookup (NITF and NewsML come with and without their namespaces)."""
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if local(c.tag) == name), None)
    return node


def find_all(node: Element | None, name: str) -> list[Element]:
    return [c for c in node if local(c.tag) == name] if node is not None else []


def text_of(node: Element | None) -> str | None:
    """All text inside an element, whitespace runs collapsed; None if there is no element or no text."""
    if node is None:
        return None
    return " ".join("".join(node.itertext()).split()) or None


def paragraphs(node: Element) -> str:
    """The text of a NITF ``body.content`` or an XHTML ``body``: one paragraph per block element, figures,
    scripts and NITF head/end material left out; loose text outside any block is a paragraph too."""
    out: list[str] = []

    def walk(el: Element) -> None:
        name = local(el.tag)
        if name in SKIP:
            return
        if name in BLOCKS:
            if para := text_of(el):
                out.append(para)
            return
        if el.text and el.text.strip():
            out.append(" ".join(el.text.split()))
        for child in el:
            walk(child)
            if child.tail and child.tail.strip():
                out.append(" ".join(child.tail.split()))

    walk(node)
    return "\n\n".join(out)


def iso(value: str | None) -> str | None:
    """ISO 8601 basic (``20240115T093000Z``: NITF, NewsML 1) or extended, to ``...Z``; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    for fmt in ("%Y%m%dT%H%M%S%z", "%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            return format_timestamp(datetime.strptime(value.replace("Z", "+0000"), fmt))
        except ValueError:
            continue
    try:
        return format_timestamp(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def article(art_id, headline, body, language, uri, stamp, fmt, meta, source_meta=None) -> Article:
    if len(art_id) > MAX_ID_CHARS:
        raise InvalidArticle("id_too_large", f"id is {len(art_id)} chars (max {MAX_ID_CHARS})")
    meta = {"uri": uri or art_id, **meta} if meta is not None else None
    return Article(art_id, headline, body, language, uri, stamp, fmt, meta, source_meta or None)


# --- the fallback: XML that no format claims ---------------------------------------------------------


def detect(text: str) -> bool:
    return root_name(text) is not None


def parse(text: str, stamp: str) -> list[Article | InvalidArticle] | None:
    root = xml_root(text)
    if root is None:
        return None
    raise InvalidArticle(
        "unsupported_format",
        f"XML root <{local(root.tag)}> is not NITF, NewsML-G2, NewsML 1.2, RSS or Atom",
    )
