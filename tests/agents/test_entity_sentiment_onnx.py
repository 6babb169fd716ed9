"""The shipped encoder for entity-targeted sentiment (agents/stages/models/entity_sentiment): by-hand cases.

Each sentence below was written for this test (not taken from NewsMTSC); a regressed or mis-exported
model fails them. Skipped when the model or onnxruntime/tokenizers are missing.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from agents.stages import entity_sentiment as eso

pytestmark = pytest.mark.skipif(not eso.available(), reason="entity_sentiment model or onnxruntime missing")


def span(sentence: str, target: str, nth: int = 0) -> tuple[str, int, int]:
    start = -1
    for _ in range(nth + 1):
        start = sentence.index(target, start + 1)
    return sentence, start, start + len(target)


NEGATIVE = [
    span("Critics slammed Smith for the scandal.", "Smith"),
    span("Prosecutors charged Johnson with fraud and lying to investigators.", "Johnson"),
    span("The senator was widely condemned after Brown's racist remarks surfaced.", "Brown"),
]
POSITIVE = [
    span("Colleagues praised Garcia as a brilliant, honest and tireless leader.", "Garcia"),
    span("Supporters cheered as Miller won a landslide victory, hailed as a hero by voters.", "Miller"),
]
NEUTRAL = [
    span("Smith will speak at the conference in Denver on Tuesday.", "Smith"),
    span("The meeting with Lee is scheduled for 10 a.m. at the city hall.", "Lee"),
]


def test_clear_cases():
    items = NEGATIVE + POSITIVE + NEUTRAL
    want = ["negative"] * len(NEGATIVE) + ["positive"] * len(POSITIVE) + ["neutral"] * len(NEUTRAL)
    got = eso.score_targets(items)
    assert [g[0] for g in got] == want, list(zip(want, got, [i[0] for i in items], strict=True))


def test_output_shape_and_score():
    (label, score, probs), = eso.score_targets([NEGATIVE[0]])
    assert label in eso.CLASSES and len(probs) == 3
    assert abs(sum(probs) - 1.0) < 1e-3
    assert score == pytest.approx(probs[2] - probs[0], abs=2e-4)
    assert score < -0.3
    assert eso.score_targets([]) == []


def test_target_dependent():
    """Two people in one sentence, opposite portrayals."""
    s = "Voters adored Adams, while Baker was booed off the stage and mocked as a liar."
    (la, sa, _), (lb, sb, _) = eso.score_targets([span(s, "Adams"), span(s, "Baker")])
    assert sa > sb + 0.5, (sa, sb)
    assert lb == "negative"


def test_batch_equals_single():
    """Padding in a batch does not change an item's answer."""
    items = NEGATIVE + POSITIVE + NEUTRAL
    batch = eso.score_targets(items)
    for it, b in zip(items, batch, strict=True):
        one = eso.score_targets([it])[0]
        assert one[0] == b[0] and one[1] == pytest.approx(b[1], abs=1e-3)


def test_long_sentence_windows_around_target():
    filler = "The committee met again on Monday to discuss the budget and other routine matters. " * 20
    s = filler + "Critics slammed Smith for the scandal."
    it = span(s, "Smith")
    feeds = eso.encode([it])
    assert feeds["input_ids"].shape[1] <= eso.MAX_LEN
    assert feeds["target_mask"].sum() >= 1
    assert eso.score_targets([it])[0][0] == "negative"


def test_import_loads_nothing():
    code = ("import sys; import agents.stages.entity_sentiment as m; "
            "assert 'onnxruntime' not in sys.modules and 'tokenizers' not in sys.modules; "
            "assert m.session.cache_info().currsize == 0")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_accurate_profile_in_sentiment_stage(monkeypatch):
    """WIRESTREAM_PROFILE=accurate: the sentiment stage scores entity mentions with the encoder and
    the entity stage adds the resolved pronoun ("He" -> John Smith)."""
    from agents.stages import STAGES
    from agents.stages.nlp import load_nlp

    doc = load_nlp()("Critics slammed John Smith for the scandal. He was fired by the board on Friday.")
    fast = STAGES["entities"](doc)
    monkeypatch.setenv("WIRESTREAM_PROFILE", "accurate")
    ents = STAGES["entities"](doc)
    smith = next(e for e in ents if e["name"] == "John Smith")
    assert [m["text"] for m in smith["mentions"]] == ["John Smith", "He"]
    assert len(next(e for e in fast if e["name"] == "John Smith")["mentions"]) == 1
    sent = STAGES["sentiment"](doc)
    assert sent["entities"]["John Smith"]["label"] == "negative"


@pytest.mark.parametrize("text, name, pronoun", [
    ("Despite her assurances, Maria Delgado was criticised by the committee.", "Maria Delgado", "her"),
    ("Before he left the hall, Tom Reed thanked the volunteers.", "Tom Reed", "he"),
])
def test_a_pronoun_in_a_fronted_clause_is_the_main_subject(monkeypatch, text, name, pronoun):
    """With no person before it, a pronoun in a clause fronted before the main clause stands for that
    clause's subject (the accurate profile's entity stage)."""
    from agents.stages import STAGES
    from agents.stages.nlp import load_nlp

    monkeypatch.setenv("WIRESTREAM_PROFILE", "accurate")
    ents = STAGES["entities"](load_nlp()(text))
    person = next(e for e in ents if e["name"] == name)
    assert [m["text"] for m in person["mentions"]] == [pronoun, name]


def test_a_pronoun_before_a_name_in_the_same_clause_stays_unresolved(monkeypatch):
    from agents.stages import STAGES
    from agents.stages.nlp import load_nlp

    monkeypatch.setenv("WIRESTREAM_PROFILE", "accurate")
    ents = STAGES["entities"](load_nlp()("He cited a letter from Tom Reed to the board."))
    assert [m["text"] for e in ents for m in e["mentions"]] == ["Tom Reed"]
