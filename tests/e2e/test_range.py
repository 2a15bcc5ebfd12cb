"""Value ranges (compiler/range.c): lowering inlines log without special cases
(`log_pos` in `udfc emit ir`) only where its argument is provably a positive
normal number, and adds a float sum's per-frame terms first (`+ (f32(1:i64)
- ...)`) only where every grouping gives the same value, zeros' signs
included. Each proven case is checked for accuracy against numpy; each case
the analysis must not prove is checked to give numpy's -inf, NaN, zero signs
and roundings."""
import os

import numpy as np

from udftest import fail, read, run, tempdir

# name: (frame body statement, reference of one frame f (numpy, exact types),
#        whether `log_pos` must appear, whether the per-frame terms `1 - m` are
#        added first)
CASES = {
    # logsum's idiom: an integer frame minus its own minimum, plus 1, is in [1, 65536].
    "own_min": ("value += log(float(frame) - min(frame) + 1);",
                lambda f: np.log(f.astype(np.float64) - f.min() + 1), True, True),
    # Arguments that reach 0 and below: -inf and NaN must come out.
    "own_max": ("value += log(float(frame) - max(frame) + 1);",
                lambda f: np.log(f.astype(np.float64) - f.max() + 1), False, True),
    "no_plus_one": ("value += log(float(frame) - min(frame));",
                    lambda f: np.log(f.astype(np.float64) - f.min()), False, False),
    # u16 arithmetic wraps 65535 - 0 + 1 to 0: ln 0 = -inf.
    "wrapping": ("value += log(frame - min(frame) + 1);",
                 lambda f: np.log((f - f.min() + np.uint16(1)).astype(np.float64)), False, False),
    # The minimum of another expression says nothing about this one.
    "other_min": ("value += log(float(65535 - frame) - min(frame) + 1);",
                  lambda f: np.log((65535 - f).astype(np.float64) - f.min() + 1), False, True),
    # Beyond f32's integers (2^24): this sum must be computed as written, its
    # first addition rounding; `16777215 - m` first would round differently.
    "too_large": ("value += float(frame) * 256 + 16777215 - float(min(frame));",
                  None, False, False),
    # 0 - x is +0 for x = 0; -x would be -0, and 1 / -0 = -inf.
    "zero_sign": ("value += 1 / (0 - float(frame) + 1 - 1);",
                  lambda f: 1 / (0 - f.astype(np.float64) + 1 - 1), False, False),
    "zero_sign_plain": ("value += 1 / (0 - float(frame));",
                        lambda f: 1 / (0 - f.astype(np.float64)), False, False),
}


def frames():
    """u16 frames with 0 and 65535 in them, and one without either."""
    rng = np.random.default_rng(5)
    data = rng.integers(0, 65536, size=(2, 3, 64, 64), dtype=np.uint16)
    data[0, 0, 0, 0], data[0, 0, 5, 7] = 0, 65535
    data[1, 2] = rng.integers(300, 9000, size=(64, 64), dtype=np.uint16)
    return data


def reference(name, data):
    value = np.zeros(data.shape[2:], np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for f in data.reshape(-1, *data.shape[2:]):
            if name == "too_large":
                x = f.astype(np.float32)
                term = (x * np.float32(256) + np.float32(16777215)) - np.float32(f.min())
            else:
                term = CASES[name][1](f).astype(np.float32)
            value = value + term
    return value


def check(name, actual, expected):
    classes = (np.isnan(actual) == np.isnan(expected)) & (np.isinf(actual) == np.isinf(expected))
    if not classes.all() or (actual[np.isinf(expected)] != expected[np.isinf(expected)]).any():
        i = np.argwhere(~classes | (np.isinf(expected) & (actual != expected)))[0]
        fail("%s: value%s = %r, numpy gives %r" % (name, list(i), actual[tuple(i)],
                                                  expected[tuple(i)]))
    finite = np.isfinite(expected)
    exact = name == "too_large"
    if exact and not np.array_equal(actual[finite], expected[finite]):
        fail("%s: the sum was regrouped (differs from numpy's order)" % name)
    if not np.allclose(actual[finite], expected[finite], rtol=2e-6, atol=0):
        fail("%s: differs from numpy by %g (relative)" % (name, np.max(
            np.abs(actual[finite] - expected[finite]) / np.abs(expected[finite]))))


def accuracy(tmp):
    """ln(n) for every n in 1..65536 through the inlined log: within 1 ulp of
    the correctly rounded value."""
    src = os.path.join(tmp, "ln.udf")
    with open(src, "w") as f:
        f.write("udf ln { sig f32 value; frame { value += log(float(frame) - min(frame) + 1); } }\n")
    if "log_pos" not in run("emit", "ir", src, "--dtype", "u16").stdout:
        fail("ln.udf: log of frame - min(frame) + 1 is not log_pos")
    path = os.path.join(tmp, "all.npy")
    np.save(path, np.arange(65536, dtype=np.uint16).reshape(1, 1, 256, 256))
    out = os.path.join(tmp, "ln.h5")
    run("run", src, "--data", path, "-o", out)
    actual = read(out, "ln", "value").ravel()
    expected = np.log(np.arange(1, 65537, dtype=np.float64)).astype(np.float32)
    ulps = np.abs(actual.view(np.int32).astype(np.int64) - expected.view(np.int32))
    if ulps.max() > 1:
        i = int(np.argmax(ulps))
        fail("ln(%d) = %r is %d ulp from %r" % (i + 1, actual[i], ulps.max(), expected[i]))


with tempdir() as tmp:
    accuracy(tmp)
    data = frames()
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    for name, (stmt, _, log_pos, regrouped) in CASES.items():
        src = os.path.join(tmp, name + ".udf")
        with open(src, "w") as f:
            f.write("udf %s { sig f32 value; frame { %s } }\n" % (name, stmt))
        ir = run("emit", "ir", src, "--dtype", "u16").stdout
        if ("log_pos" in ir) != log_pos:
            fail("%s: log_pos %s in\n%s" % (name, "missing" if log_pos else "wrongly", ir))
        if ("+ (f32(1:i64) - " in ir) != regrouped:
            fail("%s: per-frame terms first %s in\n%s" % (name, "missing" if regrouped else
                                                          "wrongly", ir))
        if name == "too_large" and "+ (f32(16777215:i64) - " in ir:
            fail("too_large: regrouped beyond f32's integers:\n" + ir)
        out = os.path.join(tmp, name + ".h5")
        run("run", src, "--data", path, "--partitions", "1", "-o", out)
        check(name, read(out, name, "value"), reference(name, data))
    # Float frames prove nothing: NaN, inf and negative values keep their logs.
    ir = run("emit", "ir", os.path.join(tmp, "own_min.udf"), "--dtype", "f32").stdout
    if "log_pos" in ir:
        fail("own_min.udf --dtype f32: log_pos for float frames")
print("ok")
