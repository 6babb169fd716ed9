"""The Doc's wire form: srsly's msgpack registries are read once, and what their entry-point scan
found before still encodes and decodes afterwards."""

import catalogue
import pytest
from spacy.tokens import Doc
from spacy.vocab import Vocab
from srsly import msgpack

from agents.stages import docwire


@pytest.fixture()
def fresh_registries(monkeypatch):
    """The registries as srsly creates them (entry points on), and the once-only load not yet done."""
    for registry in (msgpack.msgpack_encoders, msgpack.msgpack_decoders):
        monkeypatch.setattr(registry, "entry_points", True)
    docwire._msgpack_registries_loaded_once.cache_clear()
    yield
    docwire._msgpack_registries_loaded_once.cache_clear()
    catalogue.REGISTRY.pop(("srsly", "msgpack_encoders", "probe"), None)


def test_entry_point_encoders_are_registered_once_and_the_scan_stops(fresh_registries, monkeypatch):
    calls = {"scans": 0}

    class Marker:
        pass

    def probe(obj, chain=None):  # an entry-point encoder: Marker objects go on the wire as a string
        if isinstance(obj, Marker):
            return "marker"
        return chain(obj) if chain is not None else obj

    def scan():
        calls["scans"] += 1
        return {"probe": probe}

    monkeypatch.setattr(msgpack.msgpack_encoders, "get_entry_points", scan)
    monkeypatch.setattr(msgpack.msgpack_decoders, "get_entry_points", dict)
    vocab = Vocab()
    doc = Doc(vocab, words=["Kirby", "said", "so", "."], spaces=[True, True, False, False])
    wires = [docwire.doc_to_wire(doc) for _ in range(3)]

    assert calls["scans"] == 1
    assert not msgpack.msgpack_encoders.entry_points and not msgpack.msgpack_decoders.entry_points
    assert "probe" in msgpack.msgpack_encoders.get_all()
    assert msgpack.unpackb(msgpack.packb([Marker()]), raw=False) == ["marker"]  # still applied
    assert [t.text for t in docwire.doc_from_wire(wires[-1], vocab)] == ["Kirby", "said", "so", "."]
