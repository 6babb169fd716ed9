"""The validate agent's parse in a child process (agents/parsing.py): the same Docs and stage results as
in the worker, a text that kills the child dead-lettered alone, no child left behind by a killed worker."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from agents.parsing import Parsed, ParseFailed, ProcessParser, parse_docs
from agents.stages import STAGES
from agents.stages.docwire import doc_from_wire
from agents.stages.nlp import load_nlp, wire_vocab
from tests.support import REPO, seed_body

CRASH = "KILL-THE-PARSER"


def crash_on_marker(texts, max_words):
    """Run in the child: dies the way a crash inside spaCy would (no exception, no reply)."""
    from agents.parsing import _child_parse

    if any(CRASH in t for t in texts):
        os._exit(70)
    return _child_parse(texts, max_words)


@pytest.fixture
def child():
    parser = ProcessParser(work=crash_on_marker)
    yield parser
    parser.close()


def summary(doc):
    return ([(t.text, t.tag_, t.dep_, t.head.i, t.lemma_, t.ent_type_) for t in doc],
            [(e.start, e.end, e.label_) for e in doc.ents], [s.start for s in doc.sents])


def test_the_child_parses_what_the_worker_would(child):
    texts = [seed_body(), "Reed said the plan was dead.", "Prices rose again in May."]
    out = asyncio.run(child.parse(texts, 6000))
    assert all(isinstance(p, Parsed) and p.doc is None for p in out)
    here = parse_docs(texts, 6000)
    vocab = load_nlp().vocab
    assert [summary(doc_from_wire(p.wire, vocab)) for p in out] == [summary(p.doc) for p in here]
    # and the stages ran there on it: the outcomes the worker's stage agents publish
    for p, h in zip(out, here, strict=True):
        assert {name: o.result for name, o in p.outcomes.items()} == {
            name: fn(h.doc) for name, fn in STAGES.items()}
        assert all(o.error is None and o.seconds > 0 for o in p.outcomes.values())


def test_a_stage_that_fails_in_the_child_is_an_error_outcome_not_a_lost_batch(monkeypatch):
    """run_stages is what the child runs per Doc; a stage's exception becomes that stage's error."""
    from agents import parsing

    def broken(doc):
        raise ValueError("no quotes today")

    monkeypatch.setitem(parsing.STAGES, "quotes", broken)
    (p,) = parse_docs(["Reed said the plan was dead."], 6000)
    outcomes = parsing.run_stages(p.doc)
    assert outcomes["quotes"].error == "ValueError: no quotes today" and outcomes["quotes"].result is None
    assert outcomes["sentiment"].error is None and outcomes["sentiment"].result


def test_a_text_that_kills_the_child_fails_alone_and_the_rest_are_parsed(child):
    texts = ["Reed said the plan was dead.", f"This one {CRASH} kills it.", "Prices rose again in May."]
    out = asyncio.run(child.parse(texts, 6000))
    assert isinstance(out[1], ParseFailed) and "died" in str(out[1])
    assert [doc_from_wire(out[i].wire, load_nlp().vocab).text for i in (0, 2)] == [texts[0], texts[2]]
    # and the parser goes on with a new child
    (again,) = asyncio.run(child.parse(["The board met on Monday."], 6000))
    assert isinstance(again, Parsed)


WORKER = """
import sys, time
from agents.parsing import ProcessParser
print(ProcessParser().warm(), flush=True)
time.sleep(600)
"""


def test_the_child_dies_with_a_killed_worker():
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(worker.stdout.readline())
        assert psutil.Process(child_pid).ppid() == worker.pid
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 10
        while psutil.pid_exists(child_pid) and psutil.Process(child_pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the parse process outlived its worker"
            time.sleep(0.1)
    finally:
        worker.kill()


def test_the_child_ignores_a_ctrl_c_meant_for_the_worker(child):
    # A shell's background job starts with SIGINT ignored, and a child would inherit that: start this
    # one as a terminal's worker would, with Python's own KeyboardInterrupt handler.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        pid = child.warm()
    finally:
        signal.signal(signal.SIGINT, before)
    os.kill(pid, signal.SIGINT)
    time.sleep(0.5)
    (p,) = asyncio.run(child.parse(["Reed said the plan was dead."], 6000))
    assert isinstance(p, Parsed)
    assert child.warm() == pid  # the same child: it was not restarted behind the worker's back


def test_the_stages_read_the_same_from_a_doc_rebuilt_in_the_blank_vocab():
    """A worker whose parse runs in its child rebuilds every Doc in wire_vocab(), not the model's."""
    texts = [seed_body(), "“We will not back down,” Mayor Tom Reed told BBC News on Monday."]
    for p in parse_docs(texts, 6000):
        in_model = {name: fn(doc_from_wire(p.wire, load_nlp().vocab)) for name, fn in STAGES.items()}
        in_blank = {name: fn(doc_from_wire(p.wire, wire_vocab())) for name, fn in STAGES.items()}
        assert in_blank == in_model
        assert in_blank["entities"] and in_blank["sentiment"]
