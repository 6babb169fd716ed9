"""ANPA-1312 wire text (AP and the US agencies): ``SOH`` header ``STX`` text ``ETX``.

The header is ``a0419 r i BC-Rwanda-Vote 08-09 0318``: service level and sequence number, priority
(f flash, b bulletin, u urgent, r regular, d deferred, a advance...), category, keyword (slug), date
(mm-dd) and word count. In the text, lines that start with ``^`` (and end with ``<`` or ``=``) are the
keyword line, the headline and the byline; the story's paragraphs are indented; the transmission
trailer (``AP-NY-08-09-24 1201EDT<``) and ``(END)`` are dropped, and AP's ``_`` dash becomes an em dash.
Every other framed transmission whose header is not IPTC 7901 comes here, and an unreadable header is
``invalid_wire_text``.
"""

from __future__ import annotations

import re

from schemas.article import Article, check_body, clean, clean_headline, stable_id
from schemas.errors import InvalidArticle
from schemas.formats.wiretext import framed, join_paragraphs, split_frame
from schemas.formats.xml import article

NAME = "anpa-1312"
_HEADER = re.compile(
    r"^(?P<seq>[a-zA-Z]\d{3,4})\s+(?P<priority>[a-zA-Z])\s+(?P<category>[a-zA-Z])\s+(?P<slug>\S+(?:\s+\S+)*?)"
    r"(?:\s+(?P<date>\d\d-\d\d))?(?:\s+(?P<words>\d{3,5}))?$"
)
_TRAILER = re.compile(
    r"^[A-Z]{2,5}(-[A-Z]{2,5})*-\d\d-\d\d-\d\d(\d\d)?\s+\d{4}[A-Z]{3,4}<?$|^\(END\)$|^\(?MORE\)?$"
)
_DATELINE = re.compile(r"^([A-Z][A-Za-z.' \-]+(?:, [A-Z][A-Za-z.' \-]+)? \([A-Za-z]+\))\s*[_\u2014\-]")
_URGENCY = {"f": 1, "b": 2, "u": 3, "r": 5, "d": 6, "a": 6, "s": 7, "w": 8}


def detect(text: str) -> bool:
    return framed(text)


def parse(text: str, stamp: str) -> list[Article | InvalidArticle]:
    frame = split_frame(text, NAME)
    m = _HEADER.match(" ".join(frame.header.split()))
    if not m:
        raise InvalidArticle("invalid_wire_text", f"unreadable ANPA-1312 header {frame.header[:80]!r}")
    slug = m["slug"]
    meta: dict = {"format": NAME, "slugline": clean(slug)}
    if (urgency := _URGENCY.get(m["priority"].lower())) is not None:
        meta["urgency"] = urgency
    headline = None
    byline: list[str] = []
    body_lines: list[str] = []
    for line in frame.text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("^") and not body_lines:
            value = stripped[1:].rstrip("<=").strip()
            key = slug.split(",")[0]
            if value.startswith(key) or value.startswith("BC-"):
                continue  # the keyword line repeats the header's slug
            if value.startswith(("By ", "BY ")) or (byline and stripped.endswith("=")):
                byline.append(value)
            elif headline is None:
                headline = value
            else:
                byline.append(value)
            continue
        if _TRAILER.match(stripped) or (not stripped and not body_lines):
            continue
        body_lines.append(line)
    body = check_body(join_paragraphs(body_lines).replace(" _ ", " \u2014 "), "ANPA-1312 text has no story")
    headline = clean_headline(headline)
    if byline:
        meta["byline"] = ", ".join(byline)
    if dateline := _DATELINE.match(body):
        meta["dateline"] = dateline.group(1)
    meta["headlines"] = [{"value": headline}] if headline else []
    if not meta["headlines"]:
        del meta["headlines"]
    art_id = stable_id(headline, body)  # the sequence number is reused every day: not an id
    return [article(art_id, headline, body, None, None, stamp, NAME, None, meta)]
