"""Several workers joining and leaving while articles flow (issue 16): nothing lost, nothing doubled
(read_committed, streams/accounting.py), and the tables that span partitions stay right.

Articles are sent at a steady rate while the faults happen (``Pipeline.replay_flowing``), so every join,
stop and kill lands on a pipeline with articles in flight. Each test has its own topics and consumer
group on the session broker; the workers create the topics (none exists before they start).
"""

import asyncio
import json
import signal
import subprocess
import sys
import urllib.request

import orjson
import pytest

from agents.enrichment.trending import contributions
from streams.client.io import open_producer
from tests.support.faults import Pipeline, articles, wait_ready
from tests.support.webworker import free_port

pytestmark = [pytest.mark.broker, pytest.mark.slow]

RATE = 3.0  # articles sent per second while the workers come and go
TAIL = 15  # articles sent after the last fault
TIMEOUT = 150.0  # a safety net for a stuck pipeline, not a speed requirement


@pytest.fixture
def pipeline(bootstrap, tmp_path):
    pipe = Pipeline(bootstrap, tmp_path, name="scale")
    yield pipe
    pipe.close()


def start(pipe: Pipeline, n: int, **env):
    return pipe.start_worker(log=pipe.log.with_name(f"{pipe.run}-worker-{n}.log"), env=env)


def logs(pipe: Pipeline) -> str:
    return "\n".join(f"--- {w.log_path}\n{w.log_tail(25)}" for w in pipe.workers)


def test_three_workers_one_joins_and_one_is_stopped_mid_replay(pipeline):
    first, second = start(pipeline, 0), start(pipeline, 1)
    wait_ready([first, second])

    def join():
        wait_ready([start(pipeline, 2)])

    def leave():
        first.stop()  # SIGTERM: the worker commits what it has and leaves the group

    out, ids, at = asyncio.run(pipeline.replay_flowing(
        articles(150, pipeline.run), [(8, join), (8, leave)], rate=RATE, tail=TAIL, timeout=TIMEOUT))
    assert out.problems(ids) == {}, f"faults at {at} of {len(ids)} sent\n{logs(pipeline)}"
    assert len(out.enriched) + len(out.deadletters) == len(ids)
    assert first.proc.returncode != -signal.SIGKILL, "the SIGTERMed worker had to be killed"
    assert [w.alive() for w in pipeline.workers] == [False, True, True]


def test_worker_sigkilled_while_another_joins(pipeline):
    first, second = start(pipeline, 0), start(pipeline, 1)
    wait_ready([first, second])

    def kill_while_joining():
        third = start(pipeline, 2)
        wait_ready([third], line="(Re-)joining group")  # its JoinGroup is on the way: a rebalance begins
        second.kill()
        wait_ready([third])  # after the killed member's session (10 s) expired

    out, ids, at = asyncio.run(pipeline.replay_flowing(
        articles(150, pipeline.run, offset=300), [(8, kill_while_joining)], rate=RATE, tail=TAIL,
        timeout=TIMEOUT))
    assert out.problems(ids) == {}, f"kill at {at} of {len(ids)} sent\n{logs(pipeline)}"
    assert len(out.enriched) + len(out.deadletters) == len(ids)
    assert [w.alive() for w in pipeline.workers] == [True, False, True]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def test_dedup_and_trending_span_both_workers_partitions(bootstrap, tmp_path):
    """Two workers, each with its own partitions: a copy handled on one worker's partition is found
    to be a copy of the original handled on the other's (the GlobalTable index), and trending counts
    from both workers' partitions add up."""
    from tests.support.bbc import bbc_articles

    pipe = Pipeline(bootstrap, tmp_path, name="tables")
    ports = [free_port(), free_port()]
    try:
        workers = [start(pipe, n, WIRESTREAM_WEB_PORT=str(port)) for n, port in enumerate(ports)]
        wait_ready(workers)
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        held = [get_json(f"{url}/trending")["partitions"] for url in urls]
        assert held[0] and held[1] and not set(held[0]) & set(held[1]), held

        _, headline, body = bbc_articles()[10]
        original = {"id": f"{pipe.run}-original", "headline": headline, "body_text": body}
        copy = {"id": f"{pipe.run}-copy", "headline": headline + " - update",
                "body_text": "LONDON (Wire) - " + body + "\n\nReporting by Jane Doe."}
        # Too short to be indexed as a duplicate (under 8 word 3-shingles): both count for trending.
        trend = "Josep Borrell met Kazuo Ueda in Tokyo on Friday."
        trends = [{"id": f"{pipe.run}-trend-{n}", "headline": "Talks", "body_text": trend} for n in (0, 1)]

        async def send(items: list[tuple[dict, int]]) -> dict:
            producer = await open_producer(bootstrap)
            try:
                for item, partition in items:
                    await producer.send_and_wait(pipe.topic("raw"), orjson.dumps(item),
                                                 key=item["id"].encode(), partition=partition)
            finally:
                await producer.stop()
            async with pipe.reader() as reader:
                out = await pipe.collect(reader, {item["id"] for item, _ in items}, timeout=TIMEOUT)
            assert not out.missing(item["id"] for item, _ in items), logs(pipe)
            return out.enriched

        # The original is out (its index entries committed) before the copy is sent to the other worker.
        first = asyncio.run(send([(original, held[0][0]), (trends[0], held[0][0])]))
        second = asyncio.run(send([(copy, held[1][0]), (trends[1], held[1][0])]))
        assert "duplicate_of" not in first[original["id"]]
        assert second[copy["id"]]["duplicate_of"] == original["id"], second[copy["id"]]

        expected = [contributions(first[trends[0]["id"]]), contributions(second[trends[1]["id"]])]
        borrell = ("PERSON", "Josep Borrell")
        assert borrell in expected[0] and expected[0] == expected[1]
        mentions = expected[0][borrell][0]

        def entity(answer: dict) -> dict | None:
            return next((e for e in answer["entities"] if (e["label"], e["name"]) == borrell), None)

        # The trending agent counts after the enriched record is out: poll each worker's own view.
        for url in urls:
            wait_for(lambda url=url: entity(get_json(f"{url}/trending?limit=1000")), pipe)
            mine = entity(get_json(f"{url}/trending?limit=1000"))
            assert (mine["mentions"], mine["articles"]) == (mentions, 1), (url, mine)

        table = subprocess.run([sys.executable, "-m", "streams.cli", "trending", "--json", "--limit", "1000",
                                *[arg for url in urls for arg in ("--url", url)]],
                               capture_output=True, text=True, timeout=60)
        assert table.returncode == 0, table.stderr
        both = entity(json.loads(table.stdout))
        assert (both["mentions"], both["articles"]) == (2 * mentions, 2), both
    finally:
        pipe.close()


def wait_for(condition, pipe: Pipeline, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s\n{logs(pipe)}"
        time.sleep(0.5)
