"""Masked sums by runs (compiler/lower_runs.c): a pass of one integer
`sum(select(mask, v, 0))` (or `count(mask)`), with `mask` a bool let that is
the same in every frame, goes over the runs of pixels where the mask holds,
if it holds at no more than a quarter of the pixels and partitions hold 32
frames or more, and over all pixels otherwise. Each case runs against
numpy's exact sums: a small disk (by runs) and a large one (all pixels), 512
frames, one partition and several, and a ROI (short groups of jammed
frames). The IR must have the runs' loop exactly where they can serve, and
list the runs (once per partition) only then."""
import os
import re

import numpy as np

from udftest import SANITIZED, check_equal, fail, read, run, tempdir

# 512 frames: partitions of 32 or more, as the runs need (MIN_MASK_FRAMES).
NAV, SIG = (16, 32), (40, 48)
Y, X = np.mgrid[0:SIG[0], 0:SIG[1]]


def write_udf(tmp, name, r, body):
    path = os.path.join(tmp, name + ".udf")
    with open(path, "w") as f:
        f.write("udf %s {\nnav i64 a;\nframe[y, x] {\n"
                "let inside = (y - 17) * (y - 17) + (x - 30) * (x - 30) <= %d;\n%s\n}\n}\n"
                % (name, r * r, body))
    return path


# name: (frame statement, expected per frame from (frames, inside), by runs)
CASES = {
    "disk": ("a = sum(select(inside, frame, 0));",
             lambda f, m: f[:, m].sum(axis=1), True),
    "count": ("a = count(inside);", lambda f, m: np.full(len(f), m.sum()), True),
    # A reduction in the value: one number per frame, from a pass of its own.
    "minus_min": ("a = sum(select(inside, i64(frame) - i64(min(frame)), 0));",
                  lambda f, m: (f - f.min(axis=(1, 2), keepdims=True))[:, m].sum(axis=1), True),
    # A value reading a cached let made after the mask's.
    "weight": ("let w = y * 2 + x; a = sum(select(inside, i64(frame) * w, 0));",
               lambda f, m: (f * (Y * 2 + X))[:, m].sum(axis=1), True),
    # A coordinate in the value: never by runs.
    "coordinate": ("a = sum(select(inside, i64(frame) * x, 0));",
                   lambda f, m: (f * X)[:, m].sum(axis=1), False),
    # Two sums in one pass: never by runs (compile time).
    "two_sums": ("a = sum(select(inside, frame, 0)) + sum(select(inside, i64(frame) * 2, 0));",
                 lambda f, m: 3 * f[:, m].sum(axis=1), False),
}

with tempdir() as tmp:
    rng = np.random.default_rng(9)
    out = os.path.join(tmp, "out.h5")
    roi = np.ones(NAV, dtype=bool)
    roi[2, :3] = False
    roi[5:9, 7:30] = False
    roi_path = os.path.join(tmp, "roi.npy")
    np.save(roi_path, roi)
    for radius in (9, 40):  # 13 % of the pixels (by runs), all of them (every pixel)
        inside = (Y - 17) ** 2 + (X - 30) ** 2 <= radius * radius
        for name, (body, expected, by_runs) in CASES.items():
            src = write_udf(tmp, "%s_%d" % (name, radius), radius, body)
            ir = run("emit", "ir", src, "--dtype", "u16").stdout
            if ("for run" in ir) != by_runs:
                fail("%s: runs %s in the IR:\n%s" % (name, "missing" if by_runs else "used", ir))
            # The listing of the runs (count = 0, then a scan of the mask).
            listed = re.compile(r"\bruns\d+ = 0:i64")
            if bool(listed.search(ir)) != by_runs:
                fail("%s: runs %s:\n%s" % (name, "not listed" if by_runs else "listed unused", ir))
            # On f32 data: a float sum never, integer sums (a count, i64 values) as on u16.
            by_runs_f32 = by_runs and name != "disk"
            ir = run("emit", "ir", src, "--dtype", "f32").stdout
            if ("for run" in ir) != by_runs_f32 or bool(listed.search(ir)) != by_runs_f32:
                fail("%s: runs %s for f32 data" % (name, "missing" if by_runs_f32 else "used"))
            types = (("u8", 0, 256), ("u16", 60000, 65536), ("i16", -32768, 32768),
                     ("u32", 2**31, 2**32), ("i32", -2**31, 2**31))
            if SANITIZED:
                types = [t for t in types if t[0] in ("u16", "i32")]
            for dtype, lo, hi in types:
                data = rng.integers(lo, hi, size=NAV + SIG, dtype=dtype.replace("u", "uint")
                                    if dtype[0] == "u" else dtype.replace("i", "int"))
                path = os.path.join(tmp, "data.npy")
                np.save(path, data)
                frames = data.reshape((-1,) + SIG).astype(np.int64)
                for options in (["--partitions", "1"], ["--partitions", "5", "-j", "2"],
                                ["--roi", roi_path]):
                    run("run", src, "--data", path, "-o", out, *options)
                    got = read(out, "%s_%d" % (name, radius), "a").reshape(-1)
                    want = expected(frames, inside)
                    if "--roi" in options:
                        got, want = got[roi.reshape(-1)], want[roi.reshape(-1)]
                    check_equal(got, want.astype(np.int64),
                                "%s r=%d %s %s" % (name, radius, dtype, " ".join(options)))
