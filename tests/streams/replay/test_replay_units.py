"""`wirestream replay` without a broker: reading inputs, cycling with fresh ids, the figures."""

import io
import tarfile

import orjson
import pytest

from schemas.formats import parse_raw
from streams.client.io import raw_key
from streams.replay.source import Item, read_inputs, schedule, to_items
from streams.replay.stats import REPORT_KEYS, Run, percentile, report, table

A = b"First headline\n\nAngela Merkel met Emmanuel Macron in Paris."
B = b'{"id": "b-1", "headline": "Second", "body_text": "Olaf Scholz spoke in Berlin on Monday."}'
BROKEN = b'{"headline": "broken", "body_text": '


def ids(items):
    return [it.id for it in items]


def test_first_pass_sends_inputs_unchanged_then_cycles_with_fresh_ids():
    base, articles = to_items([A, B])
    a_id = parse_raw(A).id
    out = list(schedule(base, articles, 5))
    assert ids(out) == [a_id, "b-1", f"{a_id}-r1", "b-1-r1", f"{a_id}-r2"]
    assert [it.payload for it in out[:2]] == [A, B]
    clone = parse_raw(out[3].payload)
    assert (clone.id, clone.headline, clone.body_text) == ("b-1-r1", "Second", parse_raw(B).body_text)
    assert all(raw_key(it.payload) == it.id.encode() for it in out)  # the key replay sends
    assert [it.words for it in out] == [7, 7, 7, 7, 7]


def test_count_below_the_set_sends_a_prefix():
    base, articles = to_items([A, B])
    assert ids(schedule(base, articles, 1)) == [parse_raw(A).id]


def test_every_replayed_id_is_unique_even_with_duplicates_in_the_set():
    base, articles = to_items([B, B, b'{"id": "b-1-r1", "body_text": "Clash with a fresh id."}'])
    out = ids(schedule(base, articles, 12))
    assert len(out) == len(set(out)) == 12
    assert out[:3] == ["b-1", "b-1-r1", "b-1-r1-r1"]  # taken ids move on to the next free one


def test_unreadable_input_is_replayed_as_is_without_id():
    base, articles = to_items([BROKEN, A])
    out = list(schedule(base, articles, 4))
    assert [it.id is None for it in out] == [True, False, True, False]
    assert out[0] == out[2] == Item(None, BROKEN, 0)
    assert raw_key(BROKEN) is None


def test_reads_tarballs_and_directories_skipping_readme_and_hidden(tmp_path):
    tgz = tmp_path / "corpus.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        for name, data in [("bbc/README.TXT", b"about the corpus"), ("bbc/b/002.txt", B),
                           ("bbc/a/001.txt", A), ("bbc/.DS_Store", b"junk")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "one.json").write_bytes(B)
    (folder / "README.md").write_bytes(b"# notes")
    got = read_inputs([str(tgz), str(folder)])
    assert [p for _, p in got] == [A, B, B]
    assert got[0][0].endswith("corpus.tar.gz:bbc/a/001.txt")


def test_percentile_interpolates_between_ranks_like_numpy():
    values = [4.0, 1.0, 3.0, 2.0, 5.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 5.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_report_has_exactly_the_issue_keys_and_consistent_figures():
    run = Run(articles=3, words=30, words_of={"a": 10, "b": 20}, started=100.0, finished=102.0,
              produced_at={"a": 100.0, "b": 100.5}, out_at={"a": 100.2, "b": 102.0}, deadletters=1,
              worker_peak_rss_mb=321.04)
    rep = report(run)
    assert tuple(rep) == REPORT_KEYS
    assert set(rep["latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert rep["latency_ms"]["max"] == 1500.0 and rep["latency_ms"]["p50"] == 850.0
    assert rep["throughput_articles_per_s"] == 1.5  # 3 out (one an id-less dead letter) in 2 s
    assert rep["throughput_words_per_s"] == 15.0
    assert (rep["articles"], rep["deadletters"], rep["worker_peak_rss_mb"]) == (3, 1, 321.0)
    assert orjson.loads(orjson.dumps(rep)) == rep
    assert "1,500 ms" in table(run, rep)


def test_missing_articles_lower_throughput_and_show_in_the_table():
    run = Run(articles=2, words=20, words_of={"a": 10, "b": 10}, started=0.0, finished=1.0,
              produced_at={"a": 0.0, "b": 0.0}, out_at={"a": 1.0}, missing=1)
    rep = report(run)
    assert rep["throughput_articles_per_s"] == 1.0 and rep["latency_ms"]["p99"] == 1000.0
    assert "1 MISSING" in table(run, rep)
