"""A parsed Doc as it travels on ``articles.parsed``: spaCy's DocBin with only the token attributes the
stages read, base64 in the JSON message. About 10 KB of ASCII for a BBC article where ``Doc.to_json()``
is ~54 KB, and one string in the consumer's memory instead of a dict of thousands of objects, which is
what a backlog of parsed messages waiting in a worker's stream buffers cost."""

from __future__ import annotations

import base64

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

#: Everything the stages read (agents/stages/nlp.py): tokens, tags, morphology, lemmas and norms, the
#: dependency parse, entities, sentence starts. The tensor and user data stay behind.
ATTRS = ("ORTH", "NORM", "LEMMA", "TAG", "POS", "MORPH", "HEAD", "DEP", "ENT_IOB", "ENT_TYPE",
         "ENT_KB_ID", "SENT_START")


def doc_to_wire(doc: Doc) -> str:
    docbin = DocBin(attrs=list(ATTRS), store_user_data=False)
    docbin.add(doc)
    return base64.b64encode(docbin.to_bytes()).decode("ascii")


def doc_from_wire(data: str | dict, vocab: Vocab) -> Doc:
    """The Doc of a parsed message. A dict is ``Doc.to_json()``, what workers before the binary form
    wrote: still read, so messages already on the topic survive an upgrade."""
    if isinstance(data, dict):
        return Doc(vocab).from_json(data)
    docbin = DocBin(store_user_data=False).from_bytes(base64.b64decode(data, validate=True))
    (doc,) = docbin.get_docs(vocab)
    return doc
