"""--sync-offset and --nav with LiberTEM's meaning, against numpy: nav
position i shows stored frame i + offset, so a positive offset skips frames
at the start and a negative one inserts positions without a frame; a nav grid
smaller than the file leaves frames unread, a larger one has positions
without a frame. Positions without a frame are not processed: their nav
results are NaN (floats) or 0 (integers). Mismatches that --sync-offset did
not ask for get a warning."""
import os

import numpy as np

from udftest import check_equal, fail, random_data, read, run, tempdir

VISITS = """
udf visits {
    nav i32 where;
    single i64 frames;
    frame {
        where = index + 1;
        frames += 1;
    }
}
"""

stored_nav, sig = (7, 9), (5, 4)
data = random_data("u16", stored_nav + sig, seed=11)
frames = data.reshape((-1,) + sig)


def reference(nav, offset):
    n = int(np.prod(nav))
    shown = np.arange(n) + offset
    has = (shown >= 0) & (shown < len(frames))
    sumsig = np.full(n, np.nan, dtype=np.float32)
    sumsig[has] = frames[shown[has]].sum(axis=(1, 2), dtype=np.float64)
    total = frames[shown[has]].sum(axis=0, dtype=np.float64).astype(np.float32)
    where = np.where(has, np.arange(1, n + 1), 0).astype(np.int32)
    return {("sumsig", "intensity"): sumsig.reshape(nav), ("sum", "intensity"): total,
            ("visits", "where"): where.reshape(nav), ("visits", "frames"): np.int64(has.sum())}


def expected_warning(nav, offset):
    """The warning when file and grid differ in size, counted with numpy."""
    n = int(np.prod(nav))
    if n == len(frames):
        return None
    shown = np.arange(n) + offset
    has = (shown >= 0) & (shown < len(frames))
    text = "holds %d frames, but the nav grid has %d positions" % (len(frames), n)
    if len(frames) - has.sum():
        text += "; %d frames are not read" % (len(frames) - has.sum())
    if n - has.sum():
        text += "; %d positions have no frame" % (n - has.sum())
    return text


def check(tmp, data_args, nav, offset):
    out = os.path.join(tmp, "out.h5")
    args = ["run", "sumsig", "sum", os.path.join(tmp, "visits.udf"), *data_args, "-o", out,
            "--partitions", 3]
    if offset:
        args += ["--sync-offset", offset]
    p = run(*args)
    what = " ".join(map(str, data_args)) + " --sync-offset %d" % offset
    for (udf, buf), want in reference(nav, offset).items():
        check_equal(read(out, udf, buf), want, "%s/%s with %s" % (udf, buf, what))
    got = [l for l in p.stderr.splitlines() if l.startswith("udfc: warning:")]
    want = expected_warning(nav, offset)
    if (want is None and got) or (want and (len(got) != 1 or want not in got[0])):
        fail("%s: expected the warning %r, got:\n%s" % (what, want, p.stderr))


with tempdir() as tmp:
    npy = os.path.join(tmp, "data.npy")
    np.save(npy, data)
    raw = os.path.join(tmp, "data.raw")
    data.tofile(raw)
    with open(os.path.join(tmp, "visits.udf"), "w") as f:
        f.write(VISITS)

    for offset in (0, 5, -4, 62, -62):
        check(tmp, ["--data", npy], stored_nav, offset)
    # Smaller, larger and differently shaped nav grids, with offsets of both signs.
    for offset in (0, 3, -10, 40, -24):
        check(tmp, ["--data", npy, "--nav", "5,5"], (5, 5), offset)
    for offset in (0, 4, -2, -62):
        check(tmp, ["--data", npy, "--nav", "8,9"], (8, 9), offset)
    check(tmp, ["--data", npy, "--nav", "63"], (63,), -1)
    check(tmp, ["--data", npy, "--nav", "3,3,7"], (3, 3, 7), 1)
    # Raw files: --nav is their layout; extra frames in the file are allowed.
    raw_args = ["--data", raw, "--dtype", "u16", "--sig", "5,4"]
    check(tmp, raw_args + ["--nav", "7,9"], stored_nav, -3)
    check(tmp, raw_args + ["--nav", "6,9"], (6, 9), 4)
    check(tmp, raw_args + ["--nav", "8,9"], (8, 9), 0)

    # The demo data set shifts the same way.
    a, b = os.path.join(tmp, "a.h5"), os.path.join(tmp, "b.h5")
    run("run", "sumsig", "--data", "demo:6,8,16,16", "-o", a)
    run("run", "sumsig", "--data", "demo:6,8,16,16", "--sync-offset", 5, "-o", b)
    plain, shifted = read(a, "sumsig", "intensity").ravel(), read(b, "sumsig", "intensity").ravel()
    check_equal(shifted[:-5], plain[5:], "demo with --sync-offset 5")
    if not np.isnan(shifted[-5:]).all():
        fail("demo with --sync-offset 5: the last 5 positions should be NaN")
print("ok")
