"""The messages agents pass each other on articles.parsed and articles.partial, as typed dicts (JSON on
the wire, via schemas/codec.py)."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class Source(TypedDict):
    """Where the raw message of an article was read (dead letters and the join report it)."""

    topic: str
    partition: int
    offset: int


class Ref(TypedDict):
    """Which article a message is about: its id, the instance (``"p:offset[/index]"``) and source."""

    id: str
    instance: str
    source: Source


class ParsedMessage(Ref):
    """articles.parsed: an article's spaCy Doc (agents/stages/docwire.py), for the stage agents. The
    article's fields travel once, as its own part on articles.partial."""

    doc: str


class Part(Ref):
    """articles.partial: one stage's result (or its error), or the article itself (stage "article")."""

    stage: str
    result: NotRequired[object]
    error: NotRequired[str]
    skipped: NotRequired[dict]
