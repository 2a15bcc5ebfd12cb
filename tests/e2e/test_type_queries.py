"""Type queries (is_float, is_signed, bits) for every input type, and `if`
on them: each type runs its own branch, a condition that mixes a query with
a per-frame value still decides per frame, a folded condition computes in
the kernel's types (it agrees with select on the same condition), and a
result uses a query in select. Then the standard library's stddev, which sums integer data of up
to 16 bits exactly: at the extremes of each such type its mean is the
correctly rounded quotient, a pixel that never changes has a variance of
exactly 0, and the others are within rounding steps of the exact variance
(Welford's update, which float data gets, is not as close)."""
import os
from fractions import Fraction

import h5py
import numpy as np

from udftest import DTYPES, check_close, check_equal, read, run, tempdir

HERE = os.path.dirname(os.path.abspath(__file__))
UDF = os.path.join(HERE, "udfs", "type_queries.udf")

with tempdir() as tmp:
    path = os.path.join(tmp, "data.npy")
    out = os.path.join(tmp, "out.h5")
    for name, t in DTYPES.items():
        t = np.dtype(t)
        data = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) % 7
        data = (data > 3 if t.kind == "b" else data).astype(t)
        np.save(path, data)
        run("run", UDF, "--data", path, "-o", out, "-j", "2")

        signed = t.kind in "if"
        facts = [8 * t.itemsize, int(t.kind == "f"), int(signed),
                 8 * np.result_type(t, np.float32).itemsize, 8 + 1000 * 64]
        check_equal(read(out, "facts", "answers"),
                    np.broadcast_to(np.array(facts, np.int64), (2, 3, 5)), "facts of " + name)

        frames = data.reshape(6, 4, 5).astype(np.float64)
        narrow = t.kind != "f" and t.itemsize <= 2
        factor = 2.0 if t.kind == "f" else 1.0 if narrow else 3.0
        check_equal(read(out, "formula", "acc"), frames.sum(axis=0) * factor, "branch for " + name)
        picked = np.where(signed | (np.arange(6) > 2), 1, 2).astype(np.int32).reshape(2, 3)
        check_equal(read(out, "formula", "picked"), picked, "mixed condition for " + name)
        total = frames.sum() * factor / (2.0 if t.kind == "f" else 1.0)
        check_equal(read(out, "formula", "total"), np.float64(total), "select for " + name)
        check_equal(read(out, "agree", "by_if"), read(out, "agree", "by_select"),
                    "folded ifs against select for " + name)

    # stddev at the extremes of the types it sums exactly; with 90000 frames
    # and --partitions 1 too: partitions hold at most 65536 frames whatever
    # is asked, so Σx of a partition fits the 32 bits stddev sums it in.
    cases = [(t, (37, 41), []) for t in (np.uint8, np.int8, np.uint16, np.int16)]
    cases += [(t, (300, 300), ["--partitions", "1"]) for t in (np.uint16, np.int16)]
    # HDF5 chunks of 40000 frames: partitions keep them whole and stay small.
    cases += [(np.uint16, (3, 40000), ["--partitions", "1", "h5"])]
    for t, nav, extra in cases:
        info = np.iinfo(t)
        rng = np.random.default_rng(3)
        data = rng.integers(info.min, int(info.max) + 1, size=nav + (2, 3), dtype=t)
        data[..., 0, 0] = info.max
        data[..., 0, 1] = info.min
        data[..., 0, 2] = info.max - rng.integers(0, 2, size=nav)  # mean near max
        data[..., 1, 0] = np.where(rng.random(nav) < 0.5, info.min, info.max)
        spec = path
        if "h5" in extra:
            extra = extra[:-1]
            spec = os.path.join(tmp, "chunks.h5")
            with h5py.File(spec, "w") as f:
                f.create_dataset("d", data=data, chunks=(1, nav[1], 2, 3))
        else:
            np.save(path, data)
        run("run", "stddev", "--data", spec, "-o", out, "-j", "2", *extra)
        f = data.reshape(-1, 6).astype(np.int64)
        n = f.shape[0]
        # Exact: the mean is the correctly rounded quotient of the integer sum,
        # and the variance is within a few rounding steps of n·Σx² − (Σx)²
        # over n², computed in Python's integers.
        exact_var = np.array([float(Fraction(n * int((c * c).sum()) - int(c.sum()) ** 2, n * n))
                              for c in f.T])
        what = "stddev of %s at its extremes, %d frames" % (np.dtype(t).name, n)
        var = read(out, "stddev", "var").ravel()
        check_equal(var[:2], np.zeros(2), what + ": constant pixels")
        check_close(var, exact_var, what, rtol=1e-15)
        check_equal(read(out, "stddev", "mean").ravel(), f.sum(axis=0) / n, what + ": mean")
        check_close(read(out, "stddev", "std").ravel(), np.sqrt(exact_var), what + ": std", rtol=1e-15)
print("ok")
