#!/usr/bin/env python3
"""The scaling model of docs/distributed.md: data-parallel training of the
libgan presets on 8, 64 and 512 nodes at 10 and 100 Gb/s.

    /usr/bin/python3 bench/mpi_scaling_model.py [--markdown]

MODELLED, from MEASURED inputs (below, with the commands that measured
them) and NETWORK assumptions.  Per training step of a node holding a
per-node batch b (one rank per node, all its cores):

  T_step = T_c(b) + exposed + T_scalar + T_noise

  T_c(b)    compute of the step on one node: measured at b = 64 on the
            2-core test machine (1 process x 2 threads), linear in b; the
            "16x node" column divides it by 16 (a 32-core node or a small
            GPU: an assumption, not a measurement).
  reduce    one allreduce of m bytes on P nodes, bandwidth-optimal
            (reduce-scatter + allgather, what MPI libraries pick for large
            messages): 2 log2(P) alpha + 2 (P-1)/P m / B.  A step reduces
            the generator's gradients once and the discriminator's n_critic
            times, bucket by bucket (libgan's buckets: whole layers of at
            least 4 MiB from the top layer down; the sizes come from the
            presets themselves through the Python bindings).
  exposed   what compute does not hide: max(reduction of the last bucket,
            all reductions - W), W = f x T_c, f the measured share of a
            step during which buckets are in flight (window / compute,
            mpi_bench).  The last generator bucket (its first, largest
            layer) starts when the backward pass ends: nothing hides it.
  T_scalar  the step's small blocking sums: the agreement (4P doubles)
            and one loss sum per update: (1 + updates) x (2 log2(P) alpha)
            + 32P / B.
  T_noise   every rank jumps over the other ranks' share of the global
            batch's noise (so the noise is independent of P): two jumps per
            generator forward (n_critic + 1 forwards when n_critic > 1),
            each O(log n), measured at 2.5 us for 3.3 million values (the
            512-node global batch).  Negligible; it was the largest term
            (tens of ms at 512 nodes) before the jumps replaced skipping
            value by value.

Efficiency = T_c / T_step; the speed-up over one node = P x efficiency.
"""

import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))

# ---- measured ------------------------------------------------------------------
# bench/mpi_loopback.sh on the 2-core test VM (Debian 12, OpenBLAS with
# OPENBLAS_CORETYPE=Haswell; medians of 3 runs, load average 0.6-1.9):
# compute_ms is "plain 1 process x 2 thread(s), batch 64"; window_frac is
# mpi_bench's "window" over "compute alone" (2 ranks x 32).
MEASURED = {
    "mnist-gan": dict(compute_ms=159.0, window_frac=0.47, latent=100, n_critic=1),
    "dcgan-cifar10": dict(compute_ms=322.0, window_frac=0.52, latent=100, n_critic=1),
    "wgan-gp": dict(compute_ms=765.0, window_frac=0.009, latent=100, n_critic=5),
}
# gan__rng_skip_normal over 3.3 million values on the same machine, 2000
# times: 2.5 us each (drawing the values would cost about 60 ns each).
JUMP_SECONDS = 2.5e-6

# ---- assumed ---------------------------------------------------------------------
NETWORKS = {
    # TCP over 10 Gb/s Ethernet: ~90% of the line rate, ~30 us MPI latency.
    "10 Gb/s": dict(bw=1.25e9 * 0.9, alpha=30e-6),
    # 100 Gb/s InfiniBand / RoCE: ~90% of the line rate, ~2 us latency.
    "100 Gb/s": dict(bw=12.5e9 * 0.9, alpha=2e-6),
}
NODES = (8, 64, 512)
NODE_SPEEDUP = {"2-core node (measured)": 1.0, "16x node (assumed)": 16.0}
BUCKET_BYTES = 4 << 20

PRESET_MODELS = {
    "mnist-gan": ("mnist-generator", "mnist-discriminator"),
    "dcgan-cifar10": ("dcgan-cifar10-generator", "dcgan-cifar10-discriminator"),
    "wgan-gp": ("mnist-generator", "wgan-critic"),
}


def buckets(model_name):
    """libgan's buckets of a preset network, in bytes, top layer first."""
    import libgan
    m = libgan.Model.preset(model_name)
    sizes = [m.layer_sizes(i)[0] for i in range(len(m))]
    out, acc = [], 0
    for n in reversed(sizes):
        acc += n
        if acc * 4 >= BUCKET_BYTES:
            out.append(acc * 4)
            acc = 0
    if acc:
        out.append(acc * 4)
    return out


def allreduce(m, p, net):
    if p == 1:
        return 0.0
    return 2 * math.log2(p) * net["alpha"] + 2 * (p - 1) / p * m / net["bw"]


def step(preset, p, net, b=64, speed=1.0, accumulate=1, fp16=False):
    """Modelled seconds of one step and its parts."""
    meas = MEASURED[preset]
    g, d = PRESET_MODELS[preset]
    bg, bd = buckets(g), buckets(d)
    if fp16:
        bg, bd = [x / 2 for x in bg], [x / 2 for x in bd]
    nc = meas["n_critic"]
    tc = meas["compute_ms"] / 1e3 * (b / 64.0) / speed * accumulate
    red = sum(allreduce(m, p, net) for m in bg) + nc * sum(allreduce(m, p, net) for m in bd)
    last = allreduce(bg[-1], p, net)
    exposed = max(last, red - meas["window_frac"] * tc) if p > 1 else 0.0
    updates = 1 if nc == 1 else nc + 1
    scalar = (1 + updates) * (2 * math.log2(p) * net["alpha"]) + 32 * p / net["bw"] if p > 1 else 0
    forwards = 1 if nc == 1 else nc + 1
    noise = 2 * JUMP_SECONDS * forwards * accumulate if p > 1 else 0.0
    total = tc + exposed + scalar + noise
    bytes_ = sum(bg) + nc * sum(bd)
    return dict(total=total, compute=tc, reduce=red, exposed=exposed, scalar=scalar, noise=noise,
                bytes=bytes_, eff=tc / total)


def table(markdown=False):
    """One block per preset: network x nodes, the reduction and the
    efficiency of each kind of node and remedy."""
    hdr = ("preset", "network", "nodes", "MB/step", "reduce ms", "last bucket ms",
           "2-core b=64", "16x b=64", "16x b=256", "16x accum 4", "16x fp16")
    lines = []
    if markdown:
        lines.append("| " + " | ".join(hdr) + " |")
        lines.append("|" + "---|" * len(hdr))
    else:
        lines.append("  ".join(hdr))
    fast = NODE_SPEEDUP["16x node (assumed)"]
    for preset in MEASURED:
        last_bytes = buckets(PRESET_MODELS[preset][0])[-1]
        for net_name, net in NETWORKS.items():
            for p in NODES:
                r = step(preset, p, net)
                cells = (preset, net_name, str(p), "%.1f" % (r["bytes"] / 1e6),
                         "%.1f" % (1e3 * r["reduce"]),
                         "%.1f" % (1e3 * allreduce(last_bytes, p, net)),
                         "%.0f%%" % (100 * r["eff"]),
                         "%.0f%%" % (100 * step(preset, p, net, speed=fast)["eff"]),
                         "%.0f%%" % (100 * step(preset, p, net, b=256, speed=fast)["eff"]),
                         "%.0f%%" % (100 * step(preset, p, net, speed=fast, accumulate=4)["eff"]),
                         "%.0f%%" % (100 * step(preset, p, net, speed=fast, fp16=True)["eff"]))
                lines.append(("| " + " | ".join(cells) + " |") if markdown else "  ".join(cells))
    return "\n".join(lines)


def crossover():
    """Per preset and network, at 512 nodes: the step compute below which
    communication no longer hides (the window f T_c shorter than the
    reductions after the last bucket's), and the last bucket, never hidden."""
    out = []
    for preset in MEASURED:
        for net_name, net in NETWORKS.items():
            r = step(preset, 512, net)
            last = allreduce(buckets(PRESET_MODELS[preset][0])[-1], 512, net)
            need = (r["reduce"] - last) / MEASURED[preset]["window_frac"]
            out.append("%s, %s, 512 nodes: %.1f MB in %.1f ms per step, %.1f ms of it the "
                       "last bucket (never hidden); the rest hides while a step computes "
                       "for at least %.0f ms (measured here: %.0f ms on 2 cores)"
                       % (preset, net_name, r["bytes"] / 1e6, 1e3 * r["reduce"], 1e3 * last,
                          1e3 * need, MEASURED[preset]["compute_ms"]))
    return "\n".join(out)


if __name__ == "__main__":
    print(table(markdown="--markdown" in sys.argv))
    print()
    print(crossover())
