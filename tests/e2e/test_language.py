"""Language features beyond the standard library, end to end against numpy:
per-frame (nav) params from .npy and HDF5, if/else, Python-style integer
// and %, division by zero, saturating casts, scatter into a single buffer,
a user merge with extra dims, derived results, UDF.NAME params, and masks
of coordinates (kept per partition) beside masks of per-frame params; and
chains of 40 lets that each use the previous one twice, which the compiler
must follow in linear, not exponential, time; compound assignments with
float literals into integer buffers; gradient along a dim of size 1;
nav_size and sig_size in every body and in a param default, with a ROI, a
3-D scan and a reinterpreted one; expressions 2000 levels deep, and an error
(not a crash) past that; array params with defaults."""
import os
import subprocess

import h5py
import numpy as np

from udftest import UDFC, check_close, check_equal, fail, read, run, tempdir

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = os.path.join(HERE, "udfs", "features.udf")

rng = np.random.default_rng(11)
data = rng.integers(0, 10, size=(4, 5, 6, 7)).astype(np.uint8)
shift = rng.normal(size=(4, 5, 2)).astype(np.float32)
shift[0, 0] = (0.0, 0.0)

with tempdir() as tmp:
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    shift_npy = os.path.join(tmp, "shift.npy")
    np.save(shift_npy, shift)
    shift_h5 = os.path.join(tmp, "aux.h5")
    with h5py.File(shift_h5, "w") as f:
        f["/aux/shift"] = shift.reshape(20, 2)  # the flat nav size works too

    frames = data.reshape(20, -1).astype(np.int64)
    total = frames.sum(axis=1)
    for spec in ("@" + shift_npy, "@" + shift_h5 + ":/aux/shift"):
        out = os.path.join(tmp, "out.h5")
        run("run", FEATURES, "--data", path, "-o", out, "-j", "2",
            "--param", "shift=" + spec, "--param", "perframe.divisor=-3")
        s = shift.reshape(20, 2).astype(np.float64)
        want = (total + s[:, 0].astype(np.float32) * 10 - s[:, 1].astype(np.float32))
        check_close(read(out, "perframe", "shifted").ravel(), want.astype(np.float64),
                    "shifted", rtol=1e-6)
        check_equal(read(out, "perframe", "floordiv").ravel(), (total - 5000) // -3, "//")
        check_equal(read(out, "perframe", "modulo").ravel(), (total - 5000) % -3, "%")
        check_equal(read(out, "perframe", "by_zero").ravel(), np.zeros(20, np.int64), "// 0")
        branch = np.where(s[:, 0] > 0, 1, np.where(s[:, 1] > 0, 2, 3)).astype(np.int32)
        check_equal(read(out, "perframe", "branch").ravel(), branch, "if/else")
        y, x = np.mgrid[0:6, 0:7]
        fixed = (y * 7 + x > 25).ravel()
        check_equal(read(out, "masked", "fixed_sum").ravel(), (frames * fixed).sum(axis=1),
                    "mask of coordinates")
        moving = x.ravel()[None, :] + s[:, 1:2].astype(np.float32).astype(np.float64) * 3 > 2.5
        check_equal(read(out, "masked", "moving_sum").ravel(), (frames * moving).sum(axis=1),
                    "mask of a per-frame param")

    hist = np.bincount((frames % 8).ravel(), minlength=8).astype(np.int64)
    check_equal(read(out, "casts", "histogram"), hist, "scatter into single")
    check_equal(read(out, "casts", "saturated").ravel(),
                np.minimum(frames.max(axis=1) * 1000, 255).astype(np.uint8), "saturation")
    check_equal(read(out, "casts", "from_nan"), np.zeros((4, 5), np.int16), "NaN to int")
    check_equal(read(out, "casts", "counted").ravel(), (frames > 3).sum(axis=1) + 2, "count")

    lo = data.reshape(20, 6, 7).min(axis=0).astype(np.float64)
    hi = data.reshape(20, 6, 7).max(axis=0).astype(np.float64)
    check_equal(read(out, "extremes", "lo_hi"), np.stack([lo, hi], axis=-1), "user merge")
    check_equal(read(out, "extremes", "spread"), hi - lo, "derived sig")
    check_equal(read(out, "extremes", "widest"), np.float64((hi - lo).max()), "derived single")

    # Pixel lets p1..p40 and per-frame lets q1..q40, each the previous one
    # (as p + p - p); sum() and the sig sum read them through the whole chain.
    lines = ["udf chain {", "nav f32 total;", "sig f32 acc;", "sig f32 both[2];", "sig f32 some;",
             "frame {", "let p0 = float(frame);"]
    lines += ["let p%d = p%d + p%d - p%d;" % (i, i - 1, i - 1, i - 1) for i in range(1, 41)]
    lines += ["let q0 = sum(p40);"]
    lines += ["let q%d = q%d + q%d - q%d;" % (i, i - 1, i - 1, i - 1) for i in range(1, 41)]
    lines += ["total = q40;", "acc += p40;", "both[k] += p40;", "if (q40 > 180) { some += p40; }",
              "}", "}"]
    chain = os.path.join(tmp, "chain.udf")
    with open(chain, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = os.path.join(tmp, "chain.h5")
    try:
        p = subprocess.run([UDFC, "run", chain, "--data", path, "-o", out], capture_output=True,
                           text=True, timeout=60)
    except subprocess.TimeoutExpired:
        fail("a chain of 40 lets did not compile and run within 60 s")
    if p.returncode != 0:
        fail("chain.udf: %s" % p.stderr)
    check_equal(read(out, "chain", "total").ravel(), total.astype(np.float32), "let chain: total")
    sums = data.reshape(20, 6, 7).sum(axis=0).astype(np.float32)
    check_equal(read(out, "chain", "acc"), sums, "let chain: acc")
    check_equal(read(out, "chain", "both"), np.stack([sums, sums], axis=-1), "let chain: both[k]")
    some = data.reshape(20, 6, 7)[total > 180].sum(axis=0).astype(np.float32)
    check_equal(read(out, "chain", "some"), some, "let chain: inside if")

    # Result-body reductions over scan positions of values that themselves
    # reduce a sig let (a param product, a gradient): the sig lets are
    # computed in their own passes, not in the loop over positions.
    nested = os.path.join(tmp, "nested.udf")
    with open(nested, "w") as f:
        f.write("""udf nested {
    param sig f32 w;
    sig f32 acc;
    nav f32 out;
    frame { acc += frame; out = sum(frame); }
    result {
        let s = acc * w;
        let g = gradient(acc, 0);
        single f32 r = sum(out * max(s));
        single f32 q = sum(out * sum(g));
    }
}
""")
    w = rng.random((6, 7)).astype(np.float32)
    w_path = os.path.join(tmp, "w.npy")
    np.save(w_path, w)
    run("run", nested, "--data", path, "-o", out, "--param", "w=@" + w_path)
    acc = data.reshape(20, 6, 7).sum(axis=0).astype(np.float32)
    out_f = total.astype(np.float32)
    check_close(read(out, "nested", "r"), np.float32((out_f * (acc * w).max()).sum()), "nested max",
                rtol=1e-6)
    check_close(read(out, "nested", "q"), np.float32((out_f * np.gradient(acc, axis=0).sum()).sum()),
                "nested gradient", rtol=1e-6)

    # A let keeps the value it had where it was defined, also when an `if`
    # body changes the buffer it reads before using it.
    before = os.path.join(tmp, "before.udf")
    with open(before, "w") as f:
        f.write("""udf before {
    sig f32 acc;
    nav f32 seen;
    frame {
        let old = acc * 1;
        if index >= 0 { acc += frame; seen = sum(old); }
    }
}
""")
    run("run", before, "--data", path, "-o", out, "-j", 1, "--partitions", 1)
    flat = data.reshape(20, -1).astype(np.float32)
    seen = np.concatenate([[0], np.cumsum(flat.sum(axis=1))[:-1]]).astype(np.float32)
    check_equal(read(out, "before", "seen").ravel(), seen, "let before an if that changes its buffer")

    # The same for a scatter that changes, pixel by pixel, the buffer a let
    # it reads depends on; and a let that indexes gradient's argument is
    # computed at the neighbouring pixels gradient reads, not taken from here.
    moving = os.path.join(tmp, "moving.udf")
    with open(moving, "w") as f:
        f.write("""udf scatter {
    nav f32 n[2];
    frame {
        let d = f32(frame) * 0.0 + n[0];
        n[i64(frame) % 2] += d + 1.0;
    }
}
udf neighbours {
    sig f32 acc[2];
    frame {
        acc[0] += f32(frame);
        acc[1] += f32(frame) * 3.0;
    }
    result {
        let idx = i64(acc[0]) % 2;
        sig f32 g = gradient(acc[idx], 1) + f32(idx);
    }
}
""")
    run("run", moving, "--data", path, "-o", out)
    parity = data.reshape(4, 5, -1).astype(np.int64) % 2
    counts = np.stack([(parity == 0).sum(-1), (parity == 1).sum(-1)], -1).astype(np.float32)
    check_equal(read(out, "scatter", "n"), counts, "let read by a scatter into its buffer")
    a0 = data.astype(np.float32).sum((0, 1))
    both = np.stack([a0, (data.astype(np.float32) * 3).sum((0, 1))], -1)
    idx = a0.astype(np.int64) % 2
    picked = np.take_along_axis(both, idx[..., None], -1)[..., 0]
    check_close(read(out, "neighbours", "g"), np.gradient(picked, axis=1) + idx.astype(np.float32),
                "gradient of a let-indexed buffer", rtol=1e-6)

    # b op= v is b = b op v: a float literal into an integer buffer computes
    # in float and truncates once (it is not itself truncated to 1 or 0).
    compound = os.path.join(tmp, "compound.udf")
    with open(compound, "w") as f:
        f.write("""udf compound {
    nav i32 times;
    nav i32 minus;
    nav i32 divided;
    nav i32 spelled_out;
    frame {
        let t = sum(i32(frame));
        times = t;
        times *= 1.5;
        minus = t;
        minus -= 0.5;
        divided = -t;
        divided /= 4;
        spelled_out = t;
        spelled_out = spelled_out * 1.5;
    }
}
""")
    run("run", compound, "--data", path, "-o", out)
    check_equal(read(out, "compound", "times").ravel(), np.trunc(total * 1.5).astype(np.int32),
                "i32 *= 1.5")
    check_equal(read(out, "compound", "minus").ravel(), np.trunc(total - 0.5).astype(np.int32),
                "i32 -= 0.5")
    check_equal(read(out, "compound", "divided").ravel(), np.trunc(-total / 4).astype(np.int32),
                "i32 /= 4")
    check_equal(read(out, "compound", "spelled_out").ravel(), read(out, "compound", "times").ravel(),
                "b *= 1.5 as b = b * 1.5")

    # gradient along a dim of size 1 is 0, also at NaN and infinite values.
    flat_udf = os.path.join(tmp, "flat.udf")
    with open(flat_udf, "w") as f:
        f.write("""udf flat {
    sig f32 acc;
    frame { acc += f32(frame) / 0.0; }
    result {
        sig f32 across = gradient(acc, 0);
        sig f32 along = gradient(acc, 1);
    }
}
""")
    flat_data = os.path.join(tmp, "flat.npy")
    np.save(flat_data, np.arange(8).reshape(2, 1, 1, 4).astype(np.uint8))
    run("run", flat_udf, "--data", flat_data, "-o", out)
    acc = np.array([[np.nan, np.inf, np.inf, np.inf]], np.float32)
    check_equal(read(out, "flat", "across"), np.zeros((1, 4), np.float32),
                "gradient along a dim of size 1")
    with np.errstate(invalid="ignore"):
        check_equal(read(out, "flat", "along"), np.gradient(acc, axis=1),
                    "gradient of NaN and inf")
    # nav_size and sig_size: the products of the scan's and the detector's
    # dims, whatever the ROI; a let of the same name hides them.
    sizes = os.path.join(tmp, "sizes.udf")
    with open(sizes, "w") as f:
        f.write("""udf sizes {
    param i64 half = (nav_size + sig_size) // 2;
    nav i64 per_frame[2];
    single i64 seen[4];
    frame {
        per_frame[0] = nav_size * 1000 + sig_size;
        per_frame[1] = index - nav_size;
    }
    merge(a, b) {
        seen[0] = max(a.seen[0], b.seen[0]);
    }
    result {
        seen[0] = nav_size;
        seen[1] = sig_size;
        seen[2] = half;
        let sig_size = 5;
        seen[3] = sig_size;
    }
}
""")
    roi = np.zeros((4, 5), bool)
    roi[1:3, 2:5] = True
    roi_path = os.path.join(tmp, "roi.npy")
    np.save(roi_path, roi)
    deep = os.path.join(tmp, "deep.npy")
    np.save(deep, data.reshape(2, 2, 5, 6, 7))
    for label, spec, args, nav in (("2-D", path, ["--roi", roi_path], (4, 5)),
                                   ("3-D", deep, [], (2, 2, 5)),
                                   ("--nav", path, ["--nav", "2,10"], (2, 10))):
        run("run", sizes, "--data", spec, "-o", out, "-j", "2", *args)
        n, px = int(np.prod(nav)), 42
        check_equal(read(out, "sizes", "seen"), np.array([n, px, (n + px) // 2, 5], np.int64),
                    "nav_size, sig_size, a default of them, a let hiding one (%s)" % label)
        got = read(out, "sizes", "per_frame").reshape(n, 2)
        ran = roi.ravel() if label == "2-D" else np.ones(n, bool)
        check_equal(got[ran, 0], np.full(ran.sum(), n * 1000 + px), "in the frame body (%s)" % label)
        check_equal(got[ran, 1], np.arange(n)[ran] - n, "beside index (%s)" % label)
        check_equal(got[~ran], np.zeros(((~ran).sum(), 2), np.int64), "outside the ROI")
    # Array params with a default (SPEC §2.1): one number fills every element
    # when no array is given; a given one (file or list) replaces it. Dims
    # from numbers, the frame's shape, or an earlier array param.
    defaults = os.path.join(tmp, "defaults.udf")
    with open(defaults, "w") as f:
        f.write("""udf defaults {
    param sig f32 masks[n];
    param f32 scale[n] = 0.5 + f32(sig_shape[0]);
    param i64 offsets[3] = -2;
    param f64 grid[sig_shape[0], 2] = nav_size;
    nav f64 weighted[n];
    nav i64 offset[3];
    single f64 corners[2];
    frame {
        weighted[k] = f64(sum(f32(frame) * masks[k]) * scale[k]);
        offset[j] = offsets[j] + index;
    }
    result { corners[0] = grid[0, 0]; corners[1] = grid[5, 1]; }
}
""")
    masks = rng.random((2, 6, 7)).astype(np.float32)
    masks_path = os.path.join(tmp, "masks.npy")
    np.save(masks_path, masks)
    frames32 = data.reshape(20, 6, 7).astype(np.float32)
    dot = (frames32[:, None] * masks[None]).sum(axis=(2, 3), dtype=np.float64)
    for label, extra, scale, offsets in (
            ("defaults", [], np.float32(6.5), np.array([-2, -2, -2])),
            ("given", ["--param", "scale=1.5,2", "--param", "offsets=@" + os.path.join(tmp, "o.npy")],
             np.array([1.5, 2], np.float32), np.array([7, 8, 9]))):
        np.save(os.path.join(tmp, "o.npy"), np.array([7, 8, 9], np.int64))
        run("run", defaults, "--data", path, "--param", "masks=@" + masks_path, "-o", out, *extra)
        check_close(read(out, "defaults", "weighted").reshape(20, 2),
                    (dot.astype(np.float32) * scale).astype(np.float64), "array default: " + label,
                    rtol=1e-5)
        check_equal(read(out, "defaults", "offset").reshape(20, 3),
                    offsets[None, :] + np.arange(20)[:, None], "integer array default: " + label)
        check_equal(read(out, "defaults", "corners"), np.array([20.0, 20.0]),
                    "2-D array default of the frame's shape")
    np.save(masks_path, np.zeros((0, 6, 7), np.float32))  # n = 0: an empty default
    run("run", defaults, "--data", path, "--param", "masks=@" + masks_path, "-o", out)
    if read(out, "defaults", "weighted").shape != (4, 5, 0):
        fail("an array default with a dim of 0")

    # Expressions nest up to 2000 levels (what the compiler's recursion
    # allows with room to spare); deeper ones are a source error, not a crash.
    deep = os.path.join(tmp, "deep.udf")
    with open(deep, "w") as f:
        f.write("udf deep { nav f32 o; sig f32 s; frame { o = sum(%s); s += %sf32(frame)%s; } }\n"
                % ("+".join(["f32(frame)"] * 1997), "abs(" * 1997, ")" * 1997))
    run("run", deep, "--data", path, "-o", out)
    flat32 = data.reshape(20, -1).astype(np.float32)
    check_equal(read(out, "deep", "o").ravel(), flat32.sum(axis=1) * 1997, "1999 levels of +")
    check_equal(read(out, "deep", "s"), data.reshape(20, 6, 7).sum(axis=0).astype(np.float32),
                "2000 levels of calls")
    with open(deep, "w") as f:
        f.write("udf deep { nav f32 o; frame { o = %s; } }\n" % "+".join(["1"] * 30000))
    p = subprocess.run([UDFC, "check", deep], capture_output=True, text=True)
    if p.returncode != 1 or "deep.udf:1:35: error: expression nested more than 2000 levels deep" \
            not in p.stderr:
        fail("30000 additions: want exit 1 and the nesting error, got %d: %s"
             % (p.returncode, p.stderr[:300]))
print("ok")
