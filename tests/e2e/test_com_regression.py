"""com's regression against numpy.linalg.lstsq over the positions run:
whole scans (5x7, 1x9, 9x1, 1x1), random and edge ROIs, ROIs on one line
(a diagonal, an anti-diagonal, two positions, a slanted line whose rounded
determinant is not 0), a 3-D scan (the fit uses the first two nav dims, as
the gradients do), integer and float data. The corrected field must match;
the matrix too where the positions span both axes (on a line numpy gives
its minimum-norm matrix, udf a slope along the line only: docs/stdlib.md).
An empty ROI gives NaN intercepts."""
import os

import numpy as np

import references as ref
from udftest import check_close, check_equal, fail, read, run, tempdir

rng = np.random.default_rng(5)


def compare(tmp, data, roi, regression, what, matrix=True):
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    out = os.path.join(tmp, "out.h5")
    args = ["run", "com", "--data", path, "-o", out, "--param", "regression=%d" % regression]
    if roi is not None:
        np.save(os.path.join(tmp, "roi.npy"), roi)
        args += ["--roi", os.path.join(tmp, "roi.npy")]
    run(*args)
    want = ref.ref_com(data, 2, regression=regression, roi=roi)
    for buffer, expected in want.items():
        if buffer == "regression_matrix" and not matrix:
            continue
        scale = max(float(np.nanmax(np.abs(expected))) if np.isfinite(expected).any() else 1, 1)
        check_close(read(out, "com", buffer), expected, "%s: %s" % (what, buffer), rtol=1e-5,
                    atol=2e-5 * scale)


def line(nav, points):
    roi = np.zeros(nav, bool)
    for y, x in points:
        roi[y, x] = True
    return roi


with tempdir() as tmp:
    for dtype in (np.uint16, np.float64):
        def data(nav):
            return rng.integers(0, 100, nav + (8, 9)).astype(dtype)
        name = np.dtype(dtype).name
        for nav in ((5, 7), (1, 9), (9, 1), (1, 1)):
            for regression in (0, 1):
                spans = nav[0] > 1 and nav[1] > 1
                compare(tmp, data(nav), None, regression, "%s %s regression=%d" % (name, nav,
                        regression), matrix=spans or regression == 0)
        d = data((6, 6))
        compare(tmp, d, rng.random((6, 6)) < 0.5, 1, name + " random ROI")
        compare(tmp, d, line((6, 6), [(0, 5), (1, 5), (5, 5), (5, 0)]), 1, name + " edge ROI")
        compare(tmp, d, np.eye(6, dtype=bool), 1, name + " diagonal ROI", matrix=False)
        compare(tmp, d, np.eye(6, dtype=bool)[::-1], 1, name + " anti-diagonal ROI",
                matrix=False)
        compare(tmp, d, line((6, 6), [(1, 2), (3, 4)]), 1, name + " two positions", matrix=False)
        # Collinear, but the determinant of the rounded sums is 4.7e-9.
        ys = np.array([1, 5, 32, 34, 37])
        compare(tmp, data((40, 128)), line((40, 128), zip(ys, 2 * ys + 3)), 1,
                name + " slanted line", matrix=False)
        compare(tmp, data((3, 4, 5)), None, 1, name + " 3-D scan")
    # An empty ROI: nothing to fit.
    out = os.path.join(tmp, "empty.h5")
    np.save(os.path.join(tmp, "none.npy"), np.zeros((5, 7), bool))
    np.save(os.path.join(tmp, "d.npy"), rng.integers(0, 9, (5, 7, 8, 9)).astype(np.uint16))
    run("run", "com", "--data", os.path.join(tmp, "d.npy"), "--roi", os.path.join(tmp, "none.npy"),
        "--param", "regression=1", "-o", out)
    matrix = read(out, "com", "regression_matrix")
    if not np.isnan(matrix[0]).all():
        fail("an empty ROI should give NaN intercepts: %s" % matrix)
    check_equal(matrix[1:], np.zeros((2, 2)), "an empty ROI's slopes")
print("ok")
