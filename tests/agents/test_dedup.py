"""Near-duplicate detection (agents/enrichment/dedup.py) on BBC articles and edited copies of them."""

import random

import pytest

from agents.enrichment.dedup import check_and_add, containment, shingles
from tests.support.bbc import EDITS, bbc_articles, edited


def true_overlap(a: str, b: str) -> tuple[float, float]:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb), len(sa & sb) / min(len(sa), len(sb))


@pytest.fixture(scope="module")
def corpus():
    return bbc_articles()[::3]  # 742 articles across all five sections


def test_precision_and_recall_on_edited_copies(corpus):
    bands, sigs = {}, {}
    bodies = {name: body for name, _, body in corpus}
    marks = {name: check_and_add(name, body, bands, sigs) for name, body in bodies.items()}
    flagged = [(name, mark) for name, mark in marks.items() if mark]
    # The corpus has its own republished stories; every one flagged must really overlap (precision).
    for name, mark in flagged:
        jac, cont = true_overlap(bodies[name], bodies[mark["duplicate_of"]])
        assert jac >= 0.4 or cont >= 0.7, (name, mark, jac, cont)
    rng = random.Random(5)
    originals = rng.sample(sorted(bodies), 250)
    found, wrong = {k: 0 for k in EDITS}, 0
    for i, name in enumerate(originals):
        kind = EDITS[i % len(EDITS)]
        mark = check_and_add(f"copy-{i}", edited(bodies[name], kind, rng), bands, sigs)
        if mark is None:
            continue
        if mark["duplicate_of"] == sigs[name]["first"]:
            found[kind] += 1
            assert 0 < mark["similarity"] <= 1 and 0 < mark["containment"] <= 1
        else:
            wrong += 1
    per_kind = len(originals) // len(EDITS)
    assert wrong == 0  # no copy attributed to another story
    assert found["wrap"] == found["reorder"] == per_kind
    assert found["words"] >= 0.9 * per_kind
    assert sum(found.values()) >= 0.85 * len(originals), found


def test_distinct_articles_are_not_duplicates(corpus):
    bands, sigs = {}, {}
    # Ten sport stories about different events: none is a copy of another.
    distinct = [body for name, _, body in corpus if "/sport/" in name]
    picked = []
    for body in distinct:
        if all(max(true_overlap(body, p)) < 0.2 for p in picked):
            picked.append(body)
        if len(picked) == 40:
            break
    assert [check_and_add(f"d{i}", b, bands, sigs) for i, b in enumerate(picked)] == [None] * len(picked)


def test_first_seen_wins_and_redelivery_is_not_a_duplicate(corpus):
    bands, sigs = {}, {}
    _, _, body = corpus[0]
    assert check_and_add("a", body, bands, sigs) is None
    copy = "PARIS (AFP) - " + body
    assert check_and_add("b", copy, bands, sigs)["duplicate_of"] == "a"
    assert check_and_add("c", copy + " Updated.", bands, sigs)["duplicate_of"] == "a"  # not "b"
    assert check_and_add("a", body, bands, sigs) is None  # the same id again
    assert check_and_add("b", copy, bands, sigs)["duplicate_of"] == "a"
    assert check_and_add("short", "Too short to judge.", bands, sigs) is None


def test_containment_estimate():
    assert containment(1.0, 100, 100) == 1.0
    assert containment(0.5, 100, 50) == pytest.approx(1.0)
    assert containment(0.25, 100, 100) == pytest.approx(0.4)
