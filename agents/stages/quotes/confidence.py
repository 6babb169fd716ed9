"""How much to trust each quote: ``kind`` (speech or other), a calibrated ``confidence``, and one record
per stretch of text (univocal, as PolNeAR annotates).

The confidence is a logistic regression over the evidence each record was found by (which rule gave the
cue, whether a speaker was found and named, the cue verb, the indirect-frame classifier's probability,
the content's size), trained on PolNeAR train to predict "this record matches a gold attribution
(content at 0.3 overlap) with its gold speaker" (scripts/train_quote_confidence.py ->
models/quote_confidence.json). Records under ``WIRESTREAM_QUOTE_MIN_CONFIDENCE`` are not emitted.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

from spacy.tokens import Doc

from agents.stages.quotes.speakers import PERSON_PRONOUNS

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "quote_confidence.json"
#: Cue verbs of speech acts: a quote cued by one of them (or a direct quote) is ``speech``; beliefs,
#: intentions and demands ("wants to", "called for", "believes") are ``other``.
SPEECH_CUES = frozenset(
    "say tell add state claim argue explain note insist warn announce report confirm acknowledge admit "
    "suggest assert contend maintain reveal clarify testify write tweet predict promise vow allege ask "
    "reply respond answer continue recall comment remark observe stress emphasize emphasise concede "
    "complain joke quip recount declare exclaim shout yell whisper muse caution lament boast urge deny "
    "describe point mention post reiterate remind retort counter accord put".split()
)


def cue_lemma(doc: Doc, rec: dict) -> str | None:
    i = rec.get("_cue_i")
    return doc[i].lemma_.lower() if i is not None else None


def kind(doc: Doc, rec: dict) -> str:
    lemma = cue_lemma(doc, rec)
    if rec["type"] == "direct" or lemma in SPEECH_CUES or rec.get("_how") == "dash":
        return "speech"
    return "other"


def features(doc: Doc, rec: dict) -> list[str]:
    """The evidence behind one record, as binary features."""
    how, typ = rec.get("_how", "none"), rec["type"]
    speaker = rec.get("speaker")
    if speaker is None:
        spk = "none"
    elif speaker.get("entity"):
        spk = "entity"
    elif speaker["text"].lower() in PERSON_PRONOUNS | {"they", "it", "we", "i"}:
        spk = "pronoun"
    else:
        spk = "noun"
    words = len(rec["content"]["text"].split())
    size = "1" if words <= 3 else "2" if words <= 8 else "3" if words <= 20 else "4" if words <= 40 else "5"
    lemma = cue_lemma(doc, rec) or "-"
    feats = ["bias", f"t:{typ}", f"h:{how}", f"s:{spk}", f"th:{typ}:{how}", f"ts:{typ}:{spk}",
             f"hs:{how}:{spk}", f"c:{lemma}", f"tc:{typ}:{lemma}", f"k:{kind(doc, rec)}", f"n:{size}",
             f"tn:{typ}:{size}"]
    if rec.get("_p") is not None:
        feats.append(f"p:{min(9, int(rec['_p'] * 10))}")
    return feats


@functools.cache
def _weights() -> dict[str, float] | None:
    if not MODEL_PATH.exists():
        return None
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))["weights"]


def score(doc: Doc, rec: dict) -> float:
    """P(correct attribution, content and speaker); 0.5 without a trained model."""
    w = _weights()
    if w is None:
        return 0.5
    z = sum(w.get(f, 0.0) for f in features(doc, rec))
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def univocal(records: list[dict]) -> list[dict]:
    """Keep, of records sharing content characters, the most confident (then the longest)."""
    kept: list[dict] = []
    for rec in sorted(records, key=lambda r: (-r["confidence"], r["content"]["start"] - r["content"]["end"])):
        s, e = rec["content"]["start"], rec["content"]["end"]
        if all(e <= k["content"]["start"] or s >= k["content"]["end"] for k in kept):
            kept.append(rec)
    return sorted(kept, key=lambda r: r["content"]["start"])
