"""Corrections fused into the kernels' frame loads (`udfc run` with --dark
and/or --gain) against the same corrections applied to whole frames before
the kernels run (`udfrun` with a --cpu native build of the same udfs without
--corrections): bit-identical for every stdlib udf and a probe of
coordinates, lets and reductions, on every stored type with its float type
(u8, i16, u16, f32 -> f32; i32, u32, f64 -> f64; u16, f32 and i32 in a
sanitizer build, udftest.SANITIZED), with each set of planes,
ROI and several partitions. `udfrun` with a build that has fused kernels
(`udfc build --corrections`) for u16 and i32 gives the same bits, and for
planes it has no kernels for names what it has. The stats say which way
each run went; with --exclude, `udfc run` corrects whole frames. Anchored to
numpy: sum and the probe's per-frame sums of the fused run against numpy's
corrected frames."""
import os
import re

import numpy as np

from udftest import (SANITIZED, check_close, check_equal, fail, random_data, read, run, tempdir,
                     udfrun)

STDLIB = ["sum", "sumsig", "max", "logsum", "stddev", "masks", "disk", "ring", "com",
          "radial_profile", "fem", "pick"]

PROBE = """
udf probe {
    sig f64 weighted;
    sig f64 bright;
    nav f64 total;
    nav f64 spread;
    nav f64 corner;
    frame[y, x] {
        let v = frame * 2 - 1;
        weighted += select(y > x, frame, 0) * f64(x + 1);
        bright += select(v > mean(v), 1, 0);
        total = sum(f64(frame));
        spread = max(frame) - min(frame);
        corner = sum(select(y == 0 && x == 0, frame, 0));
    }
}
"""

FUSED = "corrections in the kernels' loads"


def compare_files(a, b, what):
    import h5py
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        if sorted(fa) != sorted(fb):
            fail("%s: udfs differ: %s vs %s" % (what, sorted(fa), sorted(fb)))
        for udf in fa:
            for buf in fa[udf]:
                check_equal(fa[udf][buf][()], fb[udf][buf][()], "%s %s/%s" % (what, udf, buf))


def stats_says(p, fused, what):
    corrections = re.search(r"stats: read [^,]*, ([^,]*),", p.stderr)
    if not corrections:
        fail("%s: no corrections in the stats:\n%s" % (what, p.stderr))
    if (corrections.group(1) == FUSED) != fused:
        fail("%s: stats say '%s', expected %s" % (what, corrections.group(1),
                                                  "fused" if fused else "a separate pass"))


def corrected(data, dark, gain, t):
    sig = data.shape[-2:]
    dark = np.zeros(sig) if dark is None else dark
    gain = np.ones(sig) if gain is None else gain
    return (data.astype(t) - dark.astype(t)) * gain.astype(t)


with tempdir() as tmp:
    probe = os.path.join(tmp, "probe.udf")
    with open(probe, "w") as f:
        f.write(PROBE)
    sig = (14, 12)
    rng = np.random.default_rng(5)
    masks = os.path.join(tmp, "masks.npy")
    np.save(masks, rng.random((3,) + sig).astype(np.float32))
    params = ["--param", "masks=@" + masks, "--param", "indices=0,7,29"]
    planes = {}
    for name, values in (("dark", rng.normal(20, 5, size=sig)),
                         ("gain", rng.normal(1, 0.1, size=sig).astype(np.float32))):
        planes[name] = values
        np.save(os.path.join(tmp, name + ".npy"), values)
    module = os.path.join(tmp, "kernels.so")
    run("build", *STDLIB, probe, "-o", module, "--dtype", "f32,f64", "--cpu", "native")
    fused_module = os.path.join(tmp, "fused.so")
    header = os.path.join(tmp, "fused.h")
    run("build", *STDLIB, probe, "-o", fused_module, "--dtype", "u16,i32", "--cpu", "native",
        "--corrections", "dark+gain,gain", "--header", header)
    if "frames of type u16 i32 u16+dark+gain u16+gain i32+dark+gain i32+gain;" not in \
            open(header).read():
        fail("the header does not list the fused kernels:\n" + open(header).read()[:400])

    for dtype in ("u16", "f32", "i32") if SANITIZED else ("u8", "i16", "u16", "f32", "i32", "u32",
                                                          "f64"):
        data = random_data(dtype, (5, 6) + sig, seed=len(dtype) + ord(dtype[0]))
        if dtype in ("i32", "u32"):
            data = data // 4096  # keeps f64 sums of squares exact enough to compare
        path = os.path.join(tmp, dtype + ".npy")
        np.save(path, data)
        t = np.float32 if data.dtype.itemsize <= 2 or data.dtype == np.float32 else np.float64
        for given in (["dark"], ["gain"], ["dark", "gain"]):
            options = []
            for name in given:
                options += ["--" + name, os.path.join(tmp, name + ".npy")]
            for extra in ([], ["--partitions", 4, "--roi", "1:5,0:4"]):
                what = "%s data with %s %s" % (dtype, "+".join(given), " ".join(map(str, extra)))
                fused = os.path.join(tmp, "fused.h5")
                p = run("run", *STDLIB, probe, "--data", path, "-o", fused, "--stats",
                        *params, *options, *extra)
                stats_says(p, True, "udfc run, " + what)
                apart = os.path.join(tmp, "apart.h5")
                p = udfrun(module, "--data", path, "-o", apart, "--stats", *params, *options,
                           *extra)
                stats_says(p, False, "udfrun, " + what)
                compare_files(fused, apart, what)
                built = os.path.join(tmp, "built.h5")
                if dtype in ("u16", "i32") and given != ["dark"]:
                    p = udfrun(fused_module, "--data", path, "-o", built, "--stats", *params,
                               *options, *extra)
                    stats_says(p, True, "udfrun --corrections, " + what)
                    compare_files(built, fused, "built --corrections, " + what)
                elif dtype == "u16":  # no kernel for these planes, nor for f32 frames
                    p = udfrun(fused_module, "--data", path, "-o", built, *params, *options,
                               *extra, expect=3)
                    if "built for u16 i32 u16+dark+gain u16+gain" not in p.stderr:
                        fail("udfrun of a build without kernels for --dark:\n" + p.stderr)
                if extra:
                    continue
                want = corrected(data, planes.get("dark") if "dark" in given else None,
                                 planes.get("gain") if "gain" in given else None, t)
                frames = want.reshape(-1, sig[0] * sig[1]).astype(np.float64)
                check_close(read(fused, "probe", "total").ravel(), frames.sum(axis=1),
                            "frame sums, " + what, rtol=1e-6)
                # sum adds in f32 for f32 frames: rounding relative to Σ|x|.
                scale = float(np.abs(want.astype(np.float64)).sum(axis=(0, 1)).max())
                check_close(read(fused, "sum", "intensity").astype(np.float64),
                            want.astype(np.float64).sum(axis=(0, 1)), "sum, " + what,
                            rtol=0, atol=1e-6 * scale)

    # Excluded pixels need whole corrected frames: udfc run does not fuse.
    excluded = np.zeros(sig, dtype=bool)
    excluded[3, 4] = excluded[0, 0] = True
    np.save(os.path.join(tmp, "excluded.npy"), excluded)
    path = os.path.join(tmp, "u16.npy")
    options = ["--dark", os.path.join(tmp, "dark.npy"), "--exclude",
               os.path.join(tmp, "excluded.npy")]
    fused = os.path.join(tmp, "fused.h5")
    p = run("run", *STDLIB, probe, "--data", path, "-o", fused, "--stats", *params, *options)
    stats_says(p, False, "udfc run with --exclude")
    apart = os.path.join(tmp, "apart.h5")
    udfrun(module, "--data", path, "-o", apart, *params, *options)
    compare_files(fused, apart, "u16 data with --dark --exclude")
print("ok")
