"""Hand-checked cases from issue 3 (enrichment quality) that must not regress.

Each runs the stage functions on a Doc rebuilt from its JSON form, as the stream agents do.
"""


import pytest
from spacy.tokens import Doc

from agents.stages.docwire import doc_from_wire, doc_to_wire
from agents.stages.entities import extract_entities
from agents.stages.nlp import load_nlp
from agents.stages.quotes import extract_quotes
from agents.stages.sentiment import analyse_sentiment
from tests.support import SEED

CROSS_HEAD = "MILITARIZATION OF CRIMEA HEIGHTENS THREAT TO NATO’S SOUTHEASTERN FLANK"


@pytest.fixture(scope="module")
def parse():
    nlp = load_nlp()

    def run(text: str) -> Doc:
        return doc_from_wire(doc_to_wire(nlp(text)), nlp.vocab)  # as a stage agent in another worker sees it

    return run


@pytest.fixture(scope="module")
def seed(parse):
    body = SEED.read_text(encoding="utf-8").split("\n", 2)[2].strip()
    return body, parse(body)


def test_seed_three_kirby_quotes(seed):
    body, doc = seed
    direct = [q for q in extract_quotes(doc) if q["type"] == "direct"]
    assert len(direct) == 3
    starts = ["“We’re being honest that we’re not quite sure", "“By dint of the fact that",
              "“What’s important is to de-escalate"]
    for q, start in zip(direct, starts, strict=True):
        assert q["content"]["text"].startswith(start)
        assert q["speaker"]["entity"] == "John Kirby"
        assert body[q["content"]["start"] : q["content"]["end"]] == q["content"]["text"]
    assert [q["cue"]["text"] for q in direct] == ["said", "added", "said"]
    assert [q["speaker"]["text"] for q in direct] == ["Pentagon spokesman John Kirby", "he", "Kirby"]
    # the last one is split around 'Kirby said.' and joined into one record, its two quoted pieces listed
    assert direct[2]["content"]["text"].endswith("to be respected by Russia.”")
    first, second = direct[2]["pieces"]
    assert first["text"].startswith("“What’s important") and first["text"].endswith("border,”")
    assert second["text"].startswith("“For the") and second["text"].endswith("by Russia.”")
    assert "Kirby said" not in first["text"] + second["text"]
    assert all(q["kind"] == "speech" and q["confidence"] >= 0.9 for q in direct)


def test_seed_quotes_are_univocal(seed):
    """No two quotes share a character of content (the seed had nested repeats: 'a path to join the
    alliance' inside the 'according to press reports' quote)."""
    _, doc = seed
    quotes = extract_quotes(doc, min_confidence=0.0)
    spans = sorted((q["content"]["start"], q["content"]["end"]) for q in quotes)
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))
    assert not any(q["content"]["text"] == "a path to join the alliance" for q in quotes)


def test_min_confidence_filters_and_orders_nothing_else(seed):
    _, doc = seed
    everything = extract_quotes(doc, min_confidence=0.0)
    strict = extract_quotes(doc, min_confidence=0.9)
    assert strict == [q for q in everything if q["confidence"] >= 0.9] and 0 < len(strict) < len(everything)


def test_split_quote_is_one_record(parse):
    text = "“We will not back down,” Senator Elizabeth Warren said. “Not now, not ever.”"
    quotes = extract_quotes(parse(text))
    assert len(quotes) == 1
    (q,) = quotes
    assert q["content"]["text"].startswith("“We will not back down")
    assert q["content"]["text"].endswith("Not now, not ever.”")
    assert q["speaker"]["entity"] == "Elizabeth Warren" and q["cue"]["text"] == "said"


def test_split_quote_with_pronoun_in_the_middle(parse):
    text = "Maria Lopez runs the shelter.\n\n“We are full,” she said, “and the winter has not even started.”"
    quotes = [q for q in extract_quotes(parse(text)) if q["type"] == "direct"]
    assert len(quotes) == 1
    q = quotes[0]
    assert q["content"]["text"].startswith("“We are full")
    assert q["content"]["text"].endswith("the winter has not even started.”")
    assert q["speaker"]["text"] == "she" and q["speaker"]["entity"] == "Maria Lopez"


@pytest.mark.parametrize(
    "text, content, speaker, cue",
    [
        ("Chancellor Angela Merkel said on Monday that Germany would send more aid.",
         "that Germany would send more aid", "Angela Merkel", "said"),
        ("The economy shrank by 2 percent last year, according to the Bank of England.",
         "The economy shrank by 2 percent last year", "Bank of England", "according to"),
    ],
)
def test_indirect_quote(parse, text, content, speaker, cue):
    quotes = [q for q in extract_quotes(parse(text)) if q["type"] == "indirect"]
    assert len(quotes) == 1
    (q,) = quotes
    assert q["content"]["text"] == content
    assert q["speaker"]["entity"] == speaker
    assert q["cue"]["text"] == cue


def test_pronoun_speaker_resolves_to_the_person(parse):
    text = (
        "Prime Minister Justin Trudeau visited the flooded town on Friday.\n\n"
        "“Nobody will be left behind,” he told reporters."
    )
    (q,) = [q for q in extract_quotes(parse(text)) if q["type"] == "direct"]
    assert q["speaker"]["text"] == "he"
    assert q["speaker"]["entity"] == "Justin Trudeau"
    assert q["cue"]["text"] == "told"


def test_quote_without_speaker_has_null_speaker(parse):
    # kept with min_confidence 0 (by default a quote with no speaker is under the threshold): never guessed
    doc = parse("The hall fell silent.\n\n“Nobody knows what happens next.”")
    (q,) = extract_quotes(doc, min_confidence=0.0)
    assert q["speaker"] is None


def test_all_caps_cross_head_yields_no_garbage_entities(seed):
    body, doc = seed
    a = body.index(CROSS_HEAD)
    b = a + len(CROSS_HEAD)
    ents = extract_entities(doc)
    in_head = [(e["name"], e["label"]) for e in ents for m in e["mentions"] if a <= m["start"] < b]
    # only NATO, which the article also names in normal case, may be picked up from the cross-head
    assert all(name == "NATO" for name, _ in in_head), in_head
    assert not any(e["label"] in ("PERSON", "ORG") and e["name"].isupper() and e["name"] != "NATO"
                   for e in ents)


def test_canonical_names_in_seed(seed):
    _, doc = seed
    ents = {e["name"]: e for e in extract_entities(doc)}
    assert "Kirby" not in ents and "Putin" not in ents
    assert len(ents["John Kirby"]["mentions"]) == 3
    assert ents["Vladimir Putin"]["label"] == "PERSON"


def test_conll_style_entities(parse):
    """The CoNLL-fine-tuned recogniser: sports-page names and organisations, OntoNotes labels kept."""
    text = "Manchester United beat Arsenal 2-1 at Old Trafford on Saturday, with Wayne Rooney scoring twice."
    ents = {e["name"]: e["label"] for e in extract_entities(parse(text))}
    assert ents.get("Manchester United") == "ORG"
    assert ents.get("Arsenal") == "ORG"
    assert ents.get("Wayne Rooney") == "PERSON"


def test_entity_sentiment_follows_the_target(parse):
    text = "Critics slammed Governor John Smith for the disastrous handling of the crisis."
    result = analyse_sentiment(parse(text))
    assert result["entities"]["John Smith"]["label"] == "negative"


def test_a_title_is_not_an_org(seed, parse):
    _, doc = seed
    assert "Defense" not in {e["name"] for e in extract_entities(doc)}  # "Defense Secretary Lloyd Austin"
    other = parse("The Pentagon said Lloyd Austin would fly.")
    ents = {e["name"]: e["label"] for e in extract_entities(other)}
    assert ents.get("Pentagon") == "ORG"  # an ORG on its own stays one


def _seed_quote_cues(doc):
    return {q["cue"]["text"]: q for q in extract_quotes(doc, min_confidence=0.0) if q["cue"]}


def test_seed_aspectual_and_naming_verbs_are_not_cues(seed):
    """'Russia has continued to mass soldiers ...' reports no speech, nor does '... have called their
    Ukrainian counterparts' (phone calls): neither is a quote, at any confidence."""
    _, doc = seed
    cues = _seed_quote_cues(doc)
    assert "continued" not in cues and "called" not in cues
    contents = [q["content"]["text"] for q in extract_quotes(doc, min_confidence=0.0)]
    assert not any("to mass soldiers" in c or c == "their Ukrainian counterparts" for c in contents)


def test_seed_title_before_the_name_is_the_person(seed):
    """'Chairman of the Joint Chiefs of Staff Mark Milley and national security adviser Jake Sullivan have
    called ...': whatever the verb, its speaker is Mark Milley (with Jake Sullivan), not 'Chairman'."""
    from agents.stages.nlp import segments
    from agents.stages.quotes.marks import quoted_ranges
    from agents.stages.quotes.speakers import Resolver, attribution

    body, doc = seed
    called = next(t for t in doc if t.text == "called")
    seg = next(s for s in segments(doc) if s.start <= called.i < s.end)
    _, speaker = attribution(called, Resolver(doc, quoted_ranges(doc)), seg.start, called.i)
    assert speaker["entity"] == "Mark Milley"
    milley = "Chairman of the Joint Chiefs of Staff Mark Milley"
    assert speaker["text"] == f"{milley} and national security adviser Jake Sullivan"


def test_seed_cue_after_a_cross_head_keeps_its_speaker(seed):
    """The parser glues the all-caps cross-head onto 'Kirby clarified to the Washington Examiner that
    ...' and takes the cross-head as the subject; the speaker is the name before the cue, in its own
    paragraph."""
    _, doc = seed
    q = _seed_quote_cues(doc)["clarified"]
    assert q["type"] == "indirect" and q["content"]["text"].startswith("that the troop movements were")
    assert q["speaker"]["text"] == "Kirby" and q["speaker"]["entity"] == "John Kirby"
    assert q in extract_quotes(doc)  # confident enough to be emitted


@pytest.mark.parametrize(
    "text, person",
    [
        ("Chairman of the Joint Chiefs of Staff Mark Milley said the strike was lawful.", "Mark Milley"),
        ("Defense Secretary Lloyd Austin told reporters the troops would stay.", "Lloyd Austin"),
        ("Secretary of State Antony Blinken flew to Kyiv on Monday.", "Antony Blinken"),
    ],
)
def test_a_title_before_a_name_is_one_person_and_no_org(parse, text, person):
    ents = extract_entities(parse(text))
    assert [(e["name"], e["label"]) for e in ents if e["label"] in ("PERSON", "ORG")] == [(person, "PERSON")]


def test_an_org_before_a_name_without_a_title_stays_an_org(parse):
    doc = parse("The Joint Chiefs of Staff met on Monday, and the chairman of Exxon, Rex Tillerson, spoke.")
    ents = {e["name"]: e["label"] for e in extract_entities(doc)}
    assert ents.get("Joint Chiefs of Staff") == "ORG"
    assert ents.get("Exxon") == "ORG"
