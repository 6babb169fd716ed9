"""Payload bytes -> text: UTF-8 (a leading BOM tolerated), UTF-16 XML with its BOM, and XML that declares
another encoding (``<?xml version="1.0" encoding="iso-8859-1"?>``, ``windows-1252``, ...).

Undecodable bytes raise :class:`InvalidArticle`: ``not_utf8`` when the payload is (taken as) UTF-8,
``bad_encoding`` when it declares another encoding that does not decode it (or that Python does not
know), each with the byte offset. ISO-8859-1 is read as Windows-1252 when it holds bytes 0x80-0x9F, as
web browsers do: those are C1 control characters in ISO-8859-1 (removed by normalisation anyway) but
the curly quotes and dashes of Windows-1252, which is what agencies labelling ISO-8859-1 send.
Wire text framed by SOH (IPTC 7901, ANPA-1312) that is not UTF-8 is ISO-8859-1, the 8-bit set IPTC
7901 specifies.
"""

from __future__ import annotations

import codecs
import re

from schemas.errors import InvalidArticle

# The XML declaration's encoding pseudo-attribute (XML 1.0 section 4.3.3), in ASCII-compatible bytes.
_DECL = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._\-]*)["']""")
_DECL_TEXT = re.compile(r"""^(\s*<\?xml\s[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")
_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode_payload(value: bytes) -> str:
    """The payload's text; raises ``not_utf8`` / ``bad_encoding`` (with the byte offset) if undecodable."""
    for bom, codec in _BOMS:
        # Only XML is read as UTF-16: "<" as the first character after the BOM. Anything else with
        # these two leading bytes is taken as (broken) UTF-8, as before.
        if value.startswith(bom) and value[2:66].decode(codec, "replace").lstrip().startswith("<"):
            return _decode(value[2:], codec, "UTF-16 (byte order mark)")
    if value.startswith(codecs.BOM_UTF8):
        value = value[3:]
    declared = _DECL.match(value[:200])
    if declared:
        name = declared.group(1).decode("ascii")
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            raise InvalidArticle("bad_encoding", f"XML declares encoding {name!r}, which is unknown") \
                from None
        if codec not in ("utf-8", "utf-8-sig"):
            if codec in ("latin-1", "iso8859-1") and re.search(rb"[\x80-\x9f]", value):
                try:
                    return value.decode("cp1252")
                except UnicodeDecodeError:
                    pass  # not Windows-1252 either: ISO-8859-1 decodes every byte
            if codec.startswith("utf-16") and value[:1] == b"<":
                raise InvalidArticle("bad_encoding", f"XML declares encoding {name!r} but is 8-bit text")
            return _decode(value, codec, name)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as e:
        if value.lstrip(b"\x16 \t\r\n")[:1] == b"\x01":  # IPTC 7901 / ANPA wire text: ISO-8859-1
            return value.decode("cp1252" if _cp1252(value) else "latin-1")
        raise InvalidArticle("not_utf8", f"invalid UTF-8 at byte {e.start}") from None


def _cp1252(value: bytes) -> bool:
    try:
        value.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _decode(value: bytes, codec: str, label: str) -> str:
    try:
        return value.decode(codec)
    except UnicodeDecodeError as e:
        raise InvalidArticle("bad_encoding", f"invalid {label} at byte {e.start}: {e.reason}") from None


def utf8_document(text: str) -> bytes:
    """An already decoded XML document as UTF-8 bytes for a parser: its encoding declaration removed,
    so the parser does not decode the UTF-8 bytes a second time as, say, ISO-8859-1."""
    return _DECL_TEXT.sub(r"\1", text, count=1).encode("utf-8")
