"""Entity-targeted sentiment from a fine-tuned MiniLM-L6 encoder, run with onnxruntime.

The model (agents/stages/models/entity_sentiment/: model.onnx, tokenizer.json, meta.json) is all-MiniLM-L6-v2
fine-tuned on NewsMTSC train by scripts/train_entity_sentiment.py. Its input is the sentence pair
"[CLS] window of the sentence [SEP] target mention [SEP]"; the classifier reads the [CLS] vector
concatenated with the mean of the encoder states over the target's word pieces in the sentence, so two
targets in one sentence get different answers ('Critics slammed Smith' vs 'Smith slammed critics').

Only onnxruntime, tokenizers and numpy are needed at run time (no torch). Nothing runs at import time;
the session and tokenizer are loaded once per process, on first use. `encode()` is also what the training
script feeds the model, so training and inference see the same inputs.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from streams.settings import get_settings

MODEL_DIR = Path(__file__).resolve().parent / "models" / "entity_sentiment"
CLASSES = ("negative", "neutral", "positive")
MAX_LEN = 128  # word pieces of the whole pair, special tokens included
MAX_TARGET = 16  # word pieces of the target mention kept in the second segment
CLS_ID, SEP_ID, PAD_ID = 101, 102, 0  # BERT uncased vocabulary (MiniLM-L6 uses it unchanged)


@functools.cache
def tokenizer(model_dir: str | None = None):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir or MODEL_DIR) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


@functools.cache
def session(model_dir: str | None = None, threads: int | None = None):
    """One onnxruntime session per process (and model dir / thread count).

    threads: intra-op threads; default $WIRESTREAM_ORT_THREADS or 1 (a worker per core scales better
    than threads inside one worker, and the stream agents run one worker per core)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or get_settings().ort_threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    path = Path(model_dir or MODEL_DIR) / "model.onnx"
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def available(model_dir: str | None = None) -> bool:
    d = Path(model_dir or MODEL_DIR)
    if not ((d / "model.onnx").exists() and (d / "tokenizer.json").exists()):
        return False
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def meta(model_dir: str | None = None) -> dict:
    p = Path(model_dir or MODEL_DIR) / "meta.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def encode(items, tok=None, max_len: int | None = None):
    """(sentence, start, end) triples -> padded int64 arrays input_ids, attention_mask, token_type_ids
    and a float32 target_mask (1 on the target's word pieces in the first segment).

    Sentences longer than the budget are cut to a window of word pieces centred on the target."""
    tok = tok or tokenizer()
    max_len = max_len or MAX_LEN
    sents = [s for s, _, _ in items]
    targets = [s[a:b] or s[a : a + 1] or "." for s, a, b in items]
    enc_s = tok.encode_batch(sents, add_special_tokens=False)
    enc_t = tok.encode_batch(targets, add_special_tokens=False)
    rows = []
    for (_s, a, b), es, et in zip(items, enc_s, enc_t, strict=True):
        t_ids = et.ids[:MAX_TARGET] or [100]  # [UNK] for an empty mention
        ids, offs = es.ids, es.offsets
        hit = [i for i, (x, y) in enumerate(offs) if x < b and y > a]
        if not hit:  # zero-width or whitespace span: the piece at/after the start
            hit = [min(range(len(offs)), key=lambda i: abs(offs[i][0] - a))] if offs else []
        budget = max_len - len(t_ids) - 3
        lo, hi = 0, len(ids)
        if hi > budget:
            h0, h1 = hit[0], hit[-1] + 1
            if h1 - h0 > budget:
                h1 = h0 + budget
            spare = budget - (h1 - h0)
            lo = max(0, h0 - spare // 2)
            hi = min(len(ids), lo + budget)
            lo = max(0, hi - budget)
        win = ids[lo:hi]
        mask = [0.0] + [1.0 if lo + i in hit else 0.0 for i in range(len(win))] + [0.0]
        seq = [CLS_ID] + win + [SEP_ID] + t_ids + [SEP_ID]
        types = [0] * (len(win) + 2) + [1] * (len(t_ids) + 1)
        mask += [0.0] * (len(t_ids) + 1)
        if not any(mask):  # target outside the window cannot happen, but never divide by zero
            mask[0] = 1.0
        rows.append((seq, types, mask))
    n, L = len(rows), max((len(r[0]) for r in rows), default=1)
    input_ids = np.full((n, L), PAD_ID, dtype=np.int64)
    attention = np.zeros((n, L), dtype=np.int64)
    type_ids = np.zeros((n, L), dtype=np.int64)
    tmask = np.zeros((n, L), dtype=np.float32)
    for i, (seq, types, mask) in enumerate(rows):
        k = len(seq)
        input_ids[i, :k] = seq
        attention[i, :k] = 1
        type_ids[i, :k] = types
        tmask[i, :k] = mask
    return {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": type_ids,
            "target_mask": tmask}


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def predict_proba(items, model_dir: str | None = None, batch_size: int = 64) -> np.ndarray:
    """(n, 3) class probabilities (negative, neutral, positive). Items are sorted by length and run in
    batches of batch_size (one call for up to batch_size items), so padding stays small."""
    if not items:
        return np.zeros((0, 3), dtype=np.float32)
    sess, tok = session(model_dir), tokenizer(model_dir)
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    out = np.zeros((len(items), 3), dtype=np.float32)
    for k in range(0, len(order), batch_size):
        idx = order[k : k + batch_size]
        feeds = encode([items[i] for i in idx], tok, meta(model_dir).get("max_len"))
        (logits,) = sess.run(["logits"], feeds)
        out[idx] = _softmax(logits.astype(np.float32))
    return out


def score_targets(
    items: list[tuple[str, int, int]], model_dir: str | None = None
) -> list[tuple[str, float, list[float]]]:
    """[(sentence_text, target_char_start, target_char_end)]
    -> [(label, P(pos) - P(neg), [p_neg, p_neu, p_pos])].

    Offsets are character offsets into sentence_text (a sentence or a window around the mention)."""
    probs = predict_proba(list(items), model_dir)
    return [(CLASSES[int(p.argmax())], round(float(p[2] - p[0]), 4), [round(float(x), 4) for x in p])
            for p in probs]
