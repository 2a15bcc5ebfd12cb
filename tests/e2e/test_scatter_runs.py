"""Scatters by runs (compiler/lower_runs.c): `b[bin] += v` with a bin that is
the same in every frame sums v over each run of pixels with the same bin and
adds the sum to the bin once. Integer values are summed in 32 bits (u16,
i16) or 64 (u32), exactly, in runs of at most 255 pixels; float values in
the update's type. Each case runs against numpy's sums per bin: exact for
integer targets, within rounding for float ones; with 15 frames (a short
last group of jammed frames), one partition and several, and a ROI. The IR
must list runs exactly for the scatters they can serve: not those whose
steps convert per pixel (float into integer, anything into bool)."""
import os

import numpy as np

from udftest import check_close, check_equal, fail, read, run, tempdir

NAV, SIG = (3, 5), (40, 96)
Y, X = np.mgrid[0:SIG[0], 0:SIG[1]]
# Rings 8 pixels wide: bins 0..6, of which 6 (the corners) is outside the
# 6-element targets; runs of 1 to 31 pixels, summed pixel by pixel below 8
# (MIN_VECTOR_RUN in lower_runs.c), in vectors from 8.
RINGS = np.floor(np.sqrt((Y - 20.0) ** 2 + (X - 48.0) ** 2) / 8).astype(np.int64)


def run_lengths(bins):
    flat = bins.reshape(-1)
    ends = np.flatnonzero(np.diff(flat)) + 1
    return np.diff(np.concatenate([[0], ends, [flat.size]]))


assert run_lengths(RINGS).min() < 8 <= run_lengths(RINGS).max()


def write_udf(tmp, name, decls, body):
    path = os.path.join(tmp, name + ".udf")
    with open(path, "w") as f:
        f.write("udf %s {\n%s\nframe[y, x] {\n"
                "let rings = i64(floor(sqrt((y - 20.0) * (y - 20.0) + (x - 48.0) * (x - 48.0)) / 8));"
                "\n%s\n}\n}\n" % (name, decls, body))
    return path


def per_bin(frames, bins, n_bins):
    """sums[n, b] = Σ of frame n over the pixels in bin b (bins outside
    [0, n_bins) dropped), exactly."""
    exact = frames.astype(np.float64) if frames.dtype.kind == "f" else frames.astype(object)
    out = np.zeros((len(frames), n_bins), dtype=exact.dtype)
    for b in range(n_bins):
        out[:, b] = exact[:, bins == b].sum(axis=1)
    return out


def data_of(dtype, rng, shape=NAV + SIG):
    if dtype == "u16":
        return rng.integers(60000, 65536, size=shape, dtype=np.uint16)  # f32 sums pass 2^24
    if dtype == "i16":
        return rng.integers(-32768, 32768, size=shape, dtype=np.int16)
    if dtype == "u32":
        return rng.integers(2**31, 2**32, size=shape, dtype=np.uint32)
    return rng.standard_normal(shape).astype(np.float32) * 1e3


# name: (declarations, frame statements, {buffer: (dtype of the target, expected(frames))}, by runs)
CASES = {
    "rings_i64": ("nav i64 profile[6];", "profile[rings] += frame;",
                  lambda f: {"profile": per_bin(f, RINGS, 6)}, True),
    "rings_f32": ("nav f32 profile[6];", "profile[rings] += frame;",
                  lambda f: {"profile": per_bin(f, RINGS, 6)}, True),
    "rings_f64": ("nav f64 profile[6];", "profile[rings] += frame;",
                  lambda f: {"profile": per_bin(f, RINGS, 6)}, True),
    # A value with a reduction: one number per frame, hoisted before the runs.
    "minus_min": ("nav i64 profile[6];", "profile[rings] += frame - min(frame);",
                  lambda f: {"profile": per_bin(f - f.min(axis=(1, 2), keepdims=True), RINGS, 6)},
                  True),
    # A single buffer: every frame's runs add into the same bins.
    "whole": ("single i64 total[6];", "total[rings] += frame;",
               lambda f: {"total": per_bin(f, RINGS, 6).sum(axis=0)}, True),
    # Bins that change at every pixel: runs of one pixel.
    "diagonal": ("nav i64 profile[5];", "let d = (y + x) % 5; profile[d] += frame;",
                 lambda f: {"profile": per_bin(f, (Y + X) % 5, 5)}, True),
    # A value that reads a coordinate: never by runs.
    "coordinate": ("nav f64 profile[6];", "profile[rings] += frame * x;",
                   lambda f: {"profile": per_bin(f * X, RINGS, 6)}, False),
}


def check(buffer_dtype, got, want, what):
    """Float sums of signed data cancel: their error scales with the largest
    sum, not with each."""
    if buffer_dtype.kind in "iu":
        check_equal(got, np.asarray(want, dtype=np.int64), what)
        return
    want = np.asarray(want, dtype=np.float64)
    rtol = 1e-6 if buffer_dtype == np.float32 else 1e-12
    check_close(got.astype(np.float64), want, what, rtol=rtol, atol=rtol * np.abs(want).max())


with tempdir() as tmp:
    rng = np.random.default_rng(5)
    out = os.path.join(tmp, "out.h5")
    roi = np.ones(NAV, dtype=bool)
    roi[1, 1:4] = False
    roi_path = os.path.join(tmp, "roi.npy")
    np.save(roi_path, roi)
    for name, (decls, body, expected, by_runs) in CASES.items():
        src = write_udf(tmp, name, decls, body)
        ir = run("emit", "ir", src, "--dtype", "u16").stdout
        if ("runsum" in ir) != by_runs:
            fail("%s: runs %s in the IR:\n%s" % (name, "missing" if by_runs else "used", ir))
        for dtype in ("u16", "i16", "u32", "f32"):
            if name in ("rings_i64", "minus_min", "whole", "diagonal") and dtype == "f32":
                continue  # float steps into integer buffers: the per-pixel way, below
            data = data_of(dtype, rng)
            path = os.path.join(tmp, "data.npy")
            np.save(path, data)
            frames = data.reshape((-1,) + SIG)
            for options in (["--partitions", "1"], ["--partitions", "3", "-j", "2"],
                            ["--roi", roi_path]):
                run("run", src, "--data", path, "-o", out, *options)
                chosen = frames[roi.reshape(-1)] if "--roi" in options else frames
                for buffer, want in expected(chosen).items():
                    got = read(out, name, buffer)
                    if "--roi" in options and buffer != "total":
                        got = got.reshape((-1,) + got.shape[2:])[roi.reshape(-1)]
                    elif buffer != "total":
                        got = got.reshape((-1,) + got.shape[2:])
                    what = "%s/%s %s %s" % (name, buffer, dtype, " ".join(options))
                    check(got.dtype, got, want, what)

    # Steps that a sum per run cannot stand for take the per-pixel way: each
    # float step into an integer buffer truncates (0.5 -> 0), saturates (100
    # into an i8 holding 100 gives 127) or maps NaN to 0; `+` on a bool
    # toggles. One bin over a 16x16 frame, a single run.
    steps = {
        "truncate": ("nav i64 b[1];", "b[bin] += float(frame) * 0.5;",
                     np.ones((1, 16, 16), np.uint16), 0),
        "saturate": ("nav i8 b[1];", "b[bin] += float(frame);",
                     np.zeros((1, 16, 16), np.int16), 27),
        "nan_step": ("nav i32 b[1];", "b[bin] += frame;",
                     np.ones((1, 16, 16), np.float32), 255),
        "toggle": ("nav bool b[1];", "b[bin] += frame;",
                   np.zeros((1, 16, 16), np.int16), False),
    }
    steps["saturate"][2][0, 0, :3] = [100, 100, -100]
    steps["nan_step"][2][0, 0, 0] = np.nan
    steps["toggle"][2][0, 0, :2] = [2, -1]
    for name, (decl, body, data, want) in steps.items():
        src = os.path.join(tmp, name + ".udf")
        with open(src, "w") as f:
            f.write("udf %s {\n%s\nframe[y, x] { let bin = y // 100; %s }\n}\n"
                    % (name, decl, body))
        dtype = {np.dtype(np.uint16): "u16", np.dtype(np.int16): "i16",
                 np.dtype(np.float32): "f32"}[data.dtype]
        if "runsum" in run("emit", "ir", src, "--dtype", dtype).stdout:
            fail("%s: runs used in the IR" % name)
        path = os.path.join(tmp, name + ".npy")
        np.save(path, data)
        run("run", src, "--data", path, "--sig-dims", 2, "-o", out)
        got = read(out, name, "b").reshape(-1)
        check_equal(got, np.array([want], dtype=got.dtype), name)

    # Runs end after 255 pixels (their lengths are bytes), so that a u16 run
    # sums in 32 bits: one bin over 300x300 pixels of 65535 is 5.9e9, past 2^32.
    src = os.path.join(tmp, "one_bin.udf")
    with open(src, "w") as f:
        f.write("udf one_bin {\nnav i64 total[1];\n"
                "frame[y, x] { let all = y // 1000; total[all] += frame; }\n}\n")
    data = np.full((2, 300, 300), 65535, dtype=np.uint16)
    data[1, 7, 7] = 0
    path = os.path.join(tmp, "one_bin.npy")
    np.save(path, data)
    run("run", src, "--data", path, "--sig-dims", 2, "-o", out)
    check_equal(read(out, "one_bin", "total").reshape(-1),
                data.reshape(2, -1).astype(np.int64).sum(axis=1), "one_bin u16 300x300")
