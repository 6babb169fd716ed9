"""RSS 2.0 (``<rss>``) and RSS 1.0 (``<rdf:RDF>``) feeds: one article per item (schemas/formats/feed.py)."""

from __future__ import annotations

from schemas.article import Article
from schemas.errors import InvalidArticle
from schemas.formats.feed import RDF, parse_feed
from schemas.formats.xml import local, root_name, xml_root

NAME = "rss"


def detect(text: str) -> bool:
    return root_name(text) in ("rss", "RDF")


def parse(text: str, stamp: str) -> list[Article | InvalidArticle] | None:
    root = xml_root(text)
    if root is None:
        return None
    if local(root.tag) != "rss" and root.tag != RDF:
        raise InvalidArticle("unsupported_format", f"XML root <{root.tag}> is not RSS 2.0 or RSS 1.0")
    return parse_feed(text, stamp, NAME)
