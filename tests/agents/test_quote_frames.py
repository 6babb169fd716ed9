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


@pytest.mark.parametrize(
    "text, content, speaker",
    [
        ("The claim was denied by the ministry.", "The claim", "the ministry"),
        ("Claims that the plant would be sold were denied by the energy ministry.",
         "Claims that the plant would be sold", "the energy ministry"),
    ],
)
def test_passive_speech_cue_takes_its_agent_as_speaker(nlp, text, content, speaker):
    (q,) = extract_quotes(nlp(text), min_confidence=0.0)
    assert q["cue"]["text"] == "denied" and q["kind"] == "speech"
    assert q["content"]["text"] == content
    assert q["speaker"]["text"] == speaker


def test_passive_offers_its_subject_only_with_an_agent(nlp):
    doc = nlp("The claim was denied by the ministry.")
    assert ("nsubjpass", "The claim") in [(f, s.text) for f, s in frames(_tok(doc, "denied"))]
    # no "by X": nobody to attribute it to, and no frame
    assert not [f for f, _ in frames(_tok(nlp("The claim was denied."), "denied")) if f == "nsubjpass"]


def test_colon_cue_right_before_the_quotation(nlp):
    # the "told" frame ran on past the quotation into the next clause (one mixed record, content and
    # cue of two statements); the colon introduces the quotation alone
    text = ("Jane Moss told BBC News: “Nobody listened to us at all,” "
            "and the council said it would look again.")
    quotes = extract_quotes(nlp(text), min_confidence=0.0)
    (direct,) = [q for q in quotes if q["type"] == "direct"]
    assert direct["content"]["text"] == "“Nobody listened to us at all,”"
    assert direct["cue"]["text"] == "told" and direct["speaker"]["entity"] == "Jane Moss"
    assert not [q for q in quotes if q["type"] == "mixed"]
    (council,) = [q for q in quotes if q["cue"]["text"] == "said"]
    assert council["speaker"]["text"] == "the council" and council["content"]["text"] == "it would look again"


def test_colon_cue_after_another_statement(nlp):
    text = ("A spokesman for the ministry said the decision was final. "
            "Resident Tom Berg told BBC News: “We were never asked.”")
    (q,) = [q for q in extract_quotes(nlp(text)) if q["type"] == "direct"]
    assert q["cue"]["text"] == "told" and q["speaker"]["entity"] == "Tom Berg"


@pytest.mark.parametrize(
    "text, speaker",
    [
        # "Ramblers" is parsed as a conjunct inside the first name's "Against ..." phrase
        ("The Campaign Against Road Noise and the Ramblers said that the new motorway should be moved.",
         "The Campaign Against Road Noise and the Ramblers"),
        ("The Society for Rural Birds and the National Trust said the new rules would protect nesting sites.",
         "The Society for Rural Birds and the National Trust"),
        ("The ferry company and the port authority said the crossing would reopen on Monday.",
         "The ferry company and the port authority"),
    ],
)
def test_coordinated_speakers_are_kept_whole(nlp, text, speaker):
    (q,) = extract_quotes(nlp(text))
    assert q["cue"]["text"] == "said" and q["speaker"]["text"] == speaker


@pytest.mark.parametrize(
    "text, speaker, entity",
    [
        # a bare title before the name: the person speaks, not "Chairman"
        ("Chairman of the Federal Reserve Board Tom Reed said on Monday that rates would stay low.",
         "Chairman of the Federal Reserve Board Tom Reed", "Tom Reed"),
        # with a comma the name is an apposition: it names the entity, the span stays the title's
        ("The chairman of the board, Tom Reed, said that rates would stay low.", "The chairman", "Tom Reed"),
        # "for"/"of" a person is someone else
        ("The lawyer for Tom Reed said that the charges were false.", "The lawyer", None),
        ("The wife of Senator Tom Reed said that he was innocent.", "The wife", None),
    ],
)
def test_title_before_a_name_resolves_to_the_person(nlp, text, speaker, entity):
    (q,) = extract_quotes(nlp(text))
    assert q["speaker"]["text"] == speaker and q["speaker"]["entity"] == entity


def test_aspectual_verb_is_not_a_cue(nlp):
    doc = nlp("Protesters continued to block the road on Tuesday.")
    assert frames(_tok(doc, "continued")) == []
    assert extract_quotes(doc, min_confidence=0.0) == []
    # the verb it carries keeps its own frame: the cue is "insist", not "continued"
    (q,) = extract_quotes(nlp("Residents continued to insist that the water was unsafe."))
    assert q["cue"]["text"] == "insist" and q["content"]["text"] == "that the water was unsafe"


def test_naming_verb_needs_the_name_it_gives(nlp):
    # "called the residents" (phoned): no name given, no attribution
    assert extract_quotes(nlp("The mayor called the residents on Friday."), min_confidence=0.0) == []
    (q,) = extract_quotes(nlp("The mayor called the plan a disaster."))
    assert q["cue"]["text"] == "called" and q["content"]["text"] == "the plan a disaster"
