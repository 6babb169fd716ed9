"""Every input format, in detection order: the one place that lists them (``wirestream formats`` prints
this table). Each format is a module under schemas/formats/ with ``detect(text) -> bool`` and
``parse(text, stamp) -> list[Article | InvalidArticle] | None`` (None: not this format after all, e.g.
plain text that starts with "<"; the next format is tried). The text is already decoded
(schemas/formats/encoding.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from schemas.formats import anpa, atom, iptc7901, jsonitem, newsml1, newsmlg2, nitf, rss, text, xml


@dataclass(frozen=True)
class Format:
    name: str  #: as in ``Article.source_format`` (ninjs: ninjs-1/2/3 by version)
    rule: str  #: how it is recognised, in words
    example: str  #: a sample in this repository
    module: ModuleType

    @property
    def detect(self) -> Callable[[str], bool]:
        return self.module.detect

    @property
    def parse(self) -> Callable:
        return self.module.parse


FORMATS: tuple[Format, ...] = (
    Format("iptc-7901", "SOH ... STX framing whose header is 'source+number priority(1-6) category words'",
           "tests/data/formats/dpa-style.iptc7901.txt", iptc7901),
    Format("anpa-1312", "any other SOH ... STX ... ETX framing (header 'a0419 r i KEYWORD mm-dd words')",
           "tests/data/formats/ap-style.anpa1312.txt", anpa),
    Format("json / ninjs", "starts with { or [ (ninjs 1-3 by shape; item/items/data responses unwrapped)",
           "tests/data/formats/ninjs1-html.json", jsonitem),
    Format("newsml-g2", "XML root newsMessage, newsItem or packageItem (or another G2 item)",
           "tests/data/formats/newsmlg2-message.xml", newsmlg2),
    Format("newsml-1.2", "XML root NewsML", "tests/data/formats/afp-style.newsml12.xml", newsml1),
    Format("nitf", "XML root nitf", "tests/data/formats/ap-style.nitf.xml", nitf),
    Format("rss", "XML root rss (2.0) or rdf:RDF (1.0)", "tests/data/formats/reuters-style.rss.xml", rss),
    Format("atom", "XML root Atom feed", "tests/data/formats/newsroom.atom.xml", atom),
    Format("xml (other)", "any other XML root: refused as unsupported_format", "-", xml),
    Format("text", "anything else: a headline line, a blank line, then the body", "seeds/", text),
)


def parse_text(decoded: str, stamp: str) -> list:
    """The articles of a decoded payload: the first format that detects and parses it."""
    for fmt in FORMATS:
        if fmt.detect(decoded) and (found := fmt.parse(decoded, stamp)) is not None:
            return found
    raise AssertionError("the text format accepts everything")  # pragma: no cover
