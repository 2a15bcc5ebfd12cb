"""Split bodies (compiler/lower_split.c): scalar statements and `if`
conditions run frame by frame, elementwise statements four frames at a time,
or frame by frame in a group where an `if` with elementwise statements holds
(and then also where frames are missing) (udfs/split.udf). Each UDF runs against a frame-by-frame simulation in
numpy: one partition (in order, so counters and flushes are checked) with
and without a ROI, on 21 small frames (one tile, a short last group) and
156 larger ones (two tiles); conditions that always, sometimes and never
hold; several partitions for the results that do not depend on them; and
float data. The IR must split exactly the bodies that can be, and keep the
jammed path beside the frame-by-frame one; each refused body gives wrong
results if split."""
import os
import re

import numpy as np

from udftest import check_close, check_equal, fail, read, run, tempdir

HERE = os.path.dirname(os.path.abspath(__file__))
SPLIT = os.path.join(HERE, "udfs", "split.udf")


def tile_of(ir, udf):
    """The tile's loop IR, with its pieces (compiler/lir_outline.h)."""
    start = ir.index("tile udf_%s__" % udf)
    end = ir.index("\n}\n", start)
    while ir.startswith("\npiece udf_%s__" % udf, end + 2):
        end = ir.index("\n}\n", end + 2)
    return ir[start:end]


def flush(frames, every):
    hist = np.zeros(frames.shape[1:], np.int64)
    pending = np.zeros_like(hist)
    count, flushed = 0, []
    for f in frames:
        pending += f + int(f.sum()) % 5
        count += 1
        if count == every:
            hist = hist * 3 + pending
            pending[:] = 0
            count = 0
        flushed.append(1 if count == 0 else 2)
    return hist, np.array(flushed, np.int64)


def branchy(frames, threshold):
    bright = np.zeros(frames.shape[1:], np.int64)
    dim = np.zeros_like(bright)
    n_bright = 0
    for f in frames:
        s = int(f.sum())
        if s > threshold:
            bright += f + (2 * s) % 7
            n_bright += 1
        else:
            dim += 2 * f
    return bright, dim, n_bright


def navread(frames):
    acc = np.zeros(frames.shape[1:], np.float64)
    w = []
    for k, f in enumerate(frames, 1):
        w.append(float(f.max()) / 1000)
        acc = acc + (f * w[-1] + float(k))
    return acc, np.array(w)


def misread(frames):
    k = np.arange(1, len(frames) + 1)[:, None, None]
    return (frames * k).sum(axis=0), frames.sum(axis=0)


def pixel_let_if(frames, threshold):
    acc = np.zeros(frames.shape[1:], np.int64)
    other = np.zeros_like(acc)
    for f in frames:
        d = acc + f
        if int(f.sum()) > threshold:
            acc += 1
        other += d
    return acc, other


# Split with an if that sends groups frame by frame (both paths in the IR:
# the jammed one updates each buffer from four frame pointers), split
# without one, and refused (frame by frame, no groups).
ir = run("emit", "ir", SPLIT, "--dtype", "u16").stdout
for udf, kind in (("flush", "if"), ("branchy", "if"), ("fflush", "if"), ("navread", "jammed"),
                  ("scalar_if", "jammed"), ("misread_single", None), ("misread_nav", None),
                  ("reduce_in_if", None), ("pixel_let_if", None), ("nested_if", None)):
    tile = tile_of(ir, udf)
    jammed = len(set(re.findall(r"store\.[^\n]*?(frame\d+)\[p", tile))) >= 4
    got = ("if" if jammed and "frame_in_group" in tile else
           "jammed" if jammed and "for group" in tile else None if "for group" not in tile
           else "other")
    if got != kind:
        fail("%s: %s in the IR, expected %s:\n%s" % (udf, got, kind, tile))

with tempdir() as tmp:
    rng = np.random.default_rng(17)
    out = os.path.join(tmp, "out.h5")
    for nav, sig in (((3, 7), (5, 6)), ((12, 13), (64, 64))):
        data = rng.integers(0, 1000, size=nav + sig).astype(np.uint16)
        path = os.path.join(tmp, "data.npy")
        np.save(path, data)
        frames = data.reshape((-1,) + sig).astype(np.int64)
        sums = frames.sum(axis=(1, 2))
        roi = rng.random(nav) < 0.7
        roi_path = os.path.join(tmp, "roi.npy")
        np.save(roi_path, roi)
        flat_roi = roi.reshape(-1)
        for options, taken in (([], np.ones(len(frames), bool)), (["--roi", roi_path], flat_roi)):
            what = " %s %s" % (nav, " ".join(options[:1]))
            chosen = frames[taken]
            for every in (1, 3, 4, 1000):
                run("run", SPLIT, "--data", path, "-o", out, "--partitions", "1", "-j", "2",
                    "--param", "flush.every=%d" % every, "--param", "fflush.every=%d" % every,
                    *options)
                hist, flushed = flush(chosen, every)
                check_equal(read(out, "flush", "hist"), hist, "flush hist every %d" % every + what)
                check_equal(read(out, "flush", "flushed").reshape(-1)[taken], flushed,
                            "flush flushed every %d" % every + what)
                check_close(read(out, "fflush", "total"), chosen.sum(axis=0).astype(np.float64),
                            "fflush every %d" % every + what, rtol=1e-12)
            check_equal(read(out, "nested_if", "acc"), chosen[3::4].sum(axis=0), "nested_if" + what)
            check_equal(read(out, "scalar_if", "acc"), chosen.sum(axis=0), "scalar_if acc" + what)
            check_equal(read(out, "scalar_if", "flips"), np.int64(len(chosen) // 3),
                        "scalar_if flips" + what)
            acc, w = navread(chosen)
            check_close(read(out, "navread", "acc"), acc, "navread acc" + what, rtol=1e-12)
            check_equal(read(out, "navread", "w").reshape(-1)[taken], w, "navread w" + what)
            weighted, plain = misread(chosen)
            check_equal(read(out, "misread_single", "acc"), weighted, "misread_single" + what)
            check_equal(read(out, "misread_nav", "acc"), plain, "misread_nav" + what)
            for threshold in (-1, int(np.median(sums)), int(sums.max())):
                for partitions in ("1", "4"):
                    run("run", SPLIT, "--data", path, "-o", out, "--partitions", partitions,
                        "-j", "2", "--param", "branchy.threshold=%d" % threshold,
                        "--param", "reduce_in_if.threshold=%d" % threshold,
                        "--param", "pixel_let_if.threshold=%d" % threshold, *options)
                    bright, dim, n_bright = branchy(chosen, threshold)
                    case = "threshold %d, %s partitions" % (threshold, partitions) + what
                    check_equal(read(out, "branchy", "bright"), bright, "bright " + case)
                    check_equal(read(out, "branchy", "dim"), dim, "dim " + case)
                    check_equal(read(out, "branchy", "n_bright"), np.int64(n_bright),
                                "n_bright " + case)
                    if partitions == "1":
                        acc, other = pixel_let_if(chosen, threshold)
                        check_equal(read(out, "pixel_let_if", "acc"), acc, "pixel_let_if " + case)
                        check_equal(read(out, "pixel_let_if", "other"), other,
                                    "pixel_let_if other " + case)
                        continue
                    picked = np.where(chosen.sum(axis=(1, 2)) > threshold,
                                      chosen.max(axis=(1, 2)), 0)
                    check_equal(read(out, "reduce_in_if", "picked").reshape(-1)[taken], picked,
                                "reduce_in_if picked " + case)
                    check_equal(read(out, "reduce_in_if", "acc"), chosen.sum(axis=0),
                                "reduce_in_if acc " + case)
    # Float data: a split body of float values, within float rounding of numpy.
    data = rng.normal(500, 100, size=(12, 13, 64, 64)).astype(np.float32)
    np.save(path, data)
    acc, w = navread(data.reshape(-1, 64, 64).astype(np.float64))
    run("run", SPLIT, "--data", path, "-o", out, "--partitions", "1")
    check_close(read(out, "fflush", "total"), data.reshape(-1, 64, 64).astype(np.float64).sum(axis=0),
                "fflush f32", rtol=1e-12)
    check_close(read(out, "navread", "acc"), acc, "navread acc f32", rtol=1e-6)
    check_close(read(out, "navread", "w").reshape(-1), w, "navread w f32", rtol=1e-6)
print("ok")
