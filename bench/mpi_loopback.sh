#!/usr/bin/env bash
# mpi_loopback.sh [BUILD] -- the loopback figures of docs/distributed.md.
# For each preset at a global batch of 64: one process with 2 threads
# (mpi_bench ... plain), then 2 MPI ranks with 1 thread each (mpi_bench under
# mpirun: compute alone, overlap on, overlap off, interleaved), REPS times.
# Prints the load average before each run: on a machine shared with other
# jobs the figures are only as good as the machine is quiet.
#   STEPS (15; wgan-gp: a third of it), REPS (3), PRESETS.
set -uo pipefail
build=${1:-build}
steps=${STEPS:-15}
reps=${REPS:-3}
bench=$build/tests/mpi/mpi_bench
mpirun=(mpirun --allow-run-as-root --bind-to none -np 2)
for preset in ${PRESETS:-mnist-gan dcgan-cifar10 wgan-gp}; do
  n=$steps
  [[ $preset == wgan-gp ]] && n=$(((steps + 2) / 3))
  for r in $(seq 1 "$reps"); do
    echo "# $preset rep $r, load: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$bench" "$preset" 64 "$n" 2 plain
    "${mpirun[@]}" "$bench" "$preset" 64 "$n" 1
  done
done
