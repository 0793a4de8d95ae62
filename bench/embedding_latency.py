"""Per-image latency of a generator through two embedding routes
(docs/embedding.md): libgan's sampler (native, batch 1) and onnxruntime-node
running the exported ONNX model (batch 1), both on one thread.

    GAN_LIBRARY=build/libgan.so PYTHONPATH=bindings/python \\
      /usr/bin/python3 bench/embedding_latency.py [--reps 300] [PRESET ...]

Needs onnxruntime-node (bash scripts/onnxruntime.sh; GAN_ONNXRUNTIME_DIR
names its directory).  Native: gan_sampler_generate of one latent vector
through the Python binding (ctypes adds a few microseconds, measured and
printed as "call overhead"); ONNX: InferenceSession.run of one sample in
tests/onnx/run_onnxruntime.js (intraOpNumThreads 1, all graph
optimisations).  Each: 10 warm-up runs, then --reps timed ones; median and
quartiles in ms.  The random initial weights of the presets (seed 0): the
latency does not depend on the values.
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np

import libgan

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(os.path.dirname(HERE), "tests", "onnx", "run_onnxruntime.js")
ORT_DIR = os.environ.get("GAN_ONNXRUNTIME_DIR",
                         os.path.expanduser("~/.cache/libgan/onnxruntime-node"))


def quartiles(t):
    t = sorted(t)
    n = len(t)
    return t[n // 2], t[n // 4], t[(3 * n) // 4]


def native(m, reps):
    s = libgan.Sampler(m, seed=1, max_batch=1)
    z = np.random.default_rng(0).standard_normal((1, s.latent_dim)).astype(np.float32)
    labels = 0 if m.num_classes else None
    out = np.empty((1,) + tuple(s.image_shape), np.float32)
    for _ in range(10):
        s.generate(z=z, out=out, labels=labels)
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        s.generate(z=z, out=out, labels=labels)
        t.append((time.perf_counter() - t0) * 1e3)
    return quartiles(t)


def onnxruntime(m, reps, tmp):
    path = os.path.join(tmp, "g.onnx")
    m.export_onnx(path)
    d = m.input_shape[0]
    z = np.random.default_rng(0).standard_normal((1, d)).astype("<f4")
    z.tofile(os.path.join(tmp, "z.f32"))
    lab = "-"
    if m.num_classes:
        lab = os.path.join(tmp, "l.i64")
        np.zeros(1, "<i8").tofile(lab)
    r = subprocess.run(["node", RUNNER, path, os.path.join(tmp, "z.f32"), "1,%d" % d, lab,
                        os.path.join(tmp, "out.f32"), "--bench=%d" % reps],
                       capture_output=True, text=True, check=True,
                       env=dict(os.environ, NODE_PATH=os.path.join(ORT_DIR, "node_modules")))
    b = json.loads(r.stdout.strip().splitlines()[-1])
    return b["median_ms"], b["q1_ms"], b["q3_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("presets", nargs="*")
    a = ap.parse_args()
    libgan.set_threads(1)
    names = a.presets or [p for p in libgan.preset_names()
                          if "generator" in p and p != "mnist-notebook-generator"]
    # The binding's own cost: a call that returns at once.
    t = []
    for _ in range(1000):
        t0 = time.perf_counter()
        libgan.get_threads()
        t.append((time.perf_counter() - t0) * 1e3)
    print("call overhead (ctypes): %.4f ms median" % quartiles(t)[0])
    print("libgan %s, %s" % (libgan.version(), libgan.blas_info()))
    with open(os.path.join(ORT_DIR, "node_modules", "onnxruntime-node", "package.json")) as f:
        print("onnxruntime-node %s, node %s" % (json.load(f)["version"], subprocess.run(
            ["node", "--version"], capture_output=True, text=True).stdout.strip()))
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    print("machine: %s, %d cores, load average %s" % (cpu, os.cpu_count(),
                                                     " ".join("%.1f" % x for x in os.getloadavg())))
    print("| generator | output | native libgan, batch 1 | onnxruntime-node, batch 1 |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            m = libgan.Model.preset(name)
            n = native(m, a.reps)
            o = onnxruntime(m, a.reps, tmp)
            print("| %s | %s | %.2f ms (%.2f-%.2f) | %.2f ms (%.2f-%.2f) |"
                  % (name, "x".join(map(str, m.output_shape)), *n, *o), flush=True)


if __name__ == "__main__":
    main()
