"""agents/exactly_once.py without Kafka: the join's finished-instance markers (the Kafka side is proven by
tests/system/test_exactly_once.py)."""

from agents.exactly_once import DONE, Finished, _position


class Table(dict):
    """Like the join's Faust table: a missing key reads as an empty dict without being stored."""

    def __missing__(self, key):
        return {}


def test_position_orders_instances_by_offset_then_feed_index():
    slots = ["1:10/2", "1:9", "1:10", "1:100", "1:10/1"]
    assert sorted(slots, key=_position) == ["1:9", "1:10", "1:10/1", "1:10/2", "1:100"]


def test_finished_marks_replace_parts_and_replayed_parts_are_recognised():
    table = Table({"0:5": {"article": {}, "quotes": {}}})
    finished = Finished(table)
    assert "0:5" not in finished
    finished.add("0:5")
    assert "0:5" in finished and table["0:5"] == {DONE: True}
    assert "0:6" not in finished and "0:6" not in table  # reading does not create entries


def test_only_the_newest_markers_of_each_partition_are_kept():
    table = Table()
    finished = Finished(table, keep=3)
    for offset in range(6):
        finished.add(f"0:{offset}")
    finished.add("1:0")
    assert sorted(table) == ["0:3", "0:4", "0:5", "1:0"]


def test_markers_recovered_from_the_changelog_are_evicted_oldest_first():
    table = Table({"2:1": {DONE: True}, "2:0": {DONE: True}, "2:7": {"article": {}}, "3:0": {DONE: True}})
    finished = Finished(table, keep=2)  # a restarted worker: the table holds earlier markers
    finished.add("2:8")
    assert sorted(table) == ["2:1", "2:7", "2:8", "3:0"]  # 2:0 went first; parts in progress stay
