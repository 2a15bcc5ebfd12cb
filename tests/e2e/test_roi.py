"""Regions of interest against numpy: --roi as a nav-shaped bool .npy or HDF5
dataset, as a flat array of another dtype, and as START:STOP ranges; with 1, 2 and 7
partitions and 1 or 2 threads. Unselected positions hold NaN (float nav
results) or 0 (integer ones), sig and single results reduce over the selected
frames only, only selected frames are read, and an empty ROI gives zero sums."""
import os
import re

import h5py
import numpy as np

from udftest import check_equal, fail, random_data, read, run, tempdir

VISITS = """
udf visits {
    nav i32 where;
    single i64 frames;
    sig f64 total;
    frame {
        where = index + 1;
        frames += 1;
        total += frame;
    }
}
"""

nav, sig = (9, 11), (6, 5)
data = random_data("u16", nav + sig, seed=3)
rng = np.random.default_rng(5)


def expected(roi):
    """numpy's answer for a bool ROI of nav shape."""
    sumsig = np.full(nav, np.nan, dtype=np.float32)
    sumsig[roi] = data[roi].sum(axis=(1, 2), dtype=np.float64)
    where = np.where(roi, np.arange(1, roi.size + 1).reshape(nav), 0).astype(np.int32)
    total = data[roi].sum(axis=0, dtype=np.float64)
    return {
        ("sumsig", "intensity"): sumsig,
        ("sum", "intensity"): total.astype(np.float32),
        ("visits", "where"): where,
        ("visits", "frames"): np.int64(roi.sum()),
        ("visits", "total"): total,
    }


def check_run(tmp, roi, roi_arg, partitions, threads):
    out = os.path.join(tmp, "out.h5")
    p = run("run", "sumsig", "sum", os.path.join(tmp, "visits.udf"), "--data",
            os.path.join(tmp, "data.npy"), "--roi", roi_arg, "--partitions", partitions,
            "-j", threads, "-o", out, "--stats")
    what = "--roi %s --partitions %d -j %d" % (roi_arg, partitions, threads)
    for (udf, buf), want in expected(roi).items():
        check_equal(read(out, udf, buf), want, "%s/%s with %s" % (udf, buf, what))
    m = re.search(r"(\d+) frames in (\d+) partitions", p.stderr)
    if not m or int(m.group(1)) != roi.sum():
        fail("%s: --stats should report %d frames read:\n%s" % (what, roi.sum(), p.stderr))
    if int(m.group(2)) != min(partitions, roi.sum()):
        fail("%s: expected %d partitions:\n%s" % (what, min(partitions, roi.sum()), p.stderr))


with tempdir() as tmp:
    np.save(os.path.join(tmp, "data.npy"), data)
    with open(os.path.join(tmp, "visits.udf"), "w") as f:
        f.write(VISITS)

    roi = rng.random(nav) < 0.4
    roi[0, 0] = roi[-1, -1] = True
    np.save(os.path.join(tmp, "roi.npy"), roi)
    # Nav-shaped or flat in scan order, and not bool.
    np.save(os.path.join(tmp, "flat.npy"), roi.reshape(-1).astype(np.uint8) * 7)
    # Other shapes of the same size are refused: a transposed ROI would
    # select other positions.
    for name, shaped in (("transposed", np.ascontiguousarray(roi.T)),
                         ("folded", roi.reshape(3, -1))):
        path = os.path.join(tmp, name + ".npy")
        np.save(path, shaped)
        p = run("run", "sumsig", "--data", os.path.join(tmp, "data.npy"), "--roi", path,
                "-o", os.path.join(tmp, "refused.h5"), expect=3)
        want = "has shape %s, but the nav shape is %s" % (tuple(shaped.shape), tuple(nav))
        if want not in p.stderr or "flat one of %d elements" % roi.size not in p.stderr:
            fail("%s ROI: expected %r in:\n%s" % (name, want, p.stderr))
    box = np.zeros(nav, dtype=bool)
    box[2:7, 3:] = True

    for partitions in (1, 2, 7):
        for threads in (1, 2):
            check_run(tmp, roi, os.path.join(tmp, "roi.npy"), partitions, threads)
    check_run(tmp, roi, os.path.join(tmp, "flat.npy"), 7, 2)
    with h5py.File(os.path.join(tmp, "roi.h5"), "w") as f:
        f["masks/roi"] = roi
    check_run(tmp, roi, os.path.join(tmp, "roi.h5") + ":/masks/roi", 2, 2)
    # Every HDF5 file name that --data takes, in any case (.nx5, .H5).
    for name in ("roi.nx5", "ROI.H5"):
        with h5py.File(os.path.join(tmp, name), "w") as f:
            f["roi"] = roi
        check_run(tmp, roi, os.path.join(tmp, name) + ":/roi", 2, 2)
    check_run(tmp, box, "2:7,3:", 7, 2)
    single = np.zeros(nav, dtype=bool)
    single[4, 5] = True
    check_run(tmp, single, "4,5", 2, 2)

    # Empty ROI: nothing is read, sums stay zero, nav results are NaN/0, and a
    # mean over no frames is NaN (SPEC §2.5).
    check_run(tmp, np.zeros(nav, dtype=bool), "3:3,:", 7, 2)
    out = os.path.join(tmp, "empty.h5")
    run("run", "stddev", "--data", os.path.join(tmp, "data.npy"), "--roi", "3:3,:", "-o", out)
    check_equal(read(out, "stddev", "num_frames"), np.int64(0), "stddev/num_frames, empty ROI")
    if not np.isnan(read(out, "stddev", "mean")).all():
        fail("stddev/mean over an empty ROI should be NaN everywhere")
print("ok")
