"""The built-in demo data set: deterministic, shaped as asked, with structure
(the disk moves, so frame sums vary smoothly; grains change spot strength)."""
import os

import numpy as np

from udftest import check_equal, fail, read, run, tempdir

with tempdir() as tmp:
    a, b = os.path.join(tmp, "a.h5"), os.path.join(tmp, "b.h5")
    run("run", "sumsig", "sum", "--data", "demo:12,10,48,40", "-j", "1", "-o", a)
    run("run", "sumsig", "sum", "--data", "demo:12,10,48,40", "-j", "2", "-o", b)
    for udf in ("sumsig", "sum"):
        check_equal(read(b, udf, "intensity"), read(a, udf, "intensity"), udf + " -j 2 vs -j 1")
    sumsig = read(a, "sumsig", "intensity")
    if sumsig.shape != (12, 10):
        fail("sumsig shape %s" % (sumsig.shape,))
    if sumsig.min() <= 0 or sumsig.std() / sumsig.mean() < 1e-3:
        fail("demo frame sums show no structure: %s" % sumsig)
    pattern = read(a, "sum", "intensity")
    if pattern.shape != (48, 40):
        fail("sum shape %s" % (pattern.shape,))
    # The bright disk sits near the centre of the summed pattern.
    cy, cx = np.unravel_index(np.argmax(pattern), pattern.shape)
    if abs(cy - 24) > 8 or abs(cx - 20) > 8:
        fail("brightest summed pixel at %s, expected near the centre" % ((cy, cx),))
print("ok")
