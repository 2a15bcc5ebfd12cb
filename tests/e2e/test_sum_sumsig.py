"""sum and sumsig in one pass against numpy, for one element type and file
format, on shapes where nothing divides evenly (nav 7x9, sig 23x17), with 1, 2
and 3 threads. Integer data must give bit-identical results for every thread
count (and, since partitioning does not depend on threads, so must floats)."""
import os
import sys

import numpy as np

from udftest import check_close, check_equal, fail, random_data, read, run, tempdir

dtype, fmt = sys.argv[1], sys.argv[2]
nav, sig = (7, 9), (23, 17)
data = random_data(dtype, nav + sig, seed=7)
if dtype in ("f32", "f64"):
    exact = False
else:
    exact = True

expected_sumsig = data.sum(axis=(2, 3), dtype=np.float64).astype(np.float32)
expected_sum = data.sum(axis=(0, 1), dtype=np.float64).astype(np.float32)

with tempdir() as tmp:
    if fmt == "npy":
        path = os.path.join(tmp, "data.npy")
        np.save(path, data)
        data_args = ["--data", path]
    elif fmt == "raw":
        path = os.path.join(tmp, "data.raw")
        data.tofile(path)
        data_args = ["--data", path, "--dtype", dtype, "--nav", "7,9", "--sig", "23,17"]
    else:
        fail("unknown format " + fmt)

    first = None
    for threads in (1, 2, 3):
        out = os.path.join(tmp, "out%d.h5" % threads)
        run("run", "sumsig", "sum", *data_args, "-j", threads, "-o", out)
        sumsig, total = read(out, "sumsig", "intensity"), read(out, "sum", "intensity")
        what = "%s %s -j %d" % (dtype, fmt, threads)
        if exact:
            check_equal(sumsig, expected_sumsig, "sumsig " + what)
            check_equal(total, expected_sum, "sum " + what)
        else:
            check_close(sumsig, expected_sumsig, "sumsig " + what)
            check_close(total, expected_sum, "sum " + what)
        if first is None:
            first = (sumsig, total)
        else:
            check_equal(sumsig, first[0], "sumsig -j %d vs -j 1" % threads)
            check_equal(total, first[1], "sum -j %d vs -j 1" % threads)
print("ok")
