"""The Faust agents under Faust's test_context(): no broker, real agent code, sends captured."""

import asyncio
from unittest.mock import AsyncMock, PropertyMock, patch

import pytest

from agents.stages.docwire import doc_from_wire
from agents.stages.nlp import load_nlp
from schemas.formats import parse_raw
from schemas.validate import validate_deadletter, validate_enriched
from streams.worker.app import worker_app


@pytest.fixture(scope="module")
def wiring():
    """The worker's app with every agent and table declared on it (never started: no broker)."""
    return worker_app()


@pytest.fixture
def sent(wiring):
    """Capture every send of the agents, per topic short name."""
    captured = {name: [] for name in ("parsed", "partial", "enriched", "deadletter", "ninjs")}
    patches = []
    for name, bucket in captured.items():
        async def send(*, key=None, value=None, partition=None, _bucket=bucket, **kw):
            _bucket.append({"key": key, "value": value, "partition": partition})
        patches.append(patch.object(getattr(wiring.topics, name), "send", AsyncMock(side_effect=send)))
    # The join's table writes its changelog to Kafka; here only its in-memory state matters.
    patches.append(patch.object(type(wiring.tables.parts), "_send_changelog", lambda *a, **k: None))
    # Nothing is buffered for Kafka here, and no producer runs to flush it (see agents/exactly_once.py).
    patches.append(patch.object(wiring.app.producer.buffer, "flush", AsyncMock()))
    patches.append(patch.object(type(wiring.app.producer.buffer), "size", PropertyMock(return_value=0)))
    for p in patches:
        p.start()
    yield captured
    for p in patches:
        p.stop()


def run(coro):
    return asyncio.run(coro)


async def until(condition, timeout=30.0):
    """The validate agent parses in a thread after put() returns; wait for its sends."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the agent sent nothing in time")


def test_validate_parses_once_and_keeps_the_source_partition(sent, seed_bytes, wiring):
    async def go():
        async with wiring.validate.test_context() as agent:
            await agent.put(seed_bytes, partition=3)
            await until(lambda: sent["parsed"])

    run(go())
    article = parse_raw(seed_bytes)
    [parsed] = sent["parsed"]
    assert parsed["key"] == article.id.encode() and parsed["partition"] == 3
    assert "article" not in parsed["value"]  # the article's fields go to the join once, as its part
    # The Doc travels in its binary form, which any worker's stage agents can read back.
    assert doc_from_wire(parsed["value"]["doc"], load_nlp().vocab).text == article.body_text
    [part] = sent["partial"]
    assert part["value"]["stage"] == "article" and part["partition"] == 3
    assert not sent["deadletter"]


def test_validate_dead_letters_bad_input_with_its_coordinates(sent, wiring):
    async def go():
        async with wiring.validate.test_context() as agent:
            await agent.put(b'{"body_text": 42}', partition=1)

    run(go())
    [dead] = sent["deadletter"]
    record = dead["value"]
    validate_deadletter(record)
    assert record["reason"] == "wrong_type"
    assert record["source"]["partition"] == 1 and dead["partition"] == 1
    assert not sent["parsed"] and not sent["partial"]


def test_stages_and_join_produce_one_valid_enriched_record(sent, seed_bytes, wiring):
    async def go():
        async with wiring.validate.test_context() as agent:
            await agent.put(seed_bytes, partition=2)
            await until(lambda: sent["parsed"])
        parsed = sent["parsed"][0]
        for stage_agent in wiring.stage_agents.values():
            async with stage_agent.test_context() as agent:
                await agent.put(parsed["value"], key=parsed["key"], partition=2)
        parts = sent["partial"]
        assert [p["value"]["stage"] for p in parts] == ["article", "entities", "quotes", "sentiment"]
        async with wiring.join.test_context() as agent:
            for p in parts[:-1]:
                await agent.put(p["value"], key=p["key"], partition=2)
            assert not sent["enriched"], "the join must wait for every part"
            slot = parts[0]["value"]["instance"]
            held = {k: v for k, v in wiring.tables.parts.data.items() if k.startswith(slot)}
            # each part held once, under its own key, as it arrived (not re-sent with every new part)
            assert held == {f"{slot}#{p['value']['stage']}": p["value"] for p in parts[:-1]}
            await agent.put(parts[-1]["value"], key=parts[-1]["key"], partition=2)

    run(go())
    [out] = sent["enriched"]
    assert out["partition"] == 2
    validate_enriched(out["value"])
    assert "John Kirby" in {e["name"] for e in out["value"]["entities"]}
    # Once joined, the parts are forgotten; only a marker that the instance is done stays
    # (agents/exactly_once.py).
    assert list(wiring.tables.parts.data.values()) == [{"done": True}]


def test_an_article_half_joined_by_an_older_worker_still_comes_out(sent, wiring):
    """Workers before the per-part keys held all parts of an instance in one value under the instance:
    an article half joined across an upgrade is recovered from that form and joined."""
    article = parse_raw(b'{"id": "x4", "body_text": "Angela Merkel spoke in Berlin."}').to_dict()
    ref = {"id": "x4", "instance": "1:4", "source": {"topic": "raw", "partition": 1, "offset": 4}}
    parts = {stage: {**ref, "stage": stage, "result": result} for stage, result in
             [("article", article), ("entities", []), ("quotes", []),
              ("sentiment", {"label": "neutral", "score": 0.0, "sentences": [], "entities": {}})]}

    async def go():
        async with wiring.join.test_context() as agent:
            wiring.tables.parts.data["1:4"] = {k: parts[k] for k in ("article", "entities")}
            await agent.put(parts["quotes"], key=b"x4", partition=1)
            assert not sent["enriched"]
            await agent.put(parts["sentiment"], key=b"x4", partition=1)

    run(go())
    [out] = sent["enriched"]
    assert out["value"]["id"] == "x4" and out["partition"] == 1
    validate_enriched(out["value"])
    assert wiring.tables.parts.data["1:4"] == {"done": True}
    assert not [k for k in wiring.tables.parts.data if k.startswith("1:4#")]


def test_a_failed_stage_becomes_a_dead_letter(sent, wiring):
    article = parse_raw(b'{"id": "x1", "body_text": "Angela Merkel spoke in Berlin."}').to_dict()
    ref = {"id": "x1", "instance": "0:7", "source": {"topic": "raw", "partition": 0, "offset": 7}}
    parts = [{**ref, "stage": "article", "result": article},
             {**ref, "stage": "entities", "result": []},
             {**ref, "stage": "quotes", "error": "ValueError: boom"},
             {**ref, "stage": "sentiment", "result": {"label": "neutral", "score": 0.0, "sentences": [],
                                                      "entities": {}}}]

    async def go():
        async with wiring.join.test_context() as agent:
            for p in parts:
                await agent.put(p, key=b"x1", partition=0)

    run(go())
    assert not sent["enriched"]
    [dead] = sent["deadletter"]
    assert dead["value"]["reason"] == "stage_failed" and dead["value"]["stage"] == "quotes"
    assert dead["value"]["source"]["offset"] == 7


def test_a_failing_join_dead_letters_the_article_instead_of_crashing(sent, wiring):
    """An agent that raises is restarted by Faust without its message: the article would vanish."""
    article = parse_raw(b'{"id": "x2", "body_text": "Angela Merkel spoke in Berlin."}').to_dict()
    ref = {"id": "x2", "instance": "0:8", "source": {"topic": "raw", "partition": 0, "offset": 8}}
    parts = [{**ref, "stage": stage, "result": result} for stage, result in
             [("article", article), ("entities", []), ("quotes", []), ("sentiment", {})]]

    async def go():
        async with wiring.join.test_context() as agent:
            for p in parts:
                await agent.put(p, key=b"x2", partition=0)
            await agent.put({**parts[0], "id": "x3", "instance": "0:9"}, key=b"x3", partition=0)

    with patch("agents.pipeline.assemble", side_effect=KeyError("label")):
        run(go())
    assert not sent["enriched"]
    [dead] = sent["deadletter"]
    assert dead["value"]["reason"] == "internal_error" and "KeyError" in dead["value"]["detail"]
    assert dead["value"]["id"] == "x2" and dead["key"] == b"x2" and dead["partition"] == 0
    validate_deadletter(dead["value"])


def test_a_stage_agent_that_cannot_read_a_doc_sends_an_error_part(sent, wiring):
    """A parsed message from another worker whose Doc does not decode: each stage agent still sends its
    part, with the error the join dead-letters (agents/parsing.py run_stage), and the worker goes on."""
    ref = {"id": "x2", "instance": "0:9", "source": {"topic": "raw", "partition": 0, "offset": 9}}

    async def go():
        for stage_agent in wiring.stage_agents.values():
            async with stage_agent.test_context() as agent:
                await agent.put({**ref, "doc": "not a DocBin"}, key=b"x2", partition=0)

    run(go())
    parts = [p["value"] for p in sent["partial"]]
    assert [p["stage"] for p in parts] == ["entities", "quotes", "sentiment"]
    # binascii.Error, from the base64 of the wire form, as "Type: message"
    assert [p.get("error") for p in parts] == ["Error: Only base64 data is allowed"] * 3
    assert all("result" not in p for p in parts)
