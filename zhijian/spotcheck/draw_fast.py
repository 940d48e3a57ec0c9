"""Compiled kernels for the fast path of the draw engine (``zhijian.spotcheck.draw``).

Nothing here defines the algorithm: ``draw.py`` (and ``docs/draw.md``) does, and its
pure-Python reference path is what ``verify`` uses. These kernels compute the same
values faster and the tests prove the two paths give identical records.

Why numba: the draw needs one SHA-256 per pool row (14 M at province scale). Measured
for 14 M rows on the 2-core benchmark machine: DuckDB's ``sha256()`` 6.5 s, the
polars-hash plugin 5.1 s, ``hashlib`` in a Python loop about 0.5 us per row (7 s), and this
kernel 0.26 s. The entity message is ``seed_hex (64 bytes) || uscc (18) || category (<= 32)``:
its first 64-byte block is the same for every row, so its SHA-256 state after that block
(the "midstate") is computed once, and each row needs exactly one more compression, which
the kernel below runs for 16 rows at a time in SIMD lanes on all cores.
"""
from __future__ import annotations

import hashlib
import os
import struct

# Parallel kernels are launched from one thread at a time (the pool-hash thread uses the
# serial kernel), so numba's plain pthreads "workqueue" layer suffices; the OpenMP layer
# was seen to abort a short-lived process at exit ("terminate called without an active
# exception"). A deployment may still choose another layer with NUMBA_THREADING_LAYER.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numba as nb  # noqa: E402
import numpy as np

_K = np.array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
], dtype=np.uint32)
_H0 = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
_M32 = 0xFFFFFFFF
LANES = 16
MAX_CATEGORY_BYTES = 64 - 18 - 1 - 8  # the row's bytes + 0x80 + 64-bit length fit one block


def _compress(state, block: bytes):
    """One SHA-256 compression (FIPS 180-4 section 6.2.2) in plain Python."""
    def rotr(x, n):
        return ((x >> n) | (x << (32 - n))) & _M32

    w = [int.from_bytes(block[4 * t:4 * t + 4], "big") for t in range(16)]
    for t in range(16, 64):
        s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
        s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & _M32)
    a, b, c, d, e, f, g, h = state
    for t in range(64):
        t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g))
              + int(_K[t]) + w[t]) & _M32
        t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & _M32
        h, g, f, e, d, c, b, a = g, f, e, (d + t1) & _M32, c, b, a, (t1 + t2) & _M32
    return tuple((x + y) & _M32 for x, y in zip(state, (a, b, c, d, e, f, g, h)))


def midstate(prefix: bytes) -> np.ndarray:
    """SHA-256 state after the 64-byte ``prefix`` block."""
    if len(prefix) != 64:
        raise ValueError("the midstate prefix must be exactly one 64-byte block")
    return np.array(_compress(_H0, prefix), dtype=np.uint32)


def tail_templates(categories, prefix_len: int = 64 + 18) -> np.ndarray:
    """Per category: its bytes, the 0x80 pad byte, zeros, and the message length in bits,
    i.e. bytes 18..63 of the row's second block (bytes 0..17 are the USCC)."""
    out = np.zeros((max(len(categories), 1), 46), np.uint8)
    for i, code in enumerate(categories):
        b = code.encode("ascii")
        if len(b) > MAX_CATEGORY_BYTES:
            raise ValueError(f"category code {code!r} is longer than {MAX_CATEGORY_BYTES} bytes")
        out[i, :len(b)] = np.frombuffer(b, np.uint8)
        out[i, len(b)] = 0x80
        out[i, 38:46] = np.frombuffer(struct.pack(">Q", (prefix_len + len(b)) * 8), np.uint8)
    return out


@nb.njit(parallel=True, cache=True, nogil=True)
def _hash_kernel(mid, uscc, cat_idx, tmpl, K, out):  # pragma: no cover - compiled
    n = uscc.shape[0]
    nblocks = (n + 16 - 1) // 16
    nchunks = 64
    step = (nblocks + nchunks - 1) // nchunks
    for ch in nb.prange(nchunks):
        w = np.empty((64, 16), np.uint32)
        st = np.empty((8, 16), np.uint32)
        for bi in range(ch * step, min(nblocks, (ch + 1) * step)):
            base = bi * 16
            for ln in range(16):
                r = min(base + ln, n - 1)
                c = cat_idx[r]
                for t in range(4):
                    w[t, ln] = ((np.uint32(uscc[r, 4 * t]) << 24) | (np.uint32(uscc[r, 4 * t + 1]) << 16)
                                | (np.uint32(uscc[r, 4 * t + 2]) << 8) | np.uint32(uscc[r, 4 * t + 3]))
                w[4, ln] = ((np.uint32(uscc[r, 16]) << 24) | (np.uint32(uscc[r, 17]) << 16)
                            | (np.uint32(tmpl[c, 0]) << 8) | np.uint32(tmpl[c, 1]))
                for t in range(5, 16):
                    j = 4 * t - 18
                    w[t, ln] = ((np.uint32(tmpl[c, j]) << 24) | (np.uint32(tmpl[c, j + 1]) << 16)
                                | (np.uint32(tmpl[c, j + 2]) << 8) | np.uint32(tmpl[c, j + 3]))
            for t in range(16, 64):
                for ln in range(16):
                    x = w[t - 15, ln]
                    y = w[t - 2, ln]
                    s0 = ((x >> 7) | (x << 25)) ^ ((x >> 18) | (x << 14)) ^ (x >> 3)
                    s1 = ((y >> 17) | (y << 15)) ^ ((y >> 19) | (y << 13)) ^ (y >> 10)
                    w[t, ln] = np.uint32(w[t - 16, ln] + s0 + w[t - 7, ln] + s1)
            for i in range(8):
                for ln in range(16):
                    st[i, ln] = mid[i]
            for t in range(64):
                k = K[t]
                for ln in range(16):
                    a = st[0, ln]
                    b = st[1, ln]
                    c_ = st[2, ln]
                    d = st[3, ln]
                    e = st[4, ln]
                    f = st[5, ln]
                    g = st[6, ln]
                    h = st[7, ln]
                    s1 = np.uint32(((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7)))
                    chh = np.uint32((e & f) ^ ((~e) & g))
                    t1 = np.uint32(h + s1 + chh + k + w[t, ln])
                    s0 = np.uint32(((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10)))
                    mj = np.uint32((a & b) ^ (a & c_) ^ (b & c_))
                    st[7, ln] = g
                    st[6, ln] = f
                    st[5, ln] = e
                    st[4, ln] = np.uint32(d + t1)
                    st[3, ln] = c_
                    st[2, ln] = b
                    st[1, ln] = a
                    st[0, ln] = np.uint32(t1 + s0 + mj)
            for ln in range(16):
                r = base + ln
                if r < n:
                    x0 = np.uint64(np.uint32(mid[0] + st[0, ln]))
                    x1 = np.uint64(np.uint32(mid[1] + st[1, ln]))
                    out[r] = (x0 << np.uint64(32)) | x1


def entity_hashes(seed_hex: str, uscc: np.ndarray, cat_idx: np.ndarray, categories) -> np.ndarray:
    """First 8 bytes (big-endian uint64) of SHA-256(seed_hex || uscc || category) per row.

    ``uscc`` is an ``S18`` array, ``cat_idx`` indexes ``categories``."""
    n = len(uscc)
    out = np.empty(n, np.uint64)
    if n == 0:
        return out
    prefix = seed_hex.encode("ascii")
    mid = midstate(prefix)
    tmpl = tail_templates(categories)
    u8 = np.ascontiguousarray(uscc).view(np.uint8).reshape(n, 18)
    _hash_kernel(mid, u8, np.ascontiguousarray(cat_idx, dtype=np.int32), tmpl, _K, out)
    # Self-check against hashlib on a few rows: a miscompiled kernel must never publish a draw.
    for r in {0, n // 2, n - 1}:
        ref = hashlib.sha256(prefix + bytes(uscc[r]) + categories[int(cat_idx[r])].encode()).digest()
        if int.from_bytes(ref[:8], "big") != int(out[r]):
            raise RuntimeError("fast SHA-256 kernel disagrees with hashlib; refusing to continue")
    return out


def _serialize_body(uscc, division, cat_idx, cat_bytes, cat_len, risk, offsets, out):  # pragma: no cover
    n = uscc.shape[0]
    for r in nb.prange(n):
        p = offsets[r]
        for j in range(18):
            out[p + j] = uscc[r, j]
        out[p + 18] = 44
        d = division[r]
        for j in range(6):
            out[p + 24 - j] = 48 + d % 10
            d //= 10
        out[p + 25] = 44
        c = cat_idx[r]
        ln = cat_len[c]
        for j in range(ln):
            out[p + 26 + j] = cat_bytes[c, j]
        q = p + 26 + ln
        out[q] = 44
        out[q + 1] = 65 + risk[r]
        out[q + 2] = 10


_serialize_kernel = nb.njit(parallel=True, cache=True, nogil=True)(_serialize_body)
_serialize_serial = nb.njit(cache=True, nogil=True)(_serialize_body)


def serialize_rows(header: bytes, uscc, division, cat_idx, categories, risk) -> bytes:
    """The canonical pool file body written by a parallel kernel (same bytes as the
    reference ``b"".join(...)``)."""
    n = len(uscc)
    cat_len = np.array([len(c) for c in categories] or [0], np.int64)
    cat_bytes = np.zeros((max(len(categories), 1), max(int(cat_len.max()), 1)), np.uint8)
    for i, c in enumerate(categories):
        cat_bytes[i, :len(c)] = np.frombuffer(c.encode("ascii"), np.uint8)
    line_len = 29 + cat_len[cat_idx]
    offsets = np.empty(n, np.int64)
    if n:
        offsets[0] = len(header)
        np.cumsum(line_len[:-1], out=offsets[1:])
        offsets[1:] += len(header)
    total = len(header) + int(line_len.sum())
    out = np.empty(total, np.uint8)
    out[:len(header)] = np.frombuffer(header, np.uint8)
    if n:
        u8 = np.ascontiguousarray(uscc).view(np.uint8).reshape(n, 18)
        _serialize_kernel(u8, np.ascontiguousarray(division, dtype=np.int32),
                          np.ascontiguousarray(cat_idx, dtype=np.int32), cat_bytes, cat_len,
                          np.ascontiguousarray(risk, dtype=np.uint8), offsets, out)
    return out.tobytes()


@nb.njit(cache=True, nogil=True)
def _better(ka, ra, kb, rb):  # pragma: no cover - compiled
    """Row a ranks before row b: larger key, then smaller row index (canonical order)."""
    return ka > kb or (ka == kb and ra < rb)


@nb.njit(cache=True, nogil=True)
def _sift_down(heap, keys, start, size, pos):  # pragma: no cover - compiled
    # min-heap on rank: the root is the worst kept row
    while True:
        child = 2 * pos + 1
        if child >= size:
            return
        rc = heap[start + child]
        if child + 1 < size:
            r2 = heap[start + child + 1]
            if _better(keys[rc], rc, keys[r2], r2):
                child += 1
                rc = r2
        rp = heap[start + pos]
        if _better(keys[rp], rp, keys[rc], rc):
            heap[start + pos] = rc
            heap[start + child] = rp
            pos = child
        else:
            return


@nb.njit(cache=True, nogil=True)
def _sift_up(heap, keys, start, pos):  # pragma: no cover - compiled
    while pos > 0:
        parent = (pos - 1) // 2
        rp = heap[start + parent]
        rc = heap[start + pos]
        if _better(keys[rp], rp, keys[rc], rc):
            heap[start + parent] = rc
            heap[start + pos] = rp
            pos = parent
        else:
            return


@nb.njit(cache=True, nogil=True)
def _top_kernel(sid, keys, eligible, cap, start, heap, size):  # pragma: no cover - compiled
    n = sid.shape[0]
    for r in range(n):
        if not eligible[r]:
            continue
        s = sid[r]
        c = cap[s]
        if c == 0:
            continue
        st = start[s]
        sz = size[s]
        if sz < c:
            heap[st + sz] = r
            size[s] = sz + 1
            _sift_up(heap, keys, st, sz)
        else:
            root = heap[st]
            if _better(keys[r], r, keys[root], root):
                heap[st] = r
                _sift_down(heap, keys, st, sz, 0)
    # heapsort each stratum's heap in place: best first
    for s in range(cap.shape[0]):
        sz = size[s]
        st = start[s]
        for end in range(sz - 1, 0, -1):
            tmp = heap[st]
            heap[st] = heap[st + end]
            heap[st + end] = tmp
            _sift_down(heap, keys, st, end, 0)
        # the worst rows went to the end one by one: the region is now best first


def top_per_stratum(sid: np.ndarray, keys: np.ndarray, eligible: np.ndarray, cap: np.ndarray):
    """Per stratum the ``cap[s]`` best eligible rows (largest key, then smallest row index),
    best first. Returns (start, size, rows): stratum ``s`` has ``rows[start[s]:start[s]+size[s]]``."""
    cap = np.ascontiguousarray(cap, dtype=np.int64)
    start = np.zeros(len(cap), np.int64)
    if len(cap) > 1:
        np.cumsum(cap[:-1], out=start[1:])
    heap = np.full(int(cap.sum()), -1, np.int64)
    size = np.zeros(len(cap), np.int64)
    _top_kernel(np.ascontiguousarray(sid, dtype=np.int64), np.ascontiguousarray(keys, dtype=np.float64),
                np.ascontiguousarray(eligible, dtype=np.bool_), cap, start, heap, size)
    return start, size, heap


@nb.njit(cache=True, nogil=True)
def _assign_kernel(task_div, task_cat, task_h, ex_start, ex_rows, pair_keys, pair_start, pair_insp,
                   n_cat, insp_t, load, k, level_lo, level_hi, out, out_level, cand):  # pragma: no cover
    """Inspectors for each task, tasks in the given order (see draw._assign_reference)."""
    n_tasks = task_div.shape[0]
    chain = np.empty(3, np.int64)
    for ti in range(n_tasks):
        d = np.int64(task_div[ti])
        cat = np.int64(task_cat[ti])
        h = task_h[ti]
        found = -1
        nc = 0
        for lvl in range(level_lo, level_hi + 1):
            nchain = 1
            chain[0] = d
            if lvl >= 1:
                city = (d // 100) * 100
                if city != d:
                    chain[nchain] = city
                    nchain += 1
            if lvl >= 2:
                prov = (d // 10000) * 10000
                dup = False
                for q in range(nchain):
                    if chain[q] == prov:
                        dup = True
                if not dup:
                    chain[nchain] = prov
                    nchain += 1
            nc = 0
            for q in range(nchain):
                key = chain[q] * n_cat + cat
                pos = np.searchsorted(pair_keys, key)
                if pos < pair_keys.shape[0] and pair_keys[pos] == key:
                    for j in range(pair_start[pos], pair_start[pos + 1]):
                        ins = pair_insp[j]
                        blocked = False
                        for e in range(ex_start[ti], ex_start[ti + 1]):
                            if ex_rows[e] == ins:
                                blocked = True
                                break
                        if not blocked:
                            cand[nc] = ins
                            nc += 1
            if nc >= k:
                found = lvl
                break
        if found < 0:
            return ti
        out_level[ti] = found
        for slot in range(k):
            best = -1
            for j in range(nc):
                ins = cand[j]
                if ins < 0:
                    continue
                if best < 0:
                    best = j
                    continue
                bi = cand[best]
                if load[ins] < load[bi]:
                    best = j
                elif load[ins] == load[bi]:
                    ta = insp_t[ins] ^ h
                    tb = insp_t[bi] ^ h
                    if ta < tb or (ta == tb and ins < bi):
                        best = j
            ins = cand[best]
            out[ti, slot] = ins
            cand[best] = -1
        for slot in range(k):
            load[out[ti, slot]] += 1
    return -1


def assign(task_div, task_cat, task_h, ex_start, ex_rows, pair_keys, pair_start, pair_insp, n_cat,
           insp_t, workload, k, level_lo, level_hi):
    """Returns (failed_task_index or -1, inspectors (T, k) int64, level (T,) int64)."""
    n = len(task_div)
    out = np.full((n, k), -1, np.int64)
    out_level = np.full(n, -1, np.int64)
    cand = np.empty(max(len(pair_insp), 1), np.int64)
    load = np.array(workload, dtype=np.int64, copy=True)
    failed = _assign_kernel(np.ascontiguousarray(task_div, dtype=np.int64),
                            np.ascontiguousarray(task_cat, dtype=np.int64),
                            np.ascontiguousarray(task_h, dtype=np.uint64),
                            np.ascontiguousarray(ex_start, dtype=np.int64),
                            np.ascontiguousarray(ex_rows, dtype=np.int64),
                            np.ascontiguousarray(pair_keys, dtype=np.int64),
                            np.ascontiguousarray(pair_start, dtype=np.int64),
                            np.ascontiguousarray(pair_insp, dtype=np.int64), np.int64(n_cat),
                            np.ascontiguousarray(insp_t, dtype=np.uint64), load, np.int64(k),
                            np.int64(level_lo), np.int64(level_hi), out, out_level, cand)
    return int(failed), out, out_level


@nb.njit(parallel=True, cache=True, nogil=True)
def _check_kernel(uscc, cat_idx, division, risk, lut, bad):  # pragma: no cover - compiled
    """bad[r] = 0 if row r is fine, else 1 bad USCC character, 2 out of order w.r.t. row r-1,
    3 duplicate of row r-1, 4 same USCC as row r-1 with another division or risk class."""
    n = uscc.shape[0]
    for r in nb.prange(n):
        code = 0
        for j in range(18):
            if not lut[uscc[r, j]]:
                code = 1
                break
        if code == 0 and r > 0:
            cmpv = 0
            for j in range(18):
                a = uscc[r - 1, j]
                b = uscc[r, j]
                if a != b:
                    cmpv = -1 if a < b else 1
                    break
            if cmpv > 0:
                code = 2
            elif cmpv == 0:
                if cat_idx[r - 1] > cat_idx[r]:
                    code = 2
                elif cat_idx[r - 1] == cat_idx[r]:
                    code = 3
                elif division[r - 1] != division[r] or risk[r - 1] != risk[r]:
                    code = 4
        bad[r] = code


def check_rows(uscc, cat_idx, division, risk, lut) -> np.ndarray:
    n = len(uscc)
    bad = np.zeros(n, np.uint8)
    if n:
        _check_kernel(np.ascontiguousarray(uscc).view(np.uint8).reshape(n, 18),
                      np.ascontiguousarray(cat_idx, dtype=np.int32),
                      np.ascontiguousarray(division, dtype=np.int32),
                      np.ascontiguousarray(risk, dtype=np.uint8), lut, bad)
    return bad


@nb.njit(cache=True, nogil=True)
def _units_present(division, div_unit):  # pragma: no cover - compiled
    present = np.zeros(1_000_000, np.bool_)
    for r in range(division.shape[0]):
        d = division[r]
        present[(d // div_unit) * div_unit] = True
    return present


@nb.njit(parallel=True, cache=True, nogil=True)
def _sid_keys_kernel(division, div_unit, lut, category, n_cat, risk, h, w, sid, keys):  # pragma: no cover
    n = division.shape[0]
    scale = 1.0 / 9007199254740992.0
    for r in nb.prange(n):
        d = division[r]
        sid[r] = lut[(d // div_unit) * div_unit] * n_cat + category[r]
        m2 = ((h[r] >> np.uint64(12)) << np.uint64(1)) + np.uint64(1)
        keys[r] = np.log(np.float64(m2) * scale) / w[risk[r]]


@nb.njit(cache=True, nogil=True)
def _count_kernel(sid, risk, excluded, counts):  # pragma: no cover - compiled
    # counts[s, 0..3] eligible rows per class, counts[s, 4] excluded rows
    for r in range(sid.shape[0]):
        if excluded[r]:
            counts[sid[r], 4] += 1
        else:
            counts[sid[r], risk[r]] += 1


def strata_and_keys(division, level_unit: int, category, n_cat: int, risk, h, excluded, w):
    """Stratum ids (unit index x n_cat + category), double keys ln(u)/w, the sorted unit
    codes, and per stratum the eligible rows per class and the excluded rows."""
    division = np.ascontiguousarray(division, dtype=np.int32)
    present = _units_present(division, np.int32(level_unit))
    units = np.flatnonzero(present)
    lut = np.full(1_000_000, -1, np.int64)
    lut[units] = np.arange(len(units))
    n = len(division)
    sid = np.empty(n, np.int64)
    keys = np.empty(n, np.float64)
    _sid_keys_kernel(division, np.int32(level_unit), lut, np.ascontiguousarray(category, dtype=np.int32),
                     np.int64(n_cat), np.ascontiguousarray(risk, dtype=np.uint8), h,
                     np.ascontiguousarray(w, dtype=np.float64), sid, keys)
    counts = np.zeros((len(units) * n_cat, 5), np.int64)
    _count_kernel(sid, np.ascontiguousarray(risk, dtype=np.uint8), np.ascontiguousarray(excluded, np.bool_),
                  counts)
    return sid, keys, units, counts


def pool_sha256(header: bytes, uscc, division, cat_idx, categories, risk, chunk_rows: int = 1 << 17) -> str:
    """SHA-256 of the canonical pool file, serialised chunk by chunk into a reused buffer
    (no 0.5 GB file in memory), in the calling thread and without holding the GIL (the
    kernel is ``nogil`` and hashlib releases the GIL on large updates), so a caller can run
    it in a thread next to other work."""
    hasher = hashlib.sha256(header)
    n = len(uscc)
    if n == 0:
        return hasher.hexdigest()
    cat_len = np.array([len(c) for c in categories], np.int64)
    cat_bytes = np.zeros((len(categories), max(int(cat_len.max()), 1)), np.uint8)
    for i, c in enumerate(categories):
        cat_bytes[i, :len(c)] = np.frombuffer(c.encode("ascii"), np.uint8)
    u8 = np.ascontiguousarray(uscc).view(np.uint8).reshape(n, 18)
    division = np.ascontiguousarray(division, dtype=np.int32)
    cat_idx = np.ascontiguousarray(cat_idx, dtype=np.int32)
    risk = np.ascontiguousarray(risk, dtype=np.uint8)
    buf = np.empty(chunk_rows * (29 + int(cat_len.max())), np.uint8)
    offsets = np.empty(chunk_rows, np.int64)
    for lo in range(0, n, chunk_rows):
        hi = min(n, lo + chunk_rows)
        line_len = 29 + cat_len[cat_idx[lo:hi]]
        off = offsets[:hi - lo]
        off[0] = 0
        np.cumsum(line_len[:-1], out=off[1:])
        size = int(off[-1] + line_len[-1])
        _serialize_serial(u8[lo:hi], division[lo:hi], cat_idx[lo:hi], cat_bytes, cat_len, risk[lo:hi], off, buf)
        hasher.update(memoryview(buf)[:size])
    return hasher.hexdigest()
