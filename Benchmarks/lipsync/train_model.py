#!/usr/bin/env python3
"""Trains the lip-sync frame classifiers (Sources/TalkingHeadSpeech/FrameClassifier.swift).

Input: the training corpus written by `LipSyncEval dump` (see Benchmarks/lipsync/Dump.swift;
espeak-ng training voices, sentences and pseudo-words, never the test part's). Output: the JSON
resource with two time-delay networks, "offline" (80 ms both ways) and "live" (20 ms ahead).
Fixed seed; `bash Benchmarks/lipsync_eval.sh --train` runs dump, this, and the evaluation.

    python train_model.py CORPUS.bin OUT.json [--only offline|live]   (--only: keep OUT.json's other model)
"""
import json
import struct
import sys

import numpy as np
import torch

SEED = 20261129
BANDS = 26
INPUTS = BANDS + 1
HIDDEN = 64
# Offsets (frames of 10 ms) per layer; the last layer is the 6-way head at offset 0.
EPOCHS = {"offline": 24, "live": 24}
ARCH = {
    "offline": [[-2, -1, 0, 1, 2], [-6, -3, 0, 3, 6], [0]],
    "live": [[-2, -1, 0, 1], [-9, -6, -3, 0, 1], [0]],
}


def read_corpus(path):
    raw = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(raw):
        lang = raw[pos:pos + 8].rstrip(b"\0").decode()
        (n,) = struct.unpack_from("<i", raw, pos + 8)
        pos += 12
        feats = np.frombuffer(raw, dtype="<f4", count=n * INPUTS, offset=pos).reshape(n, INPUTS)
        pos += n * INPUTS * 4
        labels = np.frombuffer(raw, dtype=np.uint8, count=n, offset=pos)
        pos += n
        out.append((lang, feats.copy(), labels.copy()))
    return out


def offline_reference(loud):
    # As LipSync.reference: the 90th percentile of frames above -60 dB, else -16 dB.
    v = np.sort(loud[loud > -60])
    if len(v) < 5:
        return np.full(len(loud), -16.0, dtype=np.float32)
    return np.full(len(loud), v[min(len(v) - 1, int(len(v) * 0.9))], dtype=np.float32)


def live_reference(loud, decay=3.0, initial=-16.0):
    # As LipSyncStream: a running peak 4 dB under the loudest, falling `decay` dB per second.
    ref, out = np.float32(initial), np.empty(len(loud), dtype=np.float32)
    for t, l in enumerate(loud):
        if l > -60:
            ref = max(np.float32(ref - np.float32(decay / 100)), np.float32(l - 4))
        out[t] = ref
    return out


def inputs(feats, ref):
    # As FrameClassifier.input: dB relative to the reference, clamped to [-60, 30].
    return np.clip(feats - ref[:, None], -60, 30).astype(np.float32)


class TDNN(torch.nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        widths = [INPUTS] + [HIDDEN] * (len(arch) - 1) + [6]
        self.lin = torch.nn.ModuleList(
            torch.nn.Linear(len(o) * widths[i], widths[i + 1]) for i, o in enumerate(arch))

    def forward(self, x, idx):
        # idx[l]: [n, K] frame indices (clamped within each utterance) for layer l.
        for l, lin in enumerate(self.lin):
            x = lin(x[idx[l]].reshape(x.shape[0], -1))
            if l < len(self.lin) - 1:
                x = torch.relu(x)
        return x


def clamp_index(n, offsets):
    t = np.arange(n)[:, None] + np.array(offsets)[None, :]
    return np.clip(t, 0, n - 1)


def batch(utts, arch):
    xs, ys, idx, start = [], [], [[] for _ in arch], 0
    for x, y in utts:
        for l, o in enumerate(arch):
            idx[l].append(clamp_index(len(x), o) + start)
        xs.append(x)
        ys.append(y)
        start += len(x)
    return (torch.from_numpy(np.concatenate(xs)), torch.from_numpy(np.concatenate(ys).astype(np.int64)),
            [torch.from_numpy(np.concatenate(i)) for i in idx])


def losses(z, y, wopen, wvowel):
    scored = (y <= 6)
    target = (y[scored] >= 1).float()
    w = torch.where(target > 0.5, wopen[1], wopen[0])
    lo = (torch.nn.functional.binary_cross_entropy_with_logits(z[scored, 0], target, reduction="none") * w).mean()
    v = (y >= 1) & (y <= 5)
    lv = torch.nn.functional.cross_entropy(z[v, 1:], y[v] - 1, weight=wvowel)
    return lo + lv


def train(kind, corpus):
    epochs = EPOCHS[kind]
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    arch = ARCH[kind]
    refs = offline_reference if kind == "offline" else live_reference
    utts = [(inputs(f, refs(f[:, BANDS])), lab) for _, f, lab in corpus]
    order = rng.permutation(len(utts))
    nval = max(1, len(utts) // 10)
    val = [utts[i] for i in order[:nval]]
    tr = [utts[i] for i in order[nval:]]
    allx = np.concatenate([u[0] for u in tr])
    mean, std = allx.mean(0), allx.std(0) + 1e-3
    norm = lambda u: ((u[0] - mean) / std, u[1])
    tr, val = [norm(u) for u in tr], [norm(u) for u in val]
    ally = np.concatenate([u[1] for u in tr])
    n_closed, n_open = (ally == 0).sum(), ((ally >= 1) & (ally <= 6)).sum()
    wopen = torch.tensor([0.5 * (n_closed + n_open) / n_closed, 0.5 * (n_closed + n_open) / n_open])
    vc = np.array([(ally == k).sum() for k in range(1, 6)], dtype=np.float64)
    wvowel = torch.tensor(vc.sum() / (5 * vc), dtype=torch.float32)
    model = TDNN(arch)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    vx, vy, vidx = batch(val, arch)
    for ep in range(epochs):
        model.train()
        perm = rng.permutation(len(tr))
        total = 0.0
        for b in range(0, len(perm), 32):
            utts_b = []
            for i in perm[b:b + 32]:
                x, y = tr[i]
                # Augmentation: a random spectral tilt and level offset per utterance (other voices, mics).
                tilt = rng.normal(0, 0.08) * (np.arange(INPUTS) - BANDS / 2) / std
                tilt[BANDS] = 0
                level = rng.normal(0, 2.0) / std
                utts_b.append(((x + tilt + level).astype(np.float32), y))
            bx, by, bidx = batch(utts_b, arch)
            loss = losses(model(bx, bidx), by, wopen, wvowel)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step()
        if ep % 5 == 4 or ep == epochs - 1:
            model.eval()
            with torch.no_grad():
                z = model(vx, vidx)
            print(f"{kind} epoch {ep + 1}: train loss {total / max(1, len(perm) // 32):.3f}, "
                  f"validation {report(z, vy, 0.5)}", flush=True)
    model.eval()
    with torch.no_grad():
        z = model(vx, vidx)
    best = max((balanced(z, vy, th), th) for th in np.arange(0.2, 0.81, 0.05))
    print(f"{kind}: open threshold {best[1]:.2f} (validation balanced accuracy {best[0]:.3f})")
    layers = []
    for l, (o, lin) in enumerate(zip(arch, model.lin)):
        w = lin.weight.detach().numpy().T  # [K*in, out]
        layers.append({"offsets": o, "inputs": lin.in_features // len(o), "outputs": lin.out_features,
                       "relu": l < len(arch) - 1, "weights": rounded(w.ravel()), "bias": rounded(lin.bias.detach().numpy())})
    return {"inputMean": rounded(mean), "inputScale": rounded(1 / std), "layers": layers,
            "openThreshold": round(float(best[1]), 2)}


def balanced(z, y, th):
    p = torch.sigmoid(z[:, 0])
    o, c = (y >= 1) & (y <= 6), y == 0
    return 0.5 * (float((p[o] >= th).float().mean()) + float((p[c] < th).float().mean()))


def report(z, y, th):
    v = (y >= 1) & (y <= 5)
    acc = float((z[v, 1:].argmax(1) == y[v] - 1).float().mean())
    return f"open/closed {balanced(z, y, th):.3f}, vowel {acc:.3f}"


def rounded(a):
    return [float(f"{float(v):.5g}") for v in np.asarray(a).ravel()]


def main():
    corpus_path, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    corpus = read_corpus(corpus_path)
    frames = sum(len(c[2]) for c in corpus)
    langs = sorted({c[0] for c in corpus})
    print(f"{len(corpus)} utterances, {frames / 100:.0f} s, languages {' '.join(langs)}")
    only = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--only" else None
    result = json.load(open(out)) if only else {}
    result["version"] = 1
    result["source"] = (f"Benchmarks/lipsync/train_model.py, seed {SEED}, on {len(corpus)} espeak-ng utterances "
                        f"({frames / 100:.0f} s) of the training corpus, languages {' '.join(langs)}")
    for kind in ("offline", "live"):
        if only in (None, kind):
            result[kind] = train(kind, corpus)
    with open(out, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
