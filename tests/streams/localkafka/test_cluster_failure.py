"""Guarantee 4: on a 3-node cluster (replication 3, min.insync.replicas 2), SIGKILL one node while the
worker is busy; every article still comes out exactly once."""

import asyncio
import random

import pytest

from streams.localkafka import cluster as broker_cluster
from tests.support.faults import Pipeline, articles

pytestmark = [pytest.mark.broker, pytest.mark.slow]

N_ARTICLES = 300
DRAIN_TIMEOUT = 600.0


def test_killing_one_of_three_nodes_mid_replay_loses_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_REPLICATION", "3")  # topics created here and by the worker
    home = tmp_path / "cluster-home"
    victim = random.randint(1, 3)
    with broker_cluster.local_cluster(home) as bootstrap:
        pipe = Pipeline(bootstrap, tmp_path, name="cluster", env={"WIRESTREAM_REPLICATION": "3"})
        try:
            pipe.create_topics()
            worker = pipe.start_worker()
            payloads = articles(N_ARTICLES, pipe.run)
            ids = {i for i, _ in payloads}
            kill = [(N_ARTICLES // 3, lambda: broker_cluster.kill_node(victim, home=home))]
            out = asyncio.run(pipe.replay(payloads, kill, timeout=DRAIN_TIMEOUT))
            context = f"killed node {victim}; log {pipe.log}"
            assert out.problems(ids) == {}, context
            assert worker.alive() and len(pipe.workers) == 1, context
        finally:
            pipe.close()
