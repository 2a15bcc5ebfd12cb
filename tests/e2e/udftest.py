"""udftest — shared helpers of the end-to-end tests: run udfc, read its HDF5
results, compare them with numpy references. Each test script is one CTest
test; it exits non-zero (with a message) at the first failed check."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

UDFC = os.environ.get("UDFC", "udfc")

# Element types of the language and their numpy dtypes.
DTYPES = {
    "bool": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
    "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
    "f32": np.float32, "f64": np.float64,
}


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(*args, expect=0, cwd=None):
    """Runs udfc with args; checks the exit code; returns the CompletedProcess."""
    cmd = [UDFC] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if p.returncode != expect:
        fail("%s\nexited %d, expected %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p


def read(path, udf, buffer):
    with h5py.File(path, "r") as f:
        return f[udf][buffer][()]


def random_data(dtype, shape, seed=1):
    rng = np.random.default_rng(seed)
    t = np.dtype(DTYPES[dtype])
    if t.kind == "f":
        return rng.normal(100, 30, size=shape).astype(t)
    if t.kind == "b":
        return rng.integers(0, 2, size=shape).astype(t)
    info = np.iinfo(t)
    return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=t)


def check_equal(actual, expected, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        fail("%s: shape %s, expected %s" % (what, actual.shape, expected.shape))
    if actual.dtype != expected.dtype:
        fail("%s: dtype %s, expected %s" % (what, actual.dtype, expected.dtype))
    if not np.array_equal(actual, expected, equal_nan=True):
        bad = np.argwhere(~((actual == expected) | (np.isnan(actual) & np.isnan(expected))
                            if actual.dtype.kind == "f" else actual == expected))
        i = tuple(bad[0])
        fail("%s: %d elements differ, first at %s: %r != %r"
             % (what, len(bad), i, actual[i], expected[i]))


def check_close(actual, expected, what, rtol=1e-5, atol=0.0):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        fail("%s: shape %s, expected %s" % (what, actual.shape, expected.shape))
    if actual.dtype != expected.dtype:
        fail("%s: dtype %s, expected %s" % (what, actual.dtype, expected.dtype))
    ok = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not ok.all():
        i = tuple(np.argwhere(~ok)[0])
        fail("%s: %d elements differ beyond rtol %g, first at %s: %r != %r"
             % (what, int((~ok).sum()), rtol, i, actual[i], expected[i]))


def tempdir():
    return tempfile.TemporaryDirectory(prefix="udftest-")
