#!/usr/bin/python3
"""Regenerate the seed corpora of the dataset fuzzers (deterministic).

  tests/fuzz/corpus/fuzz_idx/        IDX files, raw and gzip, every type code
                                     (0x08, 0x09, 0x0B-0x0E) with ndim 1..4,
                                     plus a 3-image slice of Fashion-MNIST
  tests/fuzz/corpus/fuzz_idx_plain/  the same IDX files uncompressed, each
                                     prefixed by the harness' control byte
  tests/fuzz/corpus/fuzz_cifar/      CIFAR-10 batches of 1-3 records
  tests/fuzz/corpus/fuzz_ganc_struct/ the fuzz_checkpoint seeds (.gan files)
                                     as fuzz_ganc_struct input: control byte,
                                     lie byte, then (type, slot, u16 length,
                                     raw bytes) per section
  tests/fuzz/corpus/fuzz_fid_stats/  FID statistics (d = 1, 2, 3, 8) without
                                     their CRC (the harness appends it)
  tests/fuzz/corpus/fuzz_image/      small PNGs of every colour type and bit
                                     depth (written here byte by byte), JPEGs
                                     (PIL: gray, RGB 4:2:0 and 4:4:4,
                                     progressive, CMYK), each prefixed by the
                                     harness' control byte

Run: /usr/bin/python3 tests/fuzz/make_corpus.py  (from the repository root)
"""
import gzip
import io
import os
import struct
import zlib

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
    images()
    ganc_struct()
    fid_stats()


def ganc_struct():
    """fuzz_checkpoint's .gan seeds with their sections in the clear."""
    src = os.path.join(HERE, 'corpus', 'fuzz_checkpoint')
    for name in sorted(os.listdir(src)):
        b = open(os.path.join(src, name), 'rb').read()
        flags, kind, n = struct.unpack_from('<I', b, 8)[0], struct.unpack_from('<I', b, 12)[0], \
            struct.unpack_from('<I', b, 20)[0]
        out = bytes([(kind == 2) | ((flags & 1) << 1), 0])
        off = 32
        ok = True
        for _ in range(n):
            typ, slot, raw, stored = struct.unpack_from('<IIQQ', b, off)
            data = zlib.decompress(b[off + 32:off + 32 + stored])
            if len(data) > 65535:
                ok = False
                break
            out += struct.pack('<BBH', typ, slot, len(data)) + data
            off += 32 + stored
        if ok:
            write('fuzz_ganc_struct', name.replace('.gan', '.sec'), out)


def fid_stats():
    """Valid statistics files without the trailing CRC."""
    for d in (1, 2, 3, 8):
        mean = [0.25 * (i + 1) - 0.5 for i in range(d)]
        cov = [[(1.0 + i) if i == j else 0.1 / (1 + abs(i - j)) for j in range(d)] for i in range(d)]
        body = b'GANFSTAT' + struct.pack('<IIQII', 1, d, 100, 0, 0)
        body += b''.join(struct.pack('<d', v) for v in mean)
        body += b''.join(struct.pack('<d', v) for row in cov for v in row)
        write('fuzz_fid_stats', 'stats_d%d' % d, body)
    body = b'GANFSTAT' + struct.pack('<IIQII', 1, 2, 1, 0x1234abcd, 0) + struct.pack('<2d', 1.0, -1.0) \
        + bytes(32)
    write('fuzz_fid_stats', 'stats_one_sample', body)


def png_chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))


def png(w, h, color_type, depth, samples, plte=None, trns=None, interlace=0):
    """A PNG with filter 0 rows (Adam7 passes when interlaced)."""
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]

    def rows(xs, ys):
        out = b''
        for y in ys:
            bits = []
            for x in xs:
                bits.extend(samples[(y * w + x) * ch + k] for k in range(ch))
            if depth == 16:
                line = b''.join(struct.pack('>H', v) for v in bits)
            elif depth == 8:
                line = bytes(bits)
            else:
                per = 8 // depth
                line = bytearray()
                for i in range(0, len(bits), per):
                    b = 0
                    for j in range(per):
                        v = bits[i + j] if i + j < len(bits) else 0
                        b |= v << (8 - depth * (j + 1))
                    line.append(b)
                line = bytes(line)
            out += b'\x00' + line
        return out

    if interlace:
        raw = b''
        for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                               (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
            xs, ys = range(x0, w, dx), range(y0, h, dy)
            if len(xs) and len(ys):
                raw += rows(xs, ys)
    else:
        raw = rows(range(w), range(h))
    out = b'\x89PNG\r\n\x1a\n'
    out += png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color_type, 0, 0, interlace))
    if plte:
        out += png_chunk(b'PLTE', plte)
    if trns is not None:
        out += png_chunk(b'tRNS', trns)
    out += png_chunk(b'IDAT', zlib.compress(raw, 9)) + png_chunk(b'IEND', b'')
    return out


def images():
    """Seeds of fuzz_image: control byte + file."""
    w, h = 7, 5
    n = w * h
    seeds = {}
    for ct, depths in ((0, (1, 2, 4, 8, 16)), (2, (8, 16)), (3, (1, 2, 4, 8)),
                       (4, (8, 16)), (6, (8, 16))):
        ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
        for d in depths:
            mx = (1 << d) - 1
            s = [((i * 37 + k * 101) * 7) % (mx + 1) for i in range(n) for k in range(ch)]
            plte = bytes((i * 37 + k * 50) & 255 for i in range(1 << d) for k in range(3)) \
                if ct == 3 else None
            seeds['png_ct%d_d%d.png' % (ct, d)] = png(w, h, ct, d, s, plte)
            if ct == 3:
                seeds['png_ct3_d%d_trns.png' % d] = png(w, h, ct, d, s, plte,
                                                        bytes(range(0, 256, 256 >> d))[:1 << d])
            if ct in (0, 2) and d in (8, 16):
                key = struct.pack('>H', s[0]) if ct == 0 else struct.pack('>HHH', *s[:3])
                seeds['png_ct%d_d%d_trns.png' % (ct, d)] = png(w, h, ct, d, s, None, key)
            if d == 8 and ct in (3, 6):
                seeds['png_ct%d_d8_adam7.png' % ct] = png(w + 4, h + 6, ct, d,
                                                          [v for v in s] * 4, plte, None, 1)
    try:
        from PIL import Image
        img = Image.new('RGB', (16, 12))
        img.putdata([((x * 16) & 255, (y * 20) & 255, (x * y * 3) & 255)
                     for y in range(12) for x in range(16)])
        for name, im, kw in (('gray.jpg', img.convert('L'), {}),
                             ('rgb420.jpg', img, {'subsampling': 2}),
                             ('rgb444.jpg', img, {'subsampling': 0, 'quality': 95}),
                             ('progressive.jpg', img, {'progressive': True}),
                             ('cmyk.jpg', img.convert('CMYK'), {})):
            b = io.BytesIO()
            im.save(b, 'JPEG', **kw)
            seeds[name] = b.getvalue()
    except ImportError:
        pass
    ctl = 0
    for name in sorted(seeds):
        # vary target, channels and fit over the seeds
        write('fuzz_image', name, bytes([ctl & 0xff]) + seeds[name])
        ctl += 0x25


if __name__ == '__main__':
    main()
