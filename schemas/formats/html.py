"""HTML (and NITF) bodies reduced to text: block elements become paragraph breaks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML collapses ASCII whitespace only (keeps NBSP etc.)


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


def html_to_text(html: str, only_within: str | None = None) -> str:
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
