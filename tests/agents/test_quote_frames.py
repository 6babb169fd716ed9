"""Issue 11: the candidate frames behind indirect quotes (noun cues, frames without trailing modifiers),
quoted names that are not speech, and a quotation running over into the next paragraph. Hand-written
sentences; the parses are those of the shipped pipeline."""

import pytest

from agents.stages.nlp import load_nlp
from agents.stages.quotes import extract_quotes
from agents.stages.quotes.frames import cut_modifiers, frames
from agents.stages.quotes.marks import is_title
from agents.stages.quotes.speakers import noun_frames, noun_speaker


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _tok(doc, text):
    return next(t for t in doc if t.text == text)


def test_noun_cue_offers_its_clause_and_holder(nlp):
    doc = nlp("The senator's claim that taxes would fall was false.")
    claim = _tok(doc, "claim")
    assert [(f, s.text) for f, s in noun_frames(claim)] == [("acl", "that taxes would fall")]
    assert noun_speaker(claim).text == "senator"
    (q,) = [q for q in extract_quotes(doc, min_confidence=0.0) if q["cue"]["text"] == "claim"]
    assert q["type"] == "indirect" and q["content"]["text"] == "that taxes would fall"
    assert q["speaker"]["text"] == "The senator"


def test_noun_with_preposition_frame(nlp):
    doc = nlp("Voters cheered the mayor's announcement of a new bridge on Monday.")
    announcement = _tok(doc, "announcement")
    assert [(f, s.text) for f, s in noun_frames(announcement)] == [("prep:of", "a new bridge")]
    assert noun_speaker(announcement).text == "mayor"
    # a noun with neither a clause nor one of the NOUN_PREPS offers nothing
    assert noun_frames(_tok(doc, "Voters")) == []


def test_frames_offer_a_variant_without_trailing_modifiers(nlp):
    doc = nlp("She praised the plan for the new hospital in a speech on Tuesday.")
    offered = [(f, s.text) for f, s in frames(_tok(doc, "praised"))]
    assert ("dobj", "the plan for the new hospital") in offered
    assert ("dobj~cut", "the plan") in offered
    # nothing trails "the plan" itself: no variant of it
    plan = doc[2:4]
    assert plan.text == "the plan" and cut_modifiers(plan) is None


@pytest.mark.parametrize(
    "text, title",
    [
        ("Sunday Morning Futures,", True),
        ("State of the Union", True),
        ("One Hundred Years of Solitude", True),
        ("We will win this fight,", False),
        ("Nobody Knows. We Will See.", False),  # sentences, whatever their case
        ("Crazy", False),  # one word: left to the speech rules
    ],
)
def test_is_title(text, title):
    assert is_title(text) is title


def test_quoted_show_name_is_not_a_direct_quote(nlp):
    doc = nlp("The senator appeared on “Meet the Press Today,” where she spoke about the budget.")
    assert not [q for q in extract_quotes(doc, min_confidence=0.0) if q["type"] == "direct"]


def test_quote_running_into_the_next_paragraph_is_one_record(nlp):
    text = ("Mayor Ann Lee spoke on Monday. “We are ready,” Lee said. “The city has planned for this.”\n\n"
            "“Nobody will be left without a shelter.”")
    (q,) = [q for q in extract_quotes(nlp(text)) if q["type"] == "direct"]
    assert q["content"]["text"].startswith("“We are ready,”")
    assert q["content"]["text"].endswith("left without a shelter.”")
    assert [p["text"] for p in q["pieces"]] == ["“We are ready,”", "“The city has planned for this.”",
                                                 "“Nobody will be left without a shelter.”"]
    assert q["speaker"]["entity"] == "Ann Lee"


def test_new_paragraph_with_its_own_attribution_stays_apart(nlp):
    text = ("“We are ready,” Mayor Ann Lee said.\n\n"
            "“We are not,” said Tom Berg, the fire chief.")
    quotes = [q for q in extract_quotes(nlp(text)) if q["type"] == "direct"]
    assert [q["speaker"]["entity"] for q in quotes] == ["Ann Lee", "Tom Berg"]


@pytest.mark.parametrize(
    "text, cue, quote",
    [
        ("Governor Ruth Ames sent a letter to parents on Friday, saying, “The schools will open on Monday.”",
         "saying", "“The schools will open on Monday.”"),
        ("Senator Tom Hale praised the bill, telling reporters, “This is a good day for farmers.”",
         "telling", "“This is a good day for farmers.”"),
    ],
)
def test_quotation_with_its_own_cue_is_not_swallowed_by_an_outer_frame(nlp, text, cue, quote):
    quotes = extract_quotes(nlp(text), min_confidence=0.0)
    direct = [q for q in quotes if q["type"] == "direct"]
    assert [(q["content"]["text"], q["cue"]["text"]) for q in direct] == [(quote, cue)]
    assert not [q for q in quotes if q["type"] == "mixed"]


def test_quotation_as_the_object_predicate_stays_mixed(nlp):
    # no second cue before the quotation: 'called the bill “...”' is one mixed record
    (q,) = extract_quotes(nlp("Senator Tom Hale called the bill “a good day for farmers.”"))
    assert q["type"] == "mixed" and q["cue"]["text"] == "called"
