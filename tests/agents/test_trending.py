"""Trending entity arithmetic (agents/enrichment/trending.py) and the CLI's merge of several workers."""

from agents.enrichment.trending import contributions, top
from streams.cli.trending import merge, render


def entity(name, label, mentions, score):
    return {"name": name, "label": label, "mentions": [{}] * mentions, "sentiment": {"score": score}}


def test_contributions_skip_duplicates_and_non_trend_labels():
    record = {"entities": [entity("Angela Merkel", "PERSON", 3, 0.5), entity("Monday", "DATE", 1, 0.0)]}
    assert contributions(record) == {("PERSON", "Angela Merkel"): [3, 1, 0.5]}
    assert contributions({**record, "duplicate_of": "x"}) == {}


def test_top_sums_partitions_and_ranks_by_mentions():
    rows = [(("PERSON", "A"), [2, 1, 0.5]), (("PERSON", "A"), [3, 2, -0.5]), (("ORG", "B"), [4, 4, 2.0])]
    assert top(rows, 10) == [
        {"name": "A", "label": "PERSON", "mentions": 5, "articles": 3, "mean_sentiment": 0.0},
        {"name": "B", "label": "ORG", "mentions": 4, "articles": 4, "mean_sentiment": 0.5},
    ]
    assert [e["name"] for e in top(rows, 1)] == ["A"]


def test_merge_weights_sentiment_by_articles():
    w1 = {"entities": [{"name": "A", "label": "ORG", "mentions": 2, "articles": 1, "mean_sentiment": 1.0}]}
    w2 = {"entities": [{"name": "A", "label": "ORG", "mentions": 6, "articles": 3, "mean_sentiment": -1.0}]}
    [a] = merge([w1, w2], 5)
    assert (a["mentions"], a["articles"], a["mean_sentiment"]) == (8, 4, -0.5)
    assert "-0.500" in render([a])


def test_count_writes_one_key_per_entity_and_expires_old_buckets():
    from collections import defaultdict

    from agents.enrichment import trending

    table = defaultdict(lambda: None)
    trends = trending.Trending(table)
    record = {"entities": [entity("Angela Merkel", "PERSON", 3, 0.5), entity("BBC", "ORG", 1, -1.0)]}
    t0 = 1_000 * trending.BUCKET
    trends.count(record, 2, t0)
    trends.count(record, 2, t0 + 10)
    assert table == {"2|1000|PERSON|Angela Merkel": [6, 2, 1.0], "2|1000|ORG|BBC": [2, 2, -2.0]}
    # Two hours later the old bucket is deleted (a tombstone in the changelog), the new one written.
    trends.count(record, 2, t0 + 2 * 3600)
    assert sorted(table) == ["2|1024|ORG|BBC", "2|1024|PERSON|Angela Merkel"]


def test_windows_sum_buckets_of_the_last_hour_or_this_clock_hour_on_held_partitions():
    from agents.enrichment.trending import BUCKET, rows_in, top

    hour = 3600 * 500  # a clock hour boundary
    now = hour + 20 * 60  # 20 minutes into the hour
    b = int(now // BUCKET)
    # now, 25 min ago (the last hour, not this clock hour), 55 and 60 min ago, another worker's partition
    items = [(f"0|{b}|ORG|A", [1, 1, 0.0]), (f"0|{b - 5}|ORG|A", [2, 1, 0.0]),
             (f"0|{b - 11}|ORG|A", [4, 1, 0.0]), (f"0|{b - 12}|ORG|A", [8, 1, 0.0]),
             (f"1|{b}|ORG|A", [16, 1, 0.0])]
    assert top(rows_in(items, "hopping", now, {0}), 5)[0]["mentions"] == 1 + 2 + 4
    assert top(rows_in(items, "tumbling", now, {0}), 5)[0]["mentions"] == 1
    assert top(rows_in(items, "hopping", now, {0, 1}), 5)[0]["mentions"] == 1 + 2 + 4 + 16
