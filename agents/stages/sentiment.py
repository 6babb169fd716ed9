"""Sentence, document and entity-targeted sentiment.

Sentence and document scores are VADER's. VADER's compound score on a whole article saturates towards
+-1 as its length grows (the sum of word valences is normalised once), so the document score is the
mean of the sentence compounds instead: a long article with one angry sentence stays near neutral.

Entity sentiment asks how the text portrays each entity, which is not the mood of the sentence naming
it ('Critics slammed Smith' is negative for Smith, 'Smith slammed critics' much less so). It comes from
a small multinomial logistic regression over sparse features of each (sentence, mention) pair: the
words around the mention and on which side, the mention's syntactic role and its governing verb, the
VADER valence near it, whether it sits inside a quotation. It is trained on NewsMTSC train
(scripts/train_sentiment.py) and shipped as agents/stages/models/sentiment.json; an entity's label is the
argmax of its mentions' mean class probabilities, its score P(positive) - P(negative). Without the
model file the entity score falls back to the mean VADER compound of the sentences naming it.

With WIRESTREAM_PROFILE=accurate (and agents/stages/models/entity_sentiment/ present) each mention is scored
instead by the fine-tuned MiniLM-L6 encoder of agents.stages.entity_sentiment on its sentence, all
mentions of the article in one batched onnxruntime call, and the entity stage adds resolved
he/she/his/her mentions (agents.stages.entities.with_pronoun_mentions); the aggregation over mentions is
the same.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

from spacy.tokens import Doc, Span
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agents.stages import entity_sentiment as entity_sentiment_onnx
from agents.stages.entities import entities_stage
from agents.stages.nlp import doc_text, profile, segments

POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own recommended thresholds on the compound score
MODEL_PATH = Path(__file__).resolve().parent / "models" / "sentiment.json"
CLASSES = ("negative", "neutral", "positive")
_WINDOW = 6
_QUOTES = frozenset("\"“”«»„")


@functools.cache
def analyzer() -> SentimentIntensityAnalyzer:
    """One analyser per process: it parses its lexicon files on creation."""
    return SentimentIntensityAnalyzer()


@functools.cache
def _model() -> dict | None:
    """{"weights": {feature: [w_neg, w_neu, w_pos]}, "bias": [...], ...} or None."""
    if not MODEL_PATH.exists():
        return None
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def label_for(score: float) -> str:
    return "positive" if score >= POSITIVE else "negative" if score <= NEGATIVE else "neutral"


def _scored(score: float) -> dict:
    score = round(score, 4)
    return {"label": label_for(score), "score": score}


def _valence(tok) -> float:
    return analyzer().lexicon.get(tok.lower_, 0.0)


def _bucket(x: float, step: float = 0.25) -> int:
    return int(math.floor(x / step + 0.5))


def segment_info(sent: Span) -> list[tuple[int, str, float]]:
    """(token index, lowercase lemma, VADER valence) of the sentence's word tokens, computed once per
    sentence however many mentions it holds."""
    lex = analyzer().lexicon
    return [(t.i, t.lemma_.lower(), lex.get(t.lower_, 0.0)) for t in sent if not (t.is_space or t.is_punct)]


def target_features(
    sent: Span, start: int, end: int, sent_compound: float, info: list | None = None
) -> dict[str, float]:
    """Sparse features of the mention doc[start:end] (token indices) in its sentence `sent`."""
    doc = sent.doc
    f: dict[str, float] = {"bias": 1.0, "vs": sent_compound, f"vsb:{_bucket(sent_compound)}": 1.0}
    near = far = 0.0
    for i, lem, v in info if info is not None else segment_info(sent):
        if start <= i < end:
            continue
        f[f"s:{lem}"] = 1.0
        d = i - start if i < start else i - end + 1
        if abs(d) <= _WINDOW:
            f[f"{'L' if d < 0 else 'R'}:{lem}"] = 1.0
        if v:
            # valence near the mention, decaying with distance
            near += v / (1 + abs(d))
            far += v
    f["near"] = math.tanh(near / 2)
    f["far"] = math.tanh(far / 4)
    f[f"nearb:{_bucket(math.tanh(near / 2))}"] = 1.0
    # syntax: role of the mention and the verb governing it
    root = doc[start:end].root
    f[f"dep:{root.dep_}"] = 1.0
    f[f"hd:{root.dep_}:{root.head.lemma_.lower()}"] = 1.0
    for c in root.children:
        if c.dep_ in ("amod", "appos", "compound") and not start <= c.i < end:
            f[f"mod:{c.lemma_.lower()}"] = 1.0
    path, v = [root.dep_], root.head
    for _ in range(4):
        if v.pos_ in ("VERB", "AUX") or v.head is v:
            break
        path.append(v.dep_)
        v = v.head
    role = path[-1]
    vl = v.lemma_.lower()
    f[f"v:{vl}"] = 1.0
    f[f"vr:{role}:{vl}"] = 1.0
    f[f"role:{role}"] = 1.0
    neg = any(c.dep_ == "neg" for c in v.children)
    if neg:
        f["neg"] = 1.0
        f[f"negv:{vl}"] = 1.0
    for c in v.children:
        if c.dep_ in ("dobj", "acomp", "attr", "ccomp", "xcomp", "oprd") and not start <= c.i < end:
            f[f"vc:{role}:{c.dep_}:{c.lemma_.lower()}"] = 1.0
            f[f"vcv:{role}:{_bucket(sum(_valence(x) for x in c.subtree) / 4, 0.5)}"] = 1.0
    # inside a quotation / speaker of one
    text = doc_text(doc)
    before = text[sent.start_char : doc[start].idx]
    if sum(ch in _QUOTES for ch in before) % 2 == 1:
        f["inquote"] = 1.0
    if any(ch in _QUOTES for ch in text[sent.start_char : sent.end_char]):
        f[f"hasquote:{role}"] = 1.0
    return f


def _predict(feats: dict[str, float], model: dict) -> list[float]:
    weights = model["weights"]
    z = list(model["bias"])
    for name, x in feats.items():
        w = weights.get(name)
        if w is not None:
            z[0] += w[0] * x
            z[1] += w[1] * x
            z[2] += w[2] * x
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def analyse_sentiment(doc: Doc) -> dict:
    """{label, score, sentences: [{start, end, label, score}], entities: {canonical name: {label, score}}}."""
    va = analyzer()
    segs = segments(doc)
    sentences = []
    for seg in segs:
        s = va.polarity_scores(seg.text)["compound"]
        sentences.append({"start": seg.start_char, "end": seg.end_char, **_scored(s)})
    raw = [s["score"] for s in sentences]
    doc_score = sum(raw) / len(raw) if raw else 0.0

    seg_starts = [s.start_char for s in segs]
    if profile() == "accurate" and entity_sentiment_onnx.available():
        return {**_scored(doc_score), "sentences": sentences,
                "entities": _encoder_entities(doc, segs, seg_starts)}
    model = _model()
    entities = {}
    infos: dict[int, list] = {}
    for ent in entities_stage(doc):
        if model is None:
            # each sentence counts once however often it names the entity
            hit = [
                s["score"]
                for s in sentences
                if any(m["start"] < s["end"] and s["start"] < m["end"] for m in ent["mentions"])
            ]
            entities[ent["name"]] = _scored(sum(hit) / len(hit) if hit else 0.0)
            continue
        probs = []
        for m in ent["mentions"]:
            span = doc.char_span(m["start"], m["end"], alignment_mode="expand")
            i = _seg_of(seg_starts, segs, m["start"])
            if span is None or i is None:
                continue
            if i not in infos:
                infos[i] = segment_info(segs[i])
            feats = target_features(segs[i], span.start, span.end, sentences[i]["score"], infos[i])
            probs.append(_predict(feats, model))
        if not probs:
            entities[ent["name"]] = {"label": "neutral", "score": 0.0}
            continue
        mean = [sum(p[k] for p in probs) / len(probs) for k in range(3)]
        label = CLASSES[max(range(3), key=mean.__getitem__)]
        entities[ent["name"]] = {"label": label, "score": round(mean[2] - mean[0], 4)}
    return {**_scored(doc_score), "sentences": sentences, "entities": entities}


def _encoder_entities(doc: Doc, segs: list[Span], seg_starts: list[int]) -> dict:
    """Entity sentiment from the encoder: one (sentence, mention offsets) item per mention, scored in
    one batched call; an entity's label is the argmax of its mentions' mean probabilities."""
    text = doc_text(doc)
    ents = entities_stage(doc)
    items, owner = [], []
    for k, ent in enumerate(ents):
        for m in ent["mentions"]:
            i = _seg_of(seg_starts, segs, m["start"])
            if i is None:
                continue
            s0, s1 = segs[i].start_char, segs[i].end_char
            items.append((text[s0:s1], m["start"] - s0, min(m["end"], s1) - s0))
            owner.append(k)
    probs = entity_sentiment_onnx.predict_proba(items) if items else []
    by_ent: dict[int, list] = {}
    for k, p in zip(owner, probs, strict=True):
        by_ent.setdefault(k, []).append(p)
    out = {}
    for k, ent in enumerate(ents):
        ps = by_ent.get(k)
        if not ps:
            out[ent["name"]] = {"label": "neutral", "score": 0.0}
            continue
        mean = [float(sum(p[c] for p in ps) / len(ps)) for c in range(3)]
        label = CLASSES[max(range(3), key=mean.__getitem__)]
        out[ent["name"]] = {"label": label, "score": round(mean[2] - mean[0], 4)}
    return out


def _seg_of(starts: list[int], segs: list[Span], char: int) -> int | None:
    import bisect

    i = bisect.bisect_right(starts, char) - 1
    return i if i >= 0 and char < segs[i].end_char else None
