"""libgan.distributed with mpi4py's communicator (run by run_mpi_tests.sh):

    mpirun -np 2 /usr/bin/python3 tests/mpi/test_distributed.py

Every rank builds the same pair and data; with Distributed(trainer,
MPI.COMM_WORLD, dataset=...) an epoch of Trainer.fit over the shards gives
every rank the same weights, equal (float tolerance) to one process fitting
the whole batches, which rank 0 checks against its own single-process run.
Then: stats, save (rank 0 writes), agree() with one rank's exception, close.
"""

import os
import sys
import tempfile

import numpy as np
from mpi4py import MPI

sys.path.insert(0, os.path.join(os.environ.get("GAN_SOURCE_DIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "bindings", "python"))

import libgan  # noqa: E402
from libgan.distributed import Distributed  # noqa: E402

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
libgan.set_threads(1)


def pair():
    g = libgan.Model((8,))
    g.add_dense(32).add_leaky_relu(0.2).add_dense(16).add_tanh()
    d = libgan.Model((16,))
    d.add_dense(32).add_leaky_relu(0.2).add_dense(1)
    g.init_params(1)
    d.init_params(2)
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=2e-3, beta1=0.5), libgan.Adam(d, lr=2e-3, beta1=0.5),
                       libgan.Loss("bce"), seed=3)
    return t


def data():
    rng = np.random.default_rng(0)
    x = np.tanh(rng.standard_normal((300, 16)).astype(np.float32))
    return libgan.Dataset.from_array(x).set_batching(48, drop_remainder=False, seed=4)


def weights(t):
    return np.concatenate([w.ravel() for m in (t.generator, t.discriminator)
                           for w in m.get_weights() if w is not None and w.size])


def check(cond, what):
    if not cond:
        sys.stderr.write("rank %d: FAILED: %s\n" % (rank, what))
        sys.stderr.flush()
        comm.Abort(1)


t, ds = pair(), data()
with Distributed(t, comm, dataset=ds, bucket_bytes=1024) as dist:
    check(dist.rank == rank and dist.size == size, "rank/size")
    steps = []
    t.fit(ds, epochs=1, on_step=lambda step, s: steps.append(s) and False)
    check(len(steps) == 7, "7 steps per epoch (6 x 48 + 12), got %d" % len(steps))
    st = dist.stats()
    check(st["buckets"] >= 7 * 2 and st["waits"] == 7, "stats: %r" % st)
    w = weights(t)
    everyone = comm.allgather(w.tobytes())
    check(all(b == everyone[0] for b in everyone), "the ranks' weights differ")
    if rank == 0:
        ref, rds = pair(), data()
        ref.fit(rds, epochs=1)
        wr = weights(ref)
        err = np.max(np.abs(w - wr)) / 2e-3
        print("python: %d ranks, %d steps, max weight difference %.3g lr, last losses %.4f/%.4f"
              % (size, len(steps), err, steps[-1]["d_loss"], steps[-1]["g_loss"]))
        check(err < 0.01, "the ranks' fit differs from one process's by %g lr" % err)
    # a second epoch with the sums driven by the progress thread (mpi4py
    # initialises MPI with MPI_THREAD_MULTIPLE): the same result
    check(MPI.Query_thread() == MPI.THREAD_MULTIPLE, "mpi4py did not get MPI_THREAD_MULTIPLE")
    dist.set_progress_thread(True)
    check(dist.progress_thread, "no progress thread")
    dist.stats(reset=True)
    t.fit(ds, epochs=1)
    st = dist.stats()
    check(st["waits"] == 7 and 0.0 <= st["hidden_bytes"] <= st["bytes"], "thread stats: %r" % st)
    w = weights(t)
    everyone = comm.allgather(w.tobytes())
    check(all(b == everyone[0] for b in everyone), "the ranks' weights differ (progress thread)")
    if rank == 0:
        ref.fit(rds, epochs=1)
        err = np.max(np.abs(w - weights(ref))) / 2e-3
        print("python: progress thread, 2nd epoch, max weight difference %.3g lr, "
              "hidden %.0f%% of %.0f bytes" % (err, 100.0 * st["hidden_bytes"] / st["bytes"],
                                                st["bytes"]))
        check(err < 0.02, "progress thread: the ranks' fit differs by %g lr" % err)
    dist.set_progress_thread(False)
    check(not dist.progress_thread, "the progress thread did not stop")
    # rank 0 saves, everyone learns the outcome
    path = comm.bcast(tempfile.mkdtemp() if rank == 0 else None)
    dist.save(os.path.join(path, "ckpt.gan"))
    if rank == 0:
        check(libgan.file_probe(os.path.join(path, "ckpt.gan")) is not None, "checkpoint")
    # one rank's exception reaches every rank, with its message
    try:
        dist.agree(ValueError("bad data on this rank") if rank == size - 1 else None)
        check(False, "agree() did not raise")
    except libgan.GanError as e:
        if rank != size - 1:
            check("rank %d of %d: bad data on this rank" % (size - 1, size) in str(e), str(e))
    check(dist.in_step, "in_step")
check(dist.closed, "closed after the with block")
t.close()


# AC-GAN over MPI: labelled shards, the fake classes G is drawn for, and the
# auxiliary class loss on both networks give the single-process result too.
def modes(lab):
    a = lab * (2 * np.pi / 3)
    return np.stack([np.cos(a), np.sin(a)], 1).astype(np.float32)


def aux_pair():
    g = libgan.Model(3).add_class_embedding(3).add_dense(16).add_leaky_relu(0.2).add_dense(2)
    d = libgan.Model(2).add_dense(16).add_leaky_relu(0.2).add_class_projection_aux(3)
    g.init_params(5)
    d.init_params(6)
    return libgan.Trainer(g, d, libgan.Adam(g, lr=2e-3, beta1=0.5), libgan.Adam(d, lr=2e-3, beta1=0.5),
                          libgan.Loss("hinge", class_weight=1.0), seed=7)


def aux_data():
    rng = np.random.default_rng(8)
    lab = rng.integers(0, 3, 200)
    x = modes(lab) + rng.normal(0, 0.05, (200, 2)).astype(np.float32)
    return libgan.Dataset.from_array(x, labels=lab).set_batching(40, drop_remainder=False, seed=9)


t, ds = aux_pair(), aux_data()
with Distributed(t, comm, dataset=ds) as dist:
    steps = []
    t.fit(ds, epochs=2, on_step=lambda step, s: steps.append(s) and False)
    w = weights(t)
    everyone = comm.allgather(w.tobytes())
    check(all(b == everyone[0] for b in everyone), "AC-GAN: the ranks' weights differ")
    if rank == 0:
        ref, rds = aux_pair(), aux_data()
        ref_steps = []
        ref.fit(rds, epochs=2, on_step=lambda step, s: ref_steps.append(s) and False)
        err = np.max(np.abs(w - weights(ref))) / 2e-3
        print("python: AC-GAN, %d ranks, %d steps, max weight difference %.3g lr, "
              "last losses %.4f/%.4f (one process %.4f/%.4f)"
              % (size, len(steps), err, steps[-1]["d_loss"], steps[-1]["g_loss"],
                 ref_steps[-1]["d_loss"], ref_steps[-1]["g_loss"]))
        check(len(steps) == len(ref_steps) == 10, "AC-GAN: %d steps" % len(steps))
        check(err < 0.01, "AC-GAN: the ranks' fit differs from one process's by %g lr" % err)
        check(abs(steps[-1]["d_loss"] - ref_steps[-1]["d_loss"]) < 1e-4
              and abs(steps[-1]["g_loss"] - ref_steps[-1]["g_loss"]) < 1e-4,
              "AC-GAN: the losses (with the class terms) differ from one process's")
t.close()
if rank == 0:
    print("python distributed: ok")
