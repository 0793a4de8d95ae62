#!/usr/bin/env bash
# check_core_free.sh LIBGAN LIBGAN_MPI -- libgan.so needs no MPI (no
# DT_NEEDED entry, no MPI symbol, ldd resolves no MPI library), while
# libgan_mpi.so is the one that links it.
set -euo pipefail
core=$1 mpi=$2
fail=0
needed=$(readelf -d "$core" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "libgan NEEDED: $(echo $needed)"
if grep -qiE 'mpi|open-pal|open-rte|pmix|hwloc|libevent' <<<"$needed"; then
  echo "FAIL: $core has an MPI dependency"; fail=1
fi
if ldd "$core" | grep -qiE 'libmpi|open-pal|open-rte'; then
  echo "FAIL: ldd $core resolves an MPI library"; ldd "$core"; fail=1
fi
if nm -D "$core" | grep -qE ' (U|T) P?MPI_'; then
  echo "FAIL: $core references MPI symbols"; fail=1
fi
if ! readelf -d "$mpi" | grep -q 'NEEDED.*libmpi'; then
  echo "FAIL: $mpi does not link libmpi"; fail=1
fi
if ! readelf -d "$mpi" | grep -q 'NEEDED.*libgan\.so\.1'; then
  echo "FAIL: $mpi does not link libgan.so.1"; fail=1
fi
# Its exports: gan_mpi_* only, all versioned GAN_MPI_1.0.
bad=$(nm -D --defined-only "$mpi" | awk '$2 ~ /[TDB]/ {print $3}' | grep -v '^gan_mpi_' | grep -v '^GAN_MPI_1.0$' || true)
if [[ -n $bad ]]; then
  echo "FAIL: $mpi exports $bad"; fail=1
fi
((fail == 0)) && echo "ok: libgan.so is MPI-free; libgan_mpi.so links MPI"
exit $fail
