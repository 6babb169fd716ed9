"""The newsroom page's window of recent records: bounds, partitions, rates, dead letters."""

import orjson

from agents import recent
from agents.recent import Recent, summary


def record(i, body="x", **extra):
    stamp = f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}"
    return {"id": f"a{i}", "headline": f"H{i}", "body_text": body, "language": "en",
            "received_at": f"{stamp}.000Z", "enriched_at": f"{stamp}.500Z",
            "entities": [{"name": "N"}], "quotes": [], "sentiment": {"score": 0.5},
            **extra}


def test_latest_is_newest_first_over_owned_partitions_and_get_returns_the_record():
    window = Recent()
    for i in range(6):
        window.add("enriched", record(i), partition=i % 3)
    latest = window.latest([0, 1, 2], limit=4)
    assert [a["id"] for a in latest] == ["a5", "a4", "a3", "a2"]
    assert latest[0] == {**summary(record(5)), "partition": 2}
    assert latest[0]["entities"] == 1 and latest[0]["quotes"] == 0
    assert window.get("a4", [0, 1, 2]) == record(4) and window.get("a9", [0, 1, 2]) is None
    assert [a["id"] for a in window.latest([0, 1, 2], limit=1)] == ["a5"]


def test_a_partition_no_longer_owned_is_dropped():
    window = Recent()
    window.add("enriched", record(1), partition=0)
    window.add("enriched", record(2), partition=1)
    assert [a["id"] for a in window.latest([1])] == ["a2"] and window.memory()["records"] == 1
    assert window.get("a1", [0, 1]) is None  # partition 0 came back: its old records did not


def test_bounded_by_count_and_bytes_per_partition(monkeypatch):
    window = Recent()
    for i in range(recent.PER_PARTITION + 25):
        window.add("enriched", record(i), partition=0)
    assert window.memory()["records"] == recent.PER_PARTITION
    assert window.get("a0", [0]) is None and window.get(f"a{recent.PER_PARTITION + 24}", [0])
    monkeypatch.setattr(recent, "BYTES_PER_PARTITION", 10_000)
    big = Recent()
    for i in range(10):
        big.add("enriched", record(i, body="y" * 3000), partition=0)
    size = len(orjson.dumps(record(0, body="y" * 3000)))
    assert big.memory()["bytes"] <= 10_000 and big.memory()["records"] == 10_000 // size
    assert big.get("a9", [0])["body_text"] == "y" * 3000


def test_the_same_id_again_replaces_its_record():
    window = Recent()
    window.add("enriched", record(1), partition=0)
    window.add("enriched", record(1, body="again"), partition=0)
    assert window.memory()["records"] == 1 and window.get("a1", [0])["body_text"] == "again"


def test_rate_per_step_and_dead_letters_by_reason():
    now = [1000.0]
    window = Recent(clock=lambda: now[0])
    for i in range(3):
        window.add("enriched", record(i), partition=0)
    now[0] += recent.RATE_STEP * 2
    window.add("enriched", record(9), partition=0)
    window.add("ninjs", {"uri": "a9"}, partition=0)  # not counted: one article, two outputs
    window.add("deadletter", {"reason": "invalid_json"}, partition=0)
    window.add("deadletter", {"reason": "invalid_json"}, partition=1)
    window.add("deadletter", {"id": None}, partition=1)
    rate = window.rate()
    assert rate["step"] == recent.RATE_STEP and len(rate["series"]) == recent.RATE_STEPS
    assert [n for _, n in rate["series"][-3:]] == [3, 0, 1]
    assert rate["series"][-1][0] == int(now[0] // recent.RATE_STEP) * recent.RATE_STEP
    assert dict(window.deadletters) == {"invalid_json": 2, "unknown": 1}
    assert window.memory()["records"] == 4
