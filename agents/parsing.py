"""Where the validate agent's spaCy parse runs: a child process of the worker (the default) or a thread.

In a thread, spaCy and the event loop share one GIL: the worker kept about one core busy and the parse
waited while the loop sent a batch and committed (README, "Load test and benchmark"). A child process
parses beside the loop on another core, runs the three stages on the Doc it just parsed, and hands back
their outcomes with the Doc's wire form (agents/stages/docwire.py): this worker's stage agents publish
the outcomes, any other worker's (after a rebalance) rebuild the Doc from articles.parsed. A text that
kills the child (a crash inside spaCy) is found by parsing the batch again one text at a time, and is
dead-lettered instead of taking the worker down.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import functools
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

from spacy.tokens import Doc

from agents import metrics
from agents.stages import STAGES
from agents.stages.docwire import doc_to_wire
from agents.stages.nlp import load_nlp

log = logging.getLogger(__name__)


class Parsed(NamedTuple):
    doc: Doc | None  # handed to this process's stage agents (None: parsed in the child)
    wire: str  # what articles.parsed carries, for any worker (agents/stages/docwire.py)
    #: Parsed in the child: each stage's outcome there, by stage name (see StageOutcome), for this
    #: worker's stage agents, which then need no Doc; the wire form stays for any other worker.
    outcomes: dict | None = None


class StageOutcome(NamedTuple):
    """What one stage gave on a Doc in the child: its result, or its error as "Type: message"."""

    result: object = None
    error: str | None = None
    seconds: float = 0.0


class ParseFailed(Exception):
    """spaCy failed on one text: its exception as "Type: message" (the same from the child process)."""


def word_budget_chunks(texts: list[str], max_words: int) -> list[list[str]]:
    """Consecutive runs of texts holding at most max_words words each (a longer text alone): spaCy's
    memory in flight grows with the words of a batch, its cost per article falls with the articles in
    it, so a batch is bounded by words rather than by articles."""
    chunks: list[list[str]] = []
    words = max_words + 1
    for text in texts:
        n = len(text.split())
        if words + n > max_words:
            chunks.append([])
            words = 0
        chunks[-1].append(text)
        words += n
    return chunks


def parse_docs(texts: list[str], max_words: int | None = None) -> list[Parsed | ParseFailed]:
    """spaCy over a batch, in runs of at most max_words words; one bad text must not take the batch
    down with it."""
    if max_words is None:
        return _parse_run(texts)
    return [p for chunk in word_budget_chunks(texts, max_words) for p in _parse_run(chunk)]


def _parse_run(texts: list[str]) -> list[Parsed | ParseFailed]:
    nlp = load_nlp()
    try:
        return [Parsed(doc, doc_to_wire(doc)) for doc in nlp.pipe(texts, batch_size=max(len(texts), 1))]
    except Exception:  # noqa: BLE001 - retried one by one to find the culprit
        out: list[Parsed | ParseFailed] = []
        for text in texts:
            try:
                doc = nlp(text)
                out.append(Parsed(doc, doc_to_wire(doc)))
            except Exception as exc:  # noqa: BLE001
                out.append(ParseFailed(f"{type(exc).__name__}: {exc}"))
        return out


# --- in the child process ------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _child_init(parent: int) -> None:
    """The child dies with the worker, even when the worker is killed (SIGKILL leaves no time to stop
    it), and leaves SIGINT/SIGTERM to the worker: a Ctrl-C reaches the whole process group, and the
    worker's graceful shutdown still needs the parse of the batch in hand."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own pipes still end it with the worker
        pass
    if os.getppid() != parent:  # the worker died before prctl took effect
        os._exit(1)
    load_nlp()


def _child_parse(texts: list[str], max_words: int | None) -> list[Parsed | ParseFailed]:
    """The wire form (a Doc does not pickle cheaply; its DocBin bytes are what travels anyway) and the
    stages' outcomes on the Doc just parsed: rebuilding it in the worker from those bytes would cost the
    worker's event loop more than the stages themselves cost here."""
    return [Parsed(None, p.wire, run_stages(p.doc)) if isinstance(p, Parsed) else p
            for p in parse_docs(texts, max_words)]


def run_stage(name: str, call: Callable[..., object], *args, about: str = "") -> StageOutcome:
    """One stage's outcome, in the child or in a worker's stage agent: ``call(*args)``'s result, or its
    exception as the error the join dead-letters; and how long it took."""
    start = time.perf_counter()
    try:
        return StageOutcome(result=call(*args), seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - reported by the join as a dead letter
        log.exception("stage %s failed%s", name, about)
        return StageOutcome(error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - start)


def run_stages(doc: Doc) -> dict[str, StageOutcome]:
    return {name: run_stage(name, fn, doc, about=" in the parse process") for name, fn in STAGES.items()}


def _child_ready() -> int:
    return os.getpid()


# --- in the worker -------------------------------------------------------------------------------


class ThreadParser:
    """spaCy in the event loop's default thread pool, this process's model."""

    async def parse(self, texts: list[str], max_words: int | None) -> list[Parsed | ParseFailed]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, timed_parse, texts, max_words)

    def warm(self) -> None:
        load_nlp()

    def close(self) -> None:
        pass


class ProcessParser:
    """spaCy in one child process, started (and its model loaded) by :meth:`warm` or the first parse."""

    def __init__(self, work=None) -> None:
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._work = work or _child_parse  # what the child runs on a batch (tests: one that crashes)

    def _started(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the worker has threads (aiokafka, the event loop's executor) by now
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_init, initargs=(os.getpid(),))
        return self._pool

    def warm(self) -> int:
        """Start the child and load its model; its pid."""
        return self._started().submit(_child_ready).result()

    def close(self, wait: bool = True) -> None:
        """Stop the child (the next parse starts a new one); wait=False for a child already dead."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    async def _in_child(self, texts: list[str], max_words: int | None) -> list[Parsed | ParseFailed]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._started(), self._work, texts, max_words)

    async def parse(self, texts: list[str], max_words: int | None) -> list[Parsed | ParseFailed]:
        with metrics.STAGE_SECONDS.labels(stage="parse").time():
            try:
                return await self._in_child(texts, max_words)
            except BrokenProcessPool:
                log.error("the parse process died on a batch of %d; parsing it again one by one", len(texts))
                self.close(wait=False)
                return [await self._alone(text, max_words) for text in texts]

    async def _alone(self, text: str, max_words: int | None) -> Parsed | ParseFailed:
        try:
            (parsed,) = await self._in_child([text], max_words)
            return parsed
        except BrokenProcessPool:
            log.error("the parse process died on one text of %d characters", len(text))
            self.close(wait=False)
            return ParseFailed("the spaCy process died parsing this text")


timed_parse = metrics.timed("parse", parse_docs)


@functools.cache
def parser(child: bool) -> ThreadParser | ProcessParser:
    """This process's parser: in a child process or in a thread ($WIRESTREAM_PARSE_PROCESS); one child
    at most per worker, shared by the validate agent's batches."""
    return ProcessParser() if child else ThreadParser()
