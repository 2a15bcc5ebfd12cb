"""bench_numpy.py — numpy versions of the standard library's UDFs, as a numpy
user would write them: the raw scan through np.memmap, chunks of frames,
numpy's own loops (single-threaded; bench.py also pins BLAS to one thread).
Prints `numpy KERNEL seconds S gbps G` (the time covers the whole computation,
not writing the outputs) and writes DIR/KERNEL.BUFFER.npy with --out.

usage: bench_numpy.py KERNEL --data FILE --nav NY,NX --sig SY,SX
                      [--masks FILE.npy] [--dark FILE.npy] [--gain FILE.npy] [--out DIR]"""
import argparse
import os
import time

import numpy as np

CHUNK_BYTES = 8 << 20


def chunks(scan):
    """(first flat nav index, frames as (n, sy, sx) u16) over the scan."""
    frames = scan.reshape((-1,) + scan.shape[2:])
    step = max(1, CHUNK_BYTES // frames[0].nbytes)
    for first in range(0, len(frames), step):
        yield first, frames[first:first + step]


def sumsig(scan, args):
    out = np.empty(scan.shape[0] * scan.shape[1], np.float32)
    for first, c in chunks(scan):
        out[first:first + len(c)] = c.sum(axis=(1, 2))
    return {"intensity": out.reshape(scan.shape[:2])}


def sum_(scan, args):
    if args.dark or args.gain:  # corrected frames are f32, as in LiberTEM
        dark = np.load(args.dark).astype(np.float32) if args.dark else np.float32(0)
        gain = np.load(args.gain).astype(np.float32) if args.gain else np.float32(1)
        acc = np.zeros(scan.shape[2:], np.float64)
        for _, c in chunks(scan):
            acc += ((c.astype(np.float32) - dark) * gain).sum(axis=0, dtype=np.float64)
        return {"intensity": acc.astype(np.float32)}
    acc = np.zeros(scan.shape[2:], np.uint64)
    for _, c in chunks(scan):
        acc += c.sum(axis=0, dtype=np.uint64)
    return {"intensity": acc.astype(np.float32)}


def masks(scan, args):
    stack = np.load(args.masks).astype(np.float32)
    flat = stack.reshape(len(stack), -1).T
    out = np.empty((scan.shape[0] * scan.shape[1], len(stack)), np.float32)
    for first, c in chunks(scan):
        out[first:first + len(c)] = c.reshape(len(c), -1).astype(np.float32) @ flat
    return {"intensity": out.reshape(scan.shape[:2] + (len(stack),))}


def com(scan, args):
    """CoMUDF with its defaults (the whole frame, centre sig // 2), from exact
    integer row and column sums."""
    sy, sx = scan.shape[2:]
    cy, cx = sy // 2, sx // 2
    raw = np.empty((scan.shape[0] * scan.shape[1], 3), np.float64)
    for first, c in chunks(scan):
        rows, cols = c.sum(axis=2), c.sum(axis=1)
        raw[first:first + len(c)] = np.stack(
            [rows.sum(axis=1), rows @ np.arange(sy), cols @ np.arange(sx)], axis=1)
    raw = raw.reshape(scan.shape[:2] + (3,))
    total = raw[..., 0]
    safe = np.where(total == 0, 1, total)
    field = np.stack([np.where(total == 0, 0, raw[..., 1] / safe - cy),
                      np.where(total == 0, 0, raw[..., 2] / safe - cx)], axis=-1)
    field = field.astype(np.float32)
    fy, fx = field[..., 0], field[..., 1]
    return {"field": field,
            "magnitude": np.sqrt(fy ** 2 + fx ** 2),
            "divergence": np.gradient(fy, axis=0) + np.gradient(fx, axis=1),
            "curl": np.gradient(fy, axis=1) - np.gradient(fx, axis=0)}


def stddev(scan, args):
    """Population variance, merging chunks pairwise (Chan et al.) as StdDevUDF does."""
    n, total, m2 = 0, None, None
    for _, c in chunks(scan):
        f = c.astype(np.float64)
        cn, csum = len(f), f.sum(axis=0)
        cm2 = ((f - csum / cn) ** 2).sum(axis=0)
        if n == 0:
            n, total, m2 = cn, csum, cm2
            continue
        delta = csum / cn - total / n
        m2 = m2 + cm2 + delta ** 2 * n * cn / (n + cn)
        total, n = total + csum, n + cn
    var = m2 / n
    return {"mean": total / n, "var": var, "std": np.sqrt(var), "num_frames": np.int64(n)}


def logsum(scan, args):
    acc = np.zeros(scan.shape[2:], np.float32)
    for _, c in chunks(scan):
        f = c.astype(np.float32)
        f -= f.min(axis=(1, 2), keepdims=True) - 1
        acc += np.log(f).sum(axis=0)
    return {"logsum": acc}


KERNELS = {"sumsig": sumsig, "sum": sum_, "masks": masks, "com": com, "stddev": stddev,
           "logsum": logsum}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kernel", choices=KERNELS)
    ap.add_argument("--data", required=True)
    ap.add_argument("--nav", required=True)
    ap.add_argument("--sig", required=True)
    ap.add_argument("--masks")
    ap.add_argument("--dark")
    ap.add_argument("--gain")
    ap.add_argument("--out")
    args = ap.parse_args()
    shape = tuple(int(v) for v in args.nav.split(",")) + tuple(int(v) for v in args.sig.split(","))
    t0 = time.perf_counter()
    scan = np.memmap(args.data, np.uint16, "r", shape=shape)
    results = KERNELS[args.kernel](scan, args)
    seconds = time.perf_counter() - t0
    print(f"numpy {args.kernel} seconds {seconds:.4f} gbps {scan.nbytes / 1e9 / seconds:.2f}")
    if args.out:
        for name, value in results.items():
            np.save(os.path.join(args.out, f"{args.kernel}.{name}.npy"), value)


if __name__ == "__main__":
    main()
