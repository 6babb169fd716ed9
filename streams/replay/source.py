"""What ``wirestream replay`` sends: articles read from files, directories or a tarball, and the
schedule that cycles through them with fresh ids when more articles are asked for than the set holds.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import orjson

from schemas.article import Article
from schemas.errors import InputPathError, InvalidArticle
from schemas.formats import parse_raw
from schemas.formats.files import iter_payloads

TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar")


@dataclass(frozen=True)
class Item:
    """One message to replay. ``id`` is None for unreadable input, which comes out as an id-less dead
    letter (it is replayed too: dead-lettering is part of the load)."""

    id: str | None
    payload: bytes
    words: int


def is_tarball(path: str) -> bool:
    return path.endswith(TARBALL_SUFFIXES) and Path(path).is_file()


def _skipped(name: str) -> bool:
    """Hidden files, and dataset documentation such as the BBC corpus' README.TXT."""
    base = PurePosixPath(name).name
    return base.startswith(".") or base.upper().startswith("README")


def read_tarball(path: str) -> Iterator[tuple[str, bytes]]:
    """(origin, payload) for every regular file in a tarball, in name order."""
    try:
        with tarfile.open(path) as tf:
            members = sorted((m for m in tf if m.isfile() and not _skipped(m.name)), key=lambda m: m.name)
            for m in members:
                yield f"{path}:{m.name}", tf.extractfile(m).read()
    except (OSError, tarfile.TarError) as exc:
        raise InputPathError(f"cannot read tarball {path!r}: {exc}") from None


def read_inputs(paths: list[str]) -> list[tuple[str, bytes]]:
    """(origin, payload) from files, directories (recursive) and tarballs, in the order given."""
    out: list[tuple[str, bytes]] = []
    for path in paths:
        if is_tarball(path):
            out += read_tarball(path)
        else:
            out += [(o, p) for o, p in iter_payloads([path]) if not _skipped(o)]
    return out


def words(text: str) -> int:
    return len(text.split())


def to_items(payloads: list[bytes]) -> tuple[list[Item], dict[str, Article]]:
    """Items for the payloads, and the parsed article of each readable one (by id) to clone from.
    A payload whose id already occurred is kept, but replayed under a fresh id (see ``schedule``)."""
    items, articles = [], {}
    for payload in payloads:
        try:
            article = parse_raw(payload)
        except InvalidArticle:
            items.append(Item(None, payload, 0))
            continue
        articles.setdefault(article.id, article)
        items.append(Item(article.id, payload, words(article.body_text)))
    return items, articles


def fresh_id(original: str, cycle: int) -> str:
    return f"{original}-r{cycle}"


def clone(article: Article, new_id: str) -> bytes:
    """The same article under another id, as plain JSON."""
    return orjson.dumps({"id": new_id, "headline": article.headline, "body_text": article.body_text,
                         "language": article.language})


def schedule(items: list[Item], articles: dict[str, Article], count: int) -> Iterator[Item]:
    """``count`` items cycling through ``items``. The first pass sends the payloads unchanged (so every
    input format is exercised); each later pass n sends the articles again as ``<id>-r<n>``, so every
    replayed article has an id of its own and can be accounted for. Unreadable input is resent as is."""
    if not items:
        return
    used: set[str] = set()
    for i in range(count):
        cycle, item = divmod(i, len(items))[0], items[i % len(items)]
        if item.id is None:
            yield item
            continue
        n = cycle
        new_id = item.id if n == 0 else fresh_id(item.id, n)
        while new_id in used:  # a later pass, or the same article twice in the set
            n += 1
            new_id = fresh_id(item.id, n)
        used.add(new_id)
        yield item if new_id == item.id else Item(new_id, clone(articles[item.id], new_id), item.words)
