"""Near-duplicate detection: MinHash signatures over word 3-shingles, LSH bands (datasketch).

An article whose estimated Jaccard similarity with an earlier one reaches ``THRESHOLD``, or which
shares ``CONTAINMENT`` of the shorter text's shingles with it (a trimmed or extended copy), is marked
``duplicate_of`` the *first* article of that story (the one that first claimed the matching LSH bands),
with the estimated ``similarity`` (Jaccard) and ``containment``. The index is two mappings, so the
logic runs the same over plain dicts (tests, evaluation) and over the Faust tables of
agents/tables.py:

* ``bands``: ``"<band>:<hash>"`` → the first article id that had this band;
* ``signatures``: article id → ``{"sig": base64 uint32 MinHash, "n": shingle count, "first": id of the
  story's first article}``.

Texts with fewer than ``MIN_SHINGLES`` shingles are not indexed: a one-line text says too little to
call anything a copy of it.
"""

from __future__ import annotations

import base64
import hashlib
import re

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

NUM_PERM = 128
THRESHOLD = 0.5  # estimated Jaccard similarity of the shingle sets, or else
CONTAINMENT = 0.8  # share of the shorter text's shingles found in the other (a trimmed copy)
MIN_SHINGLES = 8
SEED = 1  # fixed: signatures must agree across processes and restarts
# Candidates come from LSH tuned for a lower Jaccard, so that trimmed copies (low Jaccard, high
# containment) are found; the decision above is made on the estimates.
BANDS, ROWS = _optimal_param(0.3, NUM_PERM, 0.5, 0.5)
_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 3) -> set[bytes]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + n]).encode() for i in range(max(0, len(words) - n + 1))}


def signature(text: str) -> tuple[np.ndarray, int] | None:
    """(MinHash values, number of shingles), or None for a text too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    m = MinHash(num_perm=NUM_PERM, seed=SEED)
    m.update_batch(sorted(grams))
    return m.hashvalues.astype(np.uint32), len(grams)  # datasketch's hash values are below 2**32


def band_keys(sig: np.ndarray) -> list[str]:
    return [f"{b}:{hashlib.blake2b(sig[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).hexdigest()}"
            for b in range(BANDS)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(a == b)) / len(a)


def containment(jaccard: float, n_a: int, n_b: int) -> float:
    """Estimated |A ∩ B| / min(|A|, |B|), from the Jaccard estimate and the set sizes."""
    return min(1.0, jaccard * (n_a + n_b) / (1 + jaccard) / min(n_a, n_b))


def pack(sig: np.ndarray) -> str:
    return base64.b64encode(sig.astype("<u4").tobytes()).decode("ascii")


def unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u4")


def check_and_add(article_id: str, text: str, bands, signatures) -> dict | None:
    """Mark one article against the index, then index it; returns ``{"duplicate_of", "similarity"}``
    or None. Seeing the same id again (a re-delivery) never makes it a duplicate of itself."""
    found = signature(text)
    if found is None:
        return None
    sig, n = found
    keys = band_keys(sig)
    best: tuple[float, float, str] | None = None
    for cand in {bands.get(k) for k in keys} - {None, article_id}:
        entry = signatures.get(cand)
        if entry is None:
            continue
        sim = similarity(sig, unpack(entry["sig"]))
        cont = containment(sim, n, entry["n"])
        if (sim >= THRESHOLD or cont >= CONTAINMENT) and (best is None or (cont, sim) > best[:2]):
            best = (cont, sim, entry["first"])
    first = best[2] if best else article_id
    if first == article_id:
        first = (signatures.get(article_id) or {}).get("first", article_id)
    for k in keys:
        if bands.get(k) is None:
            bands[k] = article_id
    signatures[article_id] = {"sig": pack(sig), "n": n, "first": first}
    if best is None or first == article_id:
        return None
    return {"duplicate_of": first, "similarity": round(best[1], 3), "containment": round(best[0], 3)}
