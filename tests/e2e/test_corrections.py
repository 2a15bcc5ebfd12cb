"""Detector corrections (--dark --gain --exclude) against a numpy
re-implementation of LiberTEM's: frames become f32 (for up to 16-bit data) or
f64 (wider), (raw - dark) * gain is computed in that type, then each excluded
pixel becomes the mean of its valid neighbours in the 3^d - 1 neighbourhood.
Checked exactly on picked frames and on the per-pixel maximum over all frames,
for 2-D, 1-D and 3-D frames, u16 / i32 / f64 data, and each correction alone."""
import itertools
import os

import numpy as np

from udftest import check_close, check_equal, random_data, read, run, tempdir

PROBE = """
udf probe {
    sig f64 first;
    sig f64 later;
    sig f64 top = -inf;
    nav f64 total;
    frame {
        first += select(index == 0, frame, 0);
        later += select(index == 13, frame, 0);
        top = max(top, frame);
        total = sum(frame);
    }
}
"""


def correct(frames, dark, gain, excluded, t):
    """numpy's version: frames has shape (n,) + sig."""
    sig = frames.shape[1:]
    dark = np.zeros(sig) if dark is None else dark
    gain = np.ones(sig) if gain is None else gain
    out = (frames.astype(t) - dark.astype(t)) * gain.astype(t)
    if excluded is None:
        return out
    for p in map(tuple, np.argwhere(excluded)):
        neighbours = [q for q in itertools.product(*[range(c - 1, c + 2) for c in p])
                      if q != p and all(0 <= c < n for c, n in zip(q, sig)) and not excluded[q]]
        for f in range(len(out)):
            total = 0.0
            for q in neighbours:  # in C order, summed in double, as udfc does
                total += float(out[f][q])
            out[f][p] = t(total / len(neighbours))
    return out


def check(tmp, data, sig_dims, dark=None, gain=None, excluded=None):
    nav = data.shape[:-sig_dims]
    frames = data.reshape((-1,) + data.shape[-sig_dims:])
    t = np.float32 if data.dtype.itemsize <= 2 or data.dtype == np.float32 else np.float64
    want = correct(frames, dark, gain, excluded, t)
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    args = ["run", os.path.join(tmp, "probe.udf"), "sum", "--data", path, "--sig-dims", sig_dims,
            "-o", os.path.join(tmp, "out.h5"), "--partitions", 3]
    for option, array in (("--dark", dark), ("--gain", gain), ("--exclude", excluded)):
        if array is not None:
            np.save(os.path.join(tmp, option[2:] + ".npy"), array)
            args += [option, os.path.join(tmp, option[2:] + ".npy")]
    run(*args)
    what = "%s data, sig %s, %s" % (data.dtype, frames.shape[1:], " ".join(map(str, args[6:])))
    out = os.path.join(tmp, "out.h5")
    check_equal(read(out, "probe", "first"), want[0].astype(np.float64), "frame 0 of " + what)
    check_equal(read(out, "probe", "later"), want[13].astype(np.float64), "frame 13 of " + what)
    check_equal(read(out, "probe", "top"), want.max(axis=0).astype(np.float64), "max of " + what)
    check_close(read(out, "probe", "total"),
                want.reshape(len(want), -1).astype(np.float64).sum(axis=1).reshape(nav),
                "frame sums of " + what, rtol=1e-6)
    # The standard library's sum has LiberTEM's dtype: result_type(frames, float32).
    check_close(read(out, "sum", "intensity"), want.astype(np.float64).sum(axis=0).astype(t),
                "sum of " + what, rtol=1e-5)


rng = np.random.default_rng(2)
with tempdir() as tmp:
    with open(os.path.join(tmp, "probe.udf"), "w") as f:
        f.write(PROBE)

    # 2-D frames of u16: corrections in f32.
    data = random_data("u16", (4, 5, 7, 6), seed=4)
    dark = rng.normal(300, 50, size=(7, 6))                    # f64 file
    gain = rng.normal(1, 0.1, size=(7, 6)).astype(np.float32)  # f32 file
    excluded = np.zeros((7, 6), dtype=bool)
    for p in [(0, 0), (3, 3), (3, 4), (4, 4), (6, 5), (0, 3), (6, 0)]:
        excluded[p] = True
    check(tmp, data, 2, dark, gain, excluded)
    check(tmp, data, 2, dark=dark)
    check(tmp, data, 2, gain=gain)
    check(tmp, data, 2, excluded=excluded)
    check(tmp, data, 2, excluded=excluded.astype(np.uint8))   # a 0/1 mask works too

    # 1-D frames (--sig-dims 1), with two excluded pixels side by side.
    data = random_data("u16", (4, 5, 40), seed=5)
    excluded = np.zeros(40, dtype=bool)
    excluded[[0, 10, 20, 21, 39]] = True
    check(tmp, data, 1, rng.normal(100, 9, size=40), rng.normal(1, 0.2, size=40), excluded)

    # 3-D frames (--sig-dims 3): 26 neighbours, corners have 7.
    data = random_data("u16", (3, 5, 4, 5, 3), seed=6)
    excluded = np.zeros((4, 5, 3), dtype=bool)
    for p in [(0, 0, 0), (1, 2, 1), (1, 2, 2), (2, 2, 1), (3, 4, 2)]:
        excluded[p] = True
    check(tmp, data, 3, rng.normal(50, 5, size=(4, 5, 3)), None, excluded)

    # i32 and f64 data: corrections in f64 (f32 would lose digits of 1e8).
    data = (random_data("i32", (4, 5, 6, 6), seed=7) // 16).astype(np.int32)
    excluded = np.zeros((6, 6), dtype=bool)
    excluded[2, 3] = excluded[5, 5] = True
    check(tmp, data, 2, rng.normal(1e8, 1e3, size=(6, 6)), rng.normal(1, 1e-3, size=(6, 6)),
          excluded)
    check(tmp, random_data("f64", (4, 5, 6, 6), seed=8), 2, rng.normal(3, 1, size=(6, 6)),
          None, excluded)
print("ok")
