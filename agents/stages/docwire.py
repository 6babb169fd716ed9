"""A parsed Doc as it travels on ``articles.parsed``: spaCy's DocBin with only the token attributes the
stages read, base64 in the JSON message. About 10 KB of ASCII for a BBC article where ``Doc.to_json()``
is ~54 KB, and one string in the consumer's memory instead of a dict of thousands of objects, which is
what a backlog of parsed messages waiting in a worker's stream buffers cost."""

from __future__ import annotations

import base64
from functools import cache

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from srsly import msgpack

#: Everything the stages read (agents/stages/nlp.py): tokens, tags, morphology, lemmas and norms, the
#: dependency parse, entities, sentence starts. The tensor and user data stay behind.
ATTRS = ("ORTH", "NORM", "LEMMA", "TAG", "POS", "MORPH", "HEAD", "DEP", "ENT_IOB", "ENT_TYPE",
         "ENT_KB_ID", "SENT_START")


@cache
def _msgpack_registries_loaded_once() -> None:
    """srsly builds a msgpack Packer or Unpacker for every ``to_bytes``/``from_bytes`` (a DocBin's, then
    each Doc's span groups), and each asks catalogue for its encoders, which scans the entry points of
    every installed distribution again: 40 % of a short Doc's round trip (0.26 -> 0.16 ms per 12-word
    Doc each way). Whatever the scan finds is registered under its name once, then the scan is off."""
    for registry in (msgpack.msgpack_encoders, msgpack.msgpack_decoders):
        if registry.entry_points:
            for name, func in registry.get_entry_points().items():
                registry.register(name, func=func)
            registry.entry_points = False


def doc_to_wire(doc: Doc) -> str:
    _msgpack_registries_loaded_once()
    docbin = DocBin(attrs=list(ATTRS), store_user_data=False)
    docbin.add(doc)
    return base64.b64encode(docbin.to_bytes()).decode("ascii")


def doc_from_wire(data: str | dict, vocab: Vocab) -> Doc:
    """The Doc of a parsed message. A dict is ``Doc.to_json()``, what workers before the binary form
    wrote: still read, so messages already on the topic survive an upgrade."""
    if isinstance(data, dict):
        return Doc(vocab).from_json(data)
    _msgpack_registries_loaded_once()
    docbin = DocBin(store_user_data=False).from_bytes(base64.b64decode(data, validate=True))
    (doc,) = docbin.get_docs(vocab)
    return doc
