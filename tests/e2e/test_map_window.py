"""Frames read through mapped windows of the file (UDF_MAP_WINDOW_BYTES),
which start at an aligned offset before the first frame asked for: data sets
of several windows whose frames sit at offsets that are no multiple of a page
(a .npy header, Merlin frame headers, a frame size of 8400 bytes).
sumsig (every frame on its own), sum (every frame once) and pick against
numpy, with 1 and 2 threads, several partitions and a ROI that splits a
tile's frames into runs, with frames mapped and copied (UDF_READ, since the
read trial copies more than these data sets hold) and tiles that cross window
boundaries. A window moved for a tile's second run once unmapped its first
run's frames. Each data set is also read cold, dropped from the page cache
first, by the trial: a copying reader maps the windows that are not cached
yet."""
import os

import numpy as np

import mibgen
from udftest import check_equal, read, run, tempdir

NAV, SIG = (48, 80), (60, 70)


def drop_from_page_cache(path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def check(tmp, path, stack, extra, what):
    """stack: the frames (n, *SIG) in file order, n = prod(NAV)."""
    roi = np.zeros(NAV, bool)
    roi[3:41, 7:71] = True
    roi[20, :] = False
    np.save(os.path.join(tmp, "roi.npy"), roi)
    picked = [0, 1234, stack.shape[0] - 1]
    f = stack.astype(np.float64)
    cases = ((1, 3, (), False, "map"), (2, 7, (), False, "copy"),
             (2, 5, ("--roi", "roi.npy"), False, "map"), (2, 4, (), True, "trial"))
    for threads, partitions, roi_args, cold, way in cases:
        os.environ["UDF_READ"] = way
        if cold:
            drop_from_page_cache(path)
        mask = roi.reshape(-1) if roi_args else np.ones(f.shape[0], bool)
        want_sumsig = np.where(mask, f.sum(axis=(1, 2)), np.nan).reshape(NAV).astype(np.float32)
        want_sum = f[mask].sum(axis=0).astype(np.float32)
        out = os.path.join(tmp, "out.h5")
        run("run", "sumsig", "sum", "--data", path, *extra, *roi_args, "-j", threads,
            "--partitions", partitions, "-o", out, cwd=tmp)
        how = "%s, %d threads, %d partitions%s%s, UDF_READ=%s" % (
            what, threads, partitions, " and a ROI" if roi_args else "", ", cold" if cold else "",
            way)
        check_equal(read(out, "sumsig", "intensity"), want_sumsig, "sumsig " + how)
        check_equal(read(out, "sum", "intensity"), want_sum, "sum " + how)
    run("run", "pick", "--data", path, *extra, "--param", "indices=" + ",".join(map(str, picked)), "-j", 2,
        "-o", "pick.h5", cwd=tmp)
    check_equal(read(os.path.join(tmp, "pick.h5"), "pick", "intensity"), stack[picked],
                "pick " + what)


with tempdir() as tmp:
    rng = np.random.default_rng(11)
    n = int(np.prod(NAV))
    # Values below 1000: a frame's sum (4200 pixels) and a pixel's sum over
    # the frames (3840) stay f32 integers, so sums compare exactly.
    stack = rng.integers(0, 1000, size=(n,) + SIG, dtype=np.uint16)
    npy = os.path.join(tmp, "scan.npy")
    np.save(npy, stack.reshape(NAV + SIG))
    check(tmp, npy, stack, (), "u16 .npy")

    stack8 = rng.integers(0, 256, size=(n,) + SIG, dtype=np.uint8)
    mib = os.path.join(tmp, "scan.mib")
    mibgen.write_mib(mib, stack8, "U08", 6)
    check(tmp, mib, stack8, ("--nav", "%d,%d" % NAV), "U08 .mib")
