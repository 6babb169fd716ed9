"""IPTC 7901 wire text (dpa and the European agencies): ``SOH`` header ``STX`` text ``ETX`` trailer.

The header is ``dpa0356 4 pl 312 ...``: source and message number, priority (1 flash ... 6), subject
category (``pl`` politics, ``wi`` economy, ``sp`` sport, ...), word count, then optional keywords. The
text is the keyword (slug) line, the headline, then the body, paragraphs indented or separated by
blank lines; the trailer after ETX (editor's initials, date and time) is not part of the story. IPTC
7901 text is ISO-8859-1 when it is not UTF-8 (schemas/formats/encoding.py).
"""

from __future__ import annotations

import re

from schemas.article import Article, check_body, clean, clean_headline, stable_id
from schemas.errors import InvalidArticle
from schemas.formats.wiretext import framed, header_of, join_paragraphs, split_frame
from schemas.formats.xml import article

NAME = "iptc-7901"
_HEADER = re.compile(
    r"^(?P<source>[A-Za-z]{2,8})\s?(?P<seq>\d{3,5})\s+(?P<priority>[1-6])\s+(?P<category>[a-z]{2,3})"
    r"\s+(?P<words>\d{1,5})(?:\s+(?P<rest>.*))?$"
)
_DATELINE = re.compile(r"^(\w[\w.' \-/]*? \([A-Za-z]+\))\s*[\-\u2013\u2014]\s")


def detect(text: str) -> bool:
    return framed(text) and _HEADER.match(" ".join(header_of(text).split())) is not None


def parse(text: str, stamp: str) -> list[Article | InvalidArticle]:
    frame = split_frame(text, NAME)
    m = _HEADER.match(" ".join(frame.header.split()))
    if not m:
        raise InvalidArticle("invalid_wire_text", f"unreadable IPTC 7901 header {frame.header[:80]!r}")
    lines = frame.text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if len(lines) < 2:
        raise InvalidArticle("missing_body", "IPTC 7901 text has no headline and body after its keyword line")
    slug, headline = lines[0].strip(), clean_headline(lines[1])
    text = join_paragraphs(lines[2:]) or None
    body = check_body(text, "IPTC 7901 text has a keyword line and headline only")
    meta: dict = {"format": NAME, "urgency": int(m["priority"]), "provider": m["source"]}
    if slug:
        meta["slugline"] = clean(slug)
    if headline:
        meta["headlines"] = [{"value": headline}]
    if dateline := _DATELINE.match(body):
        meta["dateline"] = dateline.group(1)
    return [article(stable_id(headline, body), headline, body, None, None, stamp, NAME, None, meta)]
