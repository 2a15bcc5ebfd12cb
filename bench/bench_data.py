"""bench_data.py — the benchmark's input files: a synthetic u16 4D-STEM scan
(raw, headerless, C order) and the mask stacks, made once and reused while
their size is right.

The scan looks enough like real data for every kernel to be checked: a bright
disk that moves with the scan position (so centre of mass has a field), six
diffraction spots, a thickness-like intensity change and uniform noise. Values
stay below 2000, like a counting detector's, far from u16 overflow."""
import os

import numpy as np


def ensure_scan(path, nav, sig, log):
    """Writes the scan to `path` unless a file of the right size is there."""
    ny, nx = nav
    sy, sx = sig
    size = ny * nx * sy * sx * 2
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    log(f"generating {path} ({size / 2**30:.2f} GiB, u16 {ny}x{nx}x{sy}x{sx}) ...")
    patterns = _shifted_patterns(sy, sx)
    rng = np.random.default_rng(5)
    tmp = path + ".part"
    with open(tmp, "wb") as out:
        for y in range(ny):
            x = np.arange(nx)
            dy = np.rint(3 * np.sin(2 * np.pi * x / nx + y / 40)).astype(int)
            dx = np.rint(3 * np.cos(2 * np.pi * y / ny + x / 50)).astype(int)
            scale = (0.8 + 0.4 * np.sin(np.pi * (x + y) / max(nx, ny)) ** 2).astype(np.float32)
            rows = patterns[dy + 3, dx + 3] * scale[:, None, None]
            rows += rng.integers(0, 64, size=rows.shape, dtype=np.uint16)
            out.write(rows.astype(np.uint16).tobytes())
    os.replace(tmp, path)


def _shifted_patterns(sy, sx):
    """Noise-free frames with the disk and spots shifted by -3..3 pixels:
    an array (7, 7, sy, sx) indexed by (dy + 3, dx + 3)."""
    y, x = np.mgrid[0:sy, 0:sx].astype(np.float32)
    cy, cx = sy // 2, sx // 2
    r = min(sy, sx)
    base = np.where((y - cy) ** 2 + (x - cx) ** 2 <= (0.15 * r) ** 2, 1500.0, 0.0)
    for a in np.arange(6) * np.pi / 3:
        py, px = cy + 0.35 * r * np.sin(a), cx + 0.35 * r * np.cos(a)
        base += 400.0 * np.exp(-((y - py) ** 2 + (x - px) ** 2) / (2 * (0.01 * r) ** 2 + 1))
    out = np.empty((7, 7, sy, sx), np.float32)
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            out[dy + 3, dx + 3] = np.roll(base, (dy, dx), axis=(0, 1))
    return out


def ensure_masks(directory, sig, counts):
    """Writes masks{n}.npy (and the same bytes as masks{n}.f32 for the C
    programs) for every n in `counts`: n concentric f32 rings of equal width
    that tile the disk inscribed in the frame (the first ring is a disk, so
    masks1 is that whole disk). Returns {n: (npy path, raw path)}."""
    sy, sx = sig
    y, x = np.mgrid[0:sy, 0:sx]
    d = np.hypot(y - sy // 2, x - sx // 2)
    width = min(sy, sx) / 2
    paths = {}
    for n in counts:
        edges = np.linspace(0, width, n + 1)
        stack = np.stack([(d >= lo) & (d < hi) for lo, hi in zip(edges, edges[1:])])
        stack = stack.astype(np.float32)
        npy = os.path.join(directory, f"masks{n}.npy")
        raw = os.path.join(directory, f"masks{n}.f32")
        np.save(npy, stack)
        stack.tofile(raw)
        paths[n] = (npy, raw)
    return paths


def ensure_indices(directory, frames):
    """Writes pick_indices.npy (i64): the first, middle and last frame.
    Returns its path."""
    path = os.path.join(directory, "pick_indices.npy")
    np.save(path, np.array([0, frames // 2, frames - 1], np.int64))
    return path


def ensure_planes(directory, sig):
    """Writes dark.npy (f32, about 5 counts) and gain.npy (f32, about 1) of the
    sig shape, detector correction planes. Returns {"dark": path, "gain": path}."""
    rng = np.random.default_rng(11)
    paths = {}
    for name, plane in (("dark", rng.normal(5, 1, sig)), ("gain", rng.normal(1, 0.05, sig))):
        paths[name] = os.path.join(directory, f"{name}.npy")
        np.save(paths[name], plane.astype(np.float32))
    return paths
