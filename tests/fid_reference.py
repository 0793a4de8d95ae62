#!/usr/bin/python3
"""fid_reference.py -- libgan's Frechet distance against an independent one.

Random feature sets (NumPy, seeded) are written as float32 files and fed to
tests/fid_tool (libgan: streaming double statistics, LAPACK eigen-
decompositions).  The reference is the usual formula with SciPy's general
matrix square root, as pytorch-fid computes it:

    ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 @ S2))

with np.cov (unbiased) of the float32 features taken in float64.  They must
agree to 1e-6 relative.  For a rank-deficient case (fewer samples than
dimensions), where sqrtm itself is unreliable, the reference is NumPy's
symmetric eigh formula instead.

    python3 tests/fid_reference.py path/to/fid_tool
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.linalg


def fid_sqrtm(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def fid_eigh(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s1)
    r = np.sqrt(np.clip(w, 0, None))[:, None] * v.T
    ev = np.linalg.eigvalsh(r @ s2 @ r.T)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2)
                 - 2 * np.sqrt(np.clip(ev, 0, None)).sum())


def main():
    tool = sys.argv[1]
    rng = np.random.default_rng(20240808)
    cases = []
    # (name, A, B, reference)
    for dim, na, nb in ((8, 500, 300), (64, 3000, 2000), (128, 5000, 4000)):
        mix_a = rng.normal(size=(dim, dim)) / np.sqrt(dim)
        mix_b = mix_a + 0.3 * rng.normal(size=(dim, dim)) / np.sqrt(dim)
        a = rng.normal(size=(na, dim)) @ mix_a + rng.normal(size=dim)
        b = rng.normal(size=(nb, dim)) @ mix_b * 1.5 + rng.normal(size=dim)
        cases.append((f"gaussian d={dim}", a, b, fid_sqrtm))
    # Relu-like features (non-negative, many zeros), as a classifier's.
    a = np.maximum(rng.normal(size=(4000, 32)) @ rng.normal(size=(32, 32)), 0) * 3
    b = np.maximum(rng.normal(size=(2500, 32)) @ rng.normal(size=(32, 32)) + 0.5, 0) * 2
    cases.append(("relu features d=32", a, b, fid_sqrtm))
    # Same distribution: a small FID, still to 1e-6 relative.
    mix = rng.normal(size=(16, 16))
    cases.append(("same distribution d=16", rng.normal(size=(20000, 16)) @ mix,
                  rng.normal(size=(20000, 16)) @ mix, fid_sqrtm))
    # Rank-deficient covariances (n < dim): the eigh formula is the reference.
    cases.append(("rank-deficient d=64 n=40", rng.normal(size=(40, 64)),
                  rng.normal(size=(50, 64)) * 2 + 1, fid_eigh))

    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, a, b, ref in cases:
            a = a.astype("<f4")
            b = b.astype("<f4")
            pa, pb = os.path.join(tmp, "a.f32"), os.path.join(tmp, "b.f32")
            a.tofile(pa)
            b.tofile(pb)
            out = subprocess.run([tool, pa, pb, str(a.shape[1])], check=True,
                                 capture_output=True, text=True).stdout
            got = float(out)
            want = ref(a.astype(np.float64), b.astype(np.float64))
            rel = abs(got - want) / abs(want)
            ok = rel <= 1e-6
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: libgan {got:.12g} "
                  f"reference ({ref.__name__}) {want:.12g} rel {rel:.2e}")
    print(f"fid_reference: {len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
