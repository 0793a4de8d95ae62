#!/usr/bin/python3
"""Regenerate the seed corpora of the dataset fuzzers (deterministic).

  tests/fuzz/corpus/fuzz_idx/        IDX files, raw and gzip, every type code
                                     (0x08, 0x09, 0x0B-0x0E) with ndim 1..4,
                                     plus a 3-image slice of Fashion-MNIST
  tests/fuzz/corpus/fuzz_idx_plain/  the same IDX files uncompressed, each
                                     prefixed by the harness' control byte
  tests/fuzz/corpus/fuzz_cifar/      CIFAR-10 batches of 1-3 records

Run: /usr/bin/python3 tests/fuzz/make_corpus.py  (from the repository root)
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ESIZE = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}
DIMS = {1: (6,), 2: (3, 4), 3: (3, 4, 5), 4: (2, 3, 4, 3)}
FMNIST = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'


def idx(type_code, dims, seed):
    n = 1
    for d in dims:
        n *= d
    hdr = bytes([0, 0, type_code, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims)
    body = bytes(((seed + 7 * i) * 13) & 255 for i in range(n * ESIZE[type_code]))
    return hdr + body


def write(sub, name, data):
    d = os.path.join(HERE, 'corpus', sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def main():
    files = {}
    for t in ESIZE:
        for nd, dims in DIMS.items():
            files['t%02x_nd%d' % (t, nd)] = idx(t, dims, t + nd)
    files['labels_10'] = bytes([0, 0, 8, 1, 0, 0, 0, 10]) + bytes(range(10))
    if os.path.exists(FMNIST):
        raw = gzip.open(FMNIST).read()
        files['fmnist3'] = bytes([0, 0, 8, 3]) + struct.pack('>III', 3, 28, 28) + raw[16:16 + 3 * 784]
    for name, data in files.items():
        write('fuzz_idx', name + '.idx', data)
        write('fuzz_idx', name + '.idx.gz', gzip.compress(data, 9, mtime=0))
        write('fuzz_idx_plain', name + '.idx', bytes([9]) + data)
    write('fuzz_idx_plain', 'two_members.idx', bytes([0x86]) + files['t08_nd3'])
    for n in (1, 2, 3):
        rec = b''
        for r in range(n):
            rec += bytes([(r * 3) % 10]) + bytes(((r * 31 + c * 85 + p * 3) & 255)
                                                 for c in range(3) for p in range(1024))
        write('fuzz_cifar', 'cifar_%d.bin' % n, rec)
    write('fuzz_cifar', 'cifar_short.bin', bytes(3072))


if __name__ == '__main__':
    main()
