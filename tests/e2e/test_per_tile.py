"""Sums of values that are the same in every frame (added once per tile, times
its frame count, scatters among them by runs of equal bins) against
frame-by-frame numpy: one partition and several, 1 and 2 threads, and a
region of interest, whose unselected frames must not count
(udfs/per_tile.udf)."""
import os

import numpy as np

from udftest import check_close, check_equal, read, run, tempdir

HERE = os.path.dirname(os.path.abspath(__file__))
UDFS = os.path.join(HERE, "udfs", "per_tile.udf")

rng = np.random.default_rng(5)
data = rng.integers(0, 100, size=(5, 7, 4, 6)).astype(np.uint16)  # 35 frames
roi = np.zeros((5, 7), dtype=bool)
roi[1:4, 2:6] = True  # 12 frames
y, x = np.mgrid[0:4, 0:6]

with tempdir() as tmp:
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    roi_path = os.path.join(tmp, "roi.npy")
    np.save(roi_path, roi)
    for partitions, threads, use_roi in (("1", "1", False), ("1", "2", True), ("4", "2", False),
                                         ("4", "2", True)):
        out = os.path.join(tmp, "out.h5")
        args = ["run", UDFS, "--data", path, "-o", out, "--partitions", partitions, "-j", threads]
        if use_roi:
            args += ["--roi", roi_path]
        run(*args)
        what = " (partitions %s, -j %s%s)" % (partitions, threads, ", roi" if use_roi else "")
        n = int(roi.sum()) if use_roi else 35

        check_equal(read(out, "counts", "frames"), n, "frames" + what)
        check_equal(read(out, "counts", "guarded"), 2 * n, "guarded" + what)
        check_close(read(out, "counts", "weight"), n * (y * 0.25 + x), "weight" + what,
                    rtol=1e-12)
        bins = np.bincount(((y + x) % 3).ravel(), minlength=3)
        check_equal(read(out, "counts", "pixels"), n * bins, "pixels" + what)
        check_equal(read(out, "counts", "banded"), n * np.array([24, 24, 0]), "banded" + what)
        check_close(read(out, "counts", "halves"), n * np.array([6.0, 6.0, 0.0]), "halves" + what,
                    rtol=1e-12)
        sums = data.reshape(5, 7, -1).sum(axis=2).astype(np.float64)
        total = read(out, "counts", "total")
        selected = roi if use_roi else np.ones((5, 7), dtype=bool)
        check_equal(total[selected], sums[selected], "total" + what)

        check_equal(read(out, "truncated", "c"), 0, "truncated c" + what)
        check_equal(read(out, "truncated", "e"), np.int8(0), "truncated e" + what)
        check_equal(read(out, "truncated", "seen"), np.bool_(True), "seen" + what)
        check_equal(read(out, "lets", "c"), 3 * n, "lets c" + what)
        check_close(read(out, "lets", "s"), n * 6.0 * x, "lets s" + what, rtol=1e-12)

        check_equal(read(out, "ordered", "seen"), n, "seen" + what)
        if partitions == "1" and not use_roi:
            check_equal(read(out, "ordered", "position").ravel(), np.arange(1, 36),
                        "position" + what)
        check_close(read(out, "mixed", "acc"), n + sums[selected].sum(), "acc" + what,
                    rtol=1e-12)
print("ok")
