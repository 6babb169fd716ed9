"""What the legacy wire transmissions (ANPA-1312, IPTC 7901) share: the control-character framing
``[SYN SYN] SOH header STX text ETX [trailer] [EOT]``, and text lines into paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.errors import InvalidArticle

SYN, SOH, STX, ETX, EOT = "\x16", "\x01", "\x02", "\x03", "\x04"
_LEAD = SYN + " \t\r\n"


@dataclass(frozen=True)
class Frame:
    header: str
    text: str
    trailer: str


def framed(text: str) -> bool:
    """Starts with SOH (after optional SYN characters) and has STX soon after: a wire transmission."""
    start = text.lstrip(_LEAD)
    return start[:1] == SOH and STX in start[:512]


def header_of(text: str) -> str:
    start = text.lstrip(_LEAD)
    return start[1:start.find(STX)].strip() if framed(text) else ""


def split_frame(text: str, fmt: str) -> Frame:
    start = text.lstrip(_LEAD)
    stx = start.find(STX)
    end = start.find(ETX, stx)
    if end < 0:
        raise InvalidArticle("invalid_wire_text", f"{fmt} transmission has no ETX after its text (cut off?)")
    if SOH in start[stx:end]:
        raise InvalidArticle("invalid_wire_text", f"{fmt} transmission has a second SOH inside its text")
    return Frame(start[1:stx].strip(), start[stx + 1 : end], start[end + 1 :].strip(EOT + _LEAD))


def join_paragraphs(lines: list[str]) -> str:
    """Wire body lines into paragraphs: a blank line or an indented line (tab, or 2+ spaces) starts a new
    paragraph; other lines continue the current one."""
    paras: list[list[str]] = []
    fresh = True
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            fresh = True
            continue
        if fresh or re.match(r"^(\t| {2,})", line):
            paras.append([])
        paras[-1].append(line.strip())
        fresh = False
    return "\n\n".join(" ".join(p) for p in paras)
