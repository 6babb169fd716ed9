"""Real articles for replays, load and fault tests: the BBC News corpus (``../shared/data/bbc_news``).

The corpus is read straight from its tarball (never copied into the repository). Each article becomes a
JSON payload with an id unique to the run, so a replay can account for every id it produced.
"""

import importlib.util
import tarfile
from collections.abc import Iterator
from pathlib import Path

import orjson

from streams.settings import get_settings


def shared_dir() -> Path:
    """The shared gold data and scorer next to the repository (``../shared``), never copied into it."""
    return get_settings().shared
BBC_TARBALL = Path("data") / "bbc_news" / "bbc-fulltext.tar.gz"


def load_nlp_eval():
    """The shared scorer (``../shared/tools/nlp_eval.py``) as a module: it is a script, not a package."""
    spec = importlib.util.spec_from_file_location("nlp_eval", shared_dir() / "tools" / "nlp_eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def bbc_texts(tarball: Path) -> Iterator[tuple[str, str]]:
    """``(name, text)`` per article, categories interleaved (``business/001``, ``entertainment/001``, ...)
    so any prefix is a mix. The corpus is UTF-8 except one Latin-1 byte (``sport/199.txt``), read with
    U+FFFD in its place."""
    texts = {}
    with tarfile.open(tarball) as tar:  # one sequential pass: seeking in a .tar.gz decompresses again
        for member in tar:
            if member.isfile() and member.name.endswith(".txt") and not member.name.endswith("README.TXT"):
                name = member.name.removeprefix("bbc/").removesuffix(".txt")
                texts[name] = tar.extractfile(member).read().decode("utf-8", "replace")
    for name in sorted(texts, key=lambda name: (Path(name).name, name)):
        yield name, texts[name]


def as_payload(article_id: str, text: str) -> bytes:
    """Seed-format text (headline line, blank line, body) as a JSON article with an explicit id."""
    headline, _, body = text.strip().partition("\n")
    return orjson.dumps({"id": article_id, "headline": headline.strip(), "body_text": body.strip()})


def bbc_payloads(tarball: Path, n: int, run: str, *, offset: int = 0) -> list[tuple[str, bytes]]:
    """``n`` BBC articles as ``(id, payload)``, ids ``bbc-<run>-<category>-<number>``. ``offset`` skips
    articles, so several replays of one run can use disjoint articles. The corpus has 2,225."""
    out = []
    for i, (name, text) in enumerate(bbc_texts(tarball)):
        if i < offset:
            continue
        if len(out) == n:
            break
        article_id = f"bbc-{run}-{name.replace('/', '-')}"
        out.append((article_id, as_payload(article_id, text)))
    if len(out) < n:
        raise ValueError(f"the BBC corpus has only {len(out) + offset} articles, asked for {n + offset}")
    return out
