"""Row factors (compiler/lower_reduce.c): a float sum over frame[y, x] of a
bounded integer value times a row constant (`sum(float(frame) * float(y))`)
adds the value alone along each row and multiplies the row's sum by the
constant; a sum of the same value beside it (`sum(float(frame))`) shares that
row sum. Each factored case must be exact where the row sums are (u16 rows of
64 pixels stay below 2^24 in f32; the products summed pixel by pixel did
not), and each case that must not be factored must keep its own finite values,
NaN and infinities as numpy gives them."""
import os
import re

import numpy as np

from udftest import check_equal, fail, read, run, tempdir


def factored(ir):
    """The tile's flushes of row sums times a factor (`y = ((f64(block) * ...`)."""
    return re.findall(r"y\d+ = \(\((?:f64\()?block\d+\)? \* ", ir)


def step_count(ir):
    """Distinct block vars the innermost loop adds to."""
    return len(set(re.findall(r"(block\d+) = \(block\d+ \+~", ir)))


def compile_ir(tmp, name, body, dtype):
    src = os.path.join(tmp, name + ".udf")
    with open(src, "w") as f:
        f.write("udf %s {\n%s\n}\n" % (name, body))
    return src, run("emit", "ir", src, "--dtype", dtype).stdout


def f32(exact):
    """An exact sum as a sum of f32 values gives it: rounded once to f32."""
    return exact.astype(np.float32).astype(np.float64)


def u16_cases(tmp):
    rng = np.random.default_rng(11)
    data = rng.integers(60000, 65536, size=(2, 3, 64, 64), dtype=np.uint16)
    path = os.path.join(tmp, "u16.npy")
    np.save(path, data)
    frames = data.reshape(6, 64, 64).astype(np.float64)
    y = np.arange(64, dtype=np.float64)[:, None]
    x = np.arange(64, dtype=np.float64)[None, :]
    inside = (y - 30) ** 2 + (x - 33) ** 2 <= 20 ** 2
    cases = {
        # com's three sums: Σf·y shares Σf's row sums, Σf·x does not factor.
        "com_sums": ("nav f64 a; nav f64 b; nav f64 c;\n"
                     "frame[y, x] { let f = select((y - 30) * (y - 30) + (x - 33) * (x - 33)"
                     " <= 400, float(frame), 0);\n"
                     "a = sum(f); b = sum(f * float(y)); c = sum(f * float(x)); }",
                     {"a": f32(np.where(inside, frames, 0).sum(axis=(1, 2))),
                      "b": f32((np.where(inside, frames, 0) * y).sum(axis=(1, 2))),
                      "c": f32((np.where(inside, frames, 0) * x).sum(axis=(1, 2)))},
                     1, 4 * 2),
        # An integer factor of its own, negative on some rows.
        "integer_factor": ("nav f64 a;\nframe[y, x] { a = sum(float(frame) * ((y - 10) * 3)); }",
                           {"a": (frames * ((y - 10) * 3)).sum(axis=(1, 2))}, 1, 4),
    }
    # n_factors: sums flushed times a factor, per frame of a jammed group of
    # four frames; n_steps: block sums the pixel loop adds to, for the group.
    for name, (body, expected, n_factors, n_steps) in cases.items():
        src, ir = compile_ir(tmp, name, body, "u16")
        if len(factored(ir)) != 4 * n_factors or step_count(ir) != n_steps:
            fail("%s: %d row-factor flushes and %d block sums, expected %d and %d:\n%s"
                 % (name, len(factored(ir)), step_count(ir), 4 * n_factors, n_steps, ir))
        out = os.path.join(tmp, name + ".h5")
        run("run", src, "--data", path, "-o", out)
        for buffer, values in expected.items():
            check_equal(read(out, name, buffer).ravel(), values, "%s.%s" % (name, buffer))


def three_dims(tmp):
    """frame[z, y, x]: the factor may use z and y; rows run along x."""
    rng = np.random.default_rng(12)
    data = rng.integers(0, 65536, size=(5, 4, 16, 32), dtype=np.uint16)
    path = os.path.join(tmp, "z.npy")
    np.save(path, data)
    src, ir = compile_ir(tmp, "zy", "nav f64 a;\nframe[z, y, x] { a = sum(float(frame) *"
                         " float(z * 16 + y)); }", "u16")
    if len(factored(ir)) != 4:
        fail("zy: not factored:\n" + ir)
    out = os.path.join(tmp, "zy.h5")
    run("run", src, "--data", path, "--sig-dims", "3", "-o", out)
    w = np.arange(64, dtype=np.float64).reshape(4, 16, 1)
    check_equal(read(out, "zy", "a"), f32((data.astype(np.float64) * w).sum(axis=(1, 2, 3))),
                "zy.a")


def not_factored(tmp):
    """A float frame may hold infinities and values whose row sum overflows:
    Σ 3e38·0 over row 0 is 0, not inf·0 = NaN. Factors along x, and params
    (which may be inf), are left alone."""
    data = np.ones((1, 3, 8, 8), np.float32)
    data[0, 0, 0, :] = 3e38            # row 0 (y = 0): the row sum overflows f32
    data[0, 1, 2, 3] = np.inf          # inf · 2
    data[0, 2, 0, 1] = np.inf          # inf · 0 = NaN
    path = os.path.join(tmp, "f32.npy")
    np.save(path, data)
    src, ir = compile_ir(tmp, "floaty", "nav f64 a;\nframe[y, x] { a = sum(frame * float(y)); }",
                         "f32")
    if factored(ir):
        fail("floaty: a float frame's sum was factored:\n" + ir)
    out = os.path.join(tmp, "floaty.h5")
    run("run", src, "--data", path, "-o", out)
    y = np.arange(8, dtype=np.float32)[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        expected = (data[0] * y).astype(np.float64).sum(axis=(1, 2))
    check_equal(read(out, "floaty", "a").ravel(), expected, "floaty.a")
    for name, body in {
        "along_x": "nav f64 a;\nframe[y, x] { a = sum(float(frame) * float(x)); }",
        "by_param": "param f32 w = 1;\nnav f64 a;\nframe[y, x] { a = sum(float(frame) * w); }",
        "float_factor": "nav f64 a;\nframe[y, x] { a = sum(float(frame) * (float(y) / 3)); }",
    }.items():
        _, ir = compile_ir(tmp, name, body, "u16")
        if factored(ir):
            fail("%s: factored:\n%s" % (name, ir))


with tempdir() as tmp:
    u16_cases(tmp)
    three_dims(tmp)
    not_factored(tmp)
print("ok")
