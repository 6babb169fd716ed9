"""The validate agent's parse runs: bounded by words, not by articles (agents/pipeline.py)."""

from agents.parsing import Parsed, parse_docs, word_budget_chunks


def text(words: int) -> str:
    return " ".join(["word"] * words)


def test_runs_hold_at_most_the_word_budget_and_keep_the_order():
    texts = [text(n) for n in (300, 300, 500, 100, 900, 50)]
    chunks = word_budget_chunks(texts, 1000)
    assert [t for c in chunks for t in c] == texts
    assert [[len(t.split()) for t in c] for c in chunks] == [[300, 300], [500, 100], [900, 50]]


def test_a_text_longer_than_the_budget_runs_alone():
    chunks = word_budget_chunks([text(10), text(5000), text(10)], 1000)
    assert [[len(t.split()) for t in c] for c in chunks] == [[10], [5000], [10]]


def test_parse_docs_in_runs_returns_one_doc_per_text_in_order():
    texts = ["Reed said the plan was dead.", "The board met on Monday.", "Prices rose again in May."]
    out = parse_docs(texts, max_words=7)
    assert all(isinstance(p, Parsed) for p in out)
    assert [p.doc.text for p in out] == texts


def test_a_text_spacy_fails_on_is_a_parse_failure_naming_the_error_and_the_rest_are_parsed(monkeypatch):
    """The dead letter's detail ("Type: message") comes from here, whichever process parsed."""
    from agents import parsing

    real = parsing.load_nlp()

    class Refusing:
        def pipe(self, texts, batch_size):
            if any("poison" in t for t in texts):
                raise ValueError("batch refused")
            return real.pipe(texts, batch_size=batch_size)

        def __call__(self, text):
            if "poison" in text:
                raise ValueError("no poison")
            return real(text)

    monkeypatch.setattr(parsing, "load_nlp", Refusing)
    out = parse_docs(["Reed said so.", "A poison pen.", "Prices rose."], max_words=100)
    assert isinstance(out[1], parsing.ParseFailed) and str(out[1]) == "ValueError: no poison"
    assert [p.doc.text for p in (out[0], out[2])] == ["Reed said so.", "Prices rose."]
