"""No leaks over 1,000 create/free cycles: live-handle counts and RSS."""

import gc
import os

import numpy as np
import pytest

import libgan
from conftest import ASAN, requires

CYCLES = 1000


def rss_kib():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def cycle(with_files):
    g = libgan.Model(8).add_dense(16).add_batchnorm().add_leaky_relu().add_dense(6).add_tanh()
    d = libgan.Model(6).add_dense(16).add_leaky_relu().add_dropout(0.3).add_dense(1)
    go, do = libgan.Adam(g), libgan.RMSprop(d)
    loss = libgan.Loss()
    t = libgan.Trainer(g, d, go, do, loss)
    ds = libgan.Dataset.from_array(np.zeros((16, 6), np.float32)).set_batching(batch_size=8)
    t.step(np.zeros((8, 6), np.float32))
    t.fit(ds, 1, on_step=lambda s, st: None)
    img = libgan.Dataset.from_array(np.zeros((4, 2, 2, 1), np.float32))
    conv = img.convert(3, 3, 3)
    try:                                   # error paths allocate messages too
        g.forward(np.zeros((1, 7), np.float32))
    except libgan.ShapeError:
        pass
    extra = []
    if with_files:
        s = libgan.Sampler(g, seed=1)
        s.generate(2)
        extra.append(s)
        extra.append(libgan.Model.load_bytes(g.to_bytes()))
        extra.append(libgan.Trainer.load_bytes(t.to_bytes(ds), ds))
    if len(extra) == 3:
        extra[2].close()
    for h in extra[:2]:
        h.close()
    for h in (t, go, do, loss, g, d, ds, img, conv):
        h.close()


def test_handles_are_freed():
    gc.collect()
    base = libgan.live_handles()
    for _ in range(CYCLES):
        cycle(False)
    assert libgan.live_handles() == base
    # the same through the garbage collector instead of close()
    for _ in range(100):
        m = libgan.Model(4).add_dense(2)
        libgan.Adam(m)
        del m
    gc.collect()
    assert libgan.live_handles() == base


@requires("gan_sampler_create", "gan_model_save_mem", "gan_trainer_save_mem",
          "gan_trainer_load_mem")
def test_handles_are_freed_with_files_and_sampling():
    gc.collect()
    base = libgan.live_handles()
    for _ in range(CYCLES // 4):
        cycle(True)
    assert libgan.live_handles() == base


@pytest.mark.skipif(ASAN, reason="ASan's quarantine and shadow memory make RSS meaningless; "
                                 "the handle counts above still run")
def test_rss_is_flat_over_1000_cycles():
    with_files = hasattr(libgan._lib.lib, "gan_trainer_save_mem") and hasattr(
        libgan._lib.lib, "gan_sampler_create")
    for _ in range(100):                  # warm up allocator pools and caches
        cycle(with_files)
    gc.collect()
    before = rss_kib()
    for _ in range(CYCLES):
        cycle(with_files)
    gc.collect()
    grown = rss_kib() - before
    # One cycle allocates about 30 KiB of C memory; a leak of any of it
    # would add 30 MB over 1,000 cycles.
    assert grown < 4096, "RSS grew by %d KiB over %d cycles" % (grown, CYCLES)
