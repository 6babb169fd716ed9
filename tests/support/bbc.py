"""BBC News articles (../shared/data/bbc_news, research use only: read in place, never copied)."""

import random
import tarfile

from streams.replay.corpus import BBC_TARBALL, shared_dir

TARBALL = shared_dir() / BBC_TARBALL


def bbc_articles() -> list[tuple[str, str, str]]:
    """(name, headline, body) for every article, in a stable order."""
    out = []
    with tarfile.open(TARBALL) as tar:
        for m in sorted(tar.getmembers(), key=lambda m: m.name):
            if m.isfile() and m.name.endswith(".txt") and m.name.count("/") == 2:
                text = tar.extractfile(m).read().decode("utf-8", "replace")
                headline, _, body = text.partition("\n")
                out.append((m.name, headline.strip(), body.strip()))
    return out


EDITS = ("trim", "words", "wrap", "reorder", "mixed")


def edited(body: str, kind: str, rng: random.Random) -> str:
    """A copy as another outlet would publish it."""
    paras = [p for p in body.split("\n\n") if p.strip()]
    if kind == "trim":  # the first 70% of the paragraphs
        return "\n\n".join(paras[: max(1, int(len(paras) * 0.7))])
    if kind == "words":  # one word in ten replaced
        words = body.split(" ")
        for i in rng.sample(range(len(words)), len(words) // 10):
            words[i] = rng.choice(["said", "the", "reported", "also", "new"])
        return " ".join(words)
    if kind == "wrap":  # dateline and credit line added
        return "LONDON (Wire) - " + body + "\n\nReporting by Jane Doe; editing by John Roe."
    if kind == "reorder":  # first paragraph moved to the end
        return "\n\n".join(paras[1:] + paras[:1])
    # mixed: dateline added, last paragraph dropped, a phrase reworded
    return "LONDON (Wire) - " + "\n\n".join(paras[:-1]).replace(" said ", " told reporters ")
