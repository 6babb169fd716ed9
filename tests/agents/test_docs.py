"""The worker's hand-off of parsed Docs to its stage agents (agents/pipeline.py, Docs): what it keeps
costs memory in every worker under load, so what it keeps and for how long is asserted here."""

from types import SimpleNamespace

import pytest

from agents.parsing import parse_docs
from agents.pipeline import Docs
from agents.stages import STAGES
from agents.stages.docwire import doc_from_wire
from agents.stages.nlp import load_nlp
from schemas.codec import dumps
from tests.support import seed_body

TEXT = 'The minister said on Tuesday that "talks will resume in Geneva next week".'


def parsed(n: int = 1):
    return parse_docs([TEXT] * n)


def event(instance: str, wire: str):
    return SimpleNamespace(value={"instance": instance, "doc": wire})


def test_a_handed_off_doc_keeps_no_tensor_memory():
    (p,) = parsed()
    assert p.doc.tensor.nbytes > 0  # tok2vec's output, before the hand-off
    Docs().hand_off("0:1", p.doc)
    assert p.doc.tensor.nbytes == 0
    assert p.doc.tensor.base is None  # not a view that would keep the original array alive


def test_the_parsing_worker_hands_each_stage_the_same_doc_then_forgets_it():
    (p,) = parsed()
    docs = Docs()
    docs.hand_off("0:1", p.doc)
    got = [docs.of(event("0:1", p.wire)) for _ in STAGES]
    assert all(doc is p.doc for doc in got)
    assert len(docs) == 0  # every stage read it: nothing of it stays behind in the worker


def test_a_doc_parsed_elsewhere_is_rebuilt_once_for_all_stages():
    (p,) = parsed()
    docs = Docs()
    first = docs.of(event("2:7", p.wire))
    assert first is not p.doc and [t.text for t in first] == [t.text for t in p.doc]
    assert [t.dep_ for t in first] == [t.dep_ for t in p.doc]
    rest = [docs.of(event("2:7", p.wire)) for _ in range(len(STAGES) - 1)]
    assert all(doc is first for doc in rest)
    assert len(docs) == 0


def test_docs_no_stage_here_reads_are_bounded():
    docs = Docs()
    (p,) = parsed()
    for n in range(Docs.KEPT + 10):
        docs.hand_off(f"0:{n}", p.doc)
    assert len(docs) == Docs.KEPT
    # The oldest went first; reading it again only costs a rebuild from its JSON.
    assert docs.of(event("0:0", p.wire)) is not p.doc


def test_the_wire_form_is_a_fraction_of_the_json_form():
    (p,) = parse_docs([seed_body()])
    assert isinstance(p.wire, str) and len(p.wire) < len(dumps(p.doc.to_json())) / 3


def test_a_message_that_is_not_a_doc_raises_for_the_stage_to_report():
    """The stage agent turns this into an error part, which the join dead-letters as stage_failed."""
    with pytest.raises(ValueError):
        doc_from_wire("not base64 at all!", load_nlp().vocab)
