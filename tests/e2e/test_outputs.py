"""Result files: HDF5 (default NAME.h5 of the first udf, or -o), --npy DIR
with one .npy per result equal to the HDF5 datasets, --png DIR with an image
of exactly the 2-D nav and sig results that decodes to the result's shape and
to numpy's percentile auto-contrast (NaN black), output directories created
as needed, no temporaries left, and one summary line per result on stdout."""
import os

import numpy as np

from udftest import check_equal, fail, files_in, read, read_png, run, tempdir

EXTRA = """
udf extremes {
    nav i32 brightest;
    single f64 biggest = -inf;
    frame {
        brightest = max(frame);
        biggest = max(biggest, max(frame));
    }
}
"""


def expected_grey(values):
    """Auto-contrast as documented: 0.5 / 99.5 percentiles of the finite
    values (numpy's linear method), clipped, NaN black."""
    v = values.astype(np.float64)
    finite = v[np.isfinite(v)]
    lo, hi = np.percentile(finite, 0.5), np.percentile(finite, 99.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.floor((v - lo) / (hi - lo) * 255 + 0.5)
    grey = np.where(v <= lo, 0, np.where(v >= hi, 255, scaled))
    return np.where(np.isnan(v), 0, grey).astype(np.int32)


with tempdir() as tmp:
    udf = os.path.join(tmp, "extremes.udf")
    with open(udf, "w") as f:
        f.write(EXTRA)
    roi = np.ones((12, 10), dtype=bool)
    roi[3:5, 2:8] = False
    np.save(os.path.join(tmp, "roi.npy"), roi)
    npy_dir, png_dir = os.path.join(tmp, "out", "npy"), os.path.join(tmp, "out", "png")

    # No -o: the HDF5 file is named after the first udf, in the working directory.
    p = run("run", "sumsig", "sum", udf, "--data", "demo:12,10,24,20", "--roi",
            os.path.join(tmp, "roi.npy"), "--npy", npy_dir, "--png", png_dir, cwd=tmp)
    h5 = os.path.join(tmp, "sumsig.h5")
    results = ["sumsig.intensity", "sum.intensity", "extremes.brightest", "extremes.biggest"]
    if files_in(npy_dir) != sorted(r + ".npy" for r in results):
        fail("--npy wrote %s" % files_in(npy_dir))
    images = ["sumsig.intensity", "sum.intensity", "extremes.brightest"]
    if files_in(png_dir) != sorted(r + ".png" for r in images):
        fail("--png wrote %s" % files_in(png_dir))
    lines = p.stdout.splitlines()
    if [l.split()[0] for l in lines] != [r.replace(".", "/") for r in results]:
        fail("expected one summary line per result:\n" + p.stdout)
    if "(12 NaN)" not in lines[0]:
        fail("the summary of sumsig should count the 12 NaN outside the ROI: " + lines[0])
    # Infinities show in min and max and are counted; the mean is of the rest.
    p = run("run", "max", "--data", "demo:4,4,8,8", "--roi", "2:2,0:4", "-o",
            os.path.join(tmp, "empty_max.h5"), cwd=tmp)
    if "max/intensity  sig f32 (8, 8)  min -inf  max -inf  (64 infinite)" not in p.stdout:
        fail("the summary of an empty max should show -inf: " + p.stdout)
    mixed = os.path.join(tmp, "mixed.udf")
    with open(mixed, "w") as f:
        f.write("udf mixed { nav f32 v; frame { v = select(index == 0, inf, f32(index)); } }\n")
    p = run("run", mixed, "--data", "demo:2,2,8,8", "-o", os.path.join(tmp, "mixed.h5"), cwd=tmp)
    if "min 1  mean 2  max inf  (1 infinite)" not in p.stdout:
        fail("the summary of 1, 2, 3 and inf: " + p.stdout)

    for r in results:
        udf_name, buf = r.split(".")
        want = read(h5, udf_name, buf)
        got = np.load(os.path.join(npy_dir, r + ".npy"))
        check_equal(got, want, "--npy " + r)
    for r in images:
        udf_name, buf = r.split(".")
        values = read(h5, udf_name, buf)
        image = read_png(os.path.join(png_dir, r + ".png"))
        if image.shape != values.shape:
            fail("%s.png is %s, the result %s" % (r, image.shape, values.shape))
        diff = np.abs(image.astype(np.int32) - expected_grey(values))
        if diff.max() > 1:
            fail("%s.png: %d pixels differ from numpy's auto-contrast by more than 1"
                 % (r, int((diff > 1).sum())))
    if read_png(os.path.join(png_dir, "sumsig.intensity.png"))[~roi].any():
        fail("positions outside the ROI (NaN) should be black")

    # A 1-D nav result gets no image; the 2-D sig result does. -o names the file.
    png2 = os.path.join(tmp, "png2")
    run("run", "sumsig", "sum", "--data", "demo:12,10,24,20", "--nav", "120", "--png", png2,
        "-o", os.path.join(tmp, "flat.h5"))
    if files_in(png2) != ["sum.intensity.png"]:
        fail("with a 1-D nav, --png wrote %s" % files_in(png2))
    if read_png(os.path.join(png2, "sum.intensity.png")).shape != (24, 20):
        fail("sum.intensity.png has the wrong size")
    if read(os.path.join(tmp, "flat.h5"), "sumsig", "intensity").shape != (120,):
        fail("-o flat.h5 should hold the 1-D nav result")

    leftovers = [f for f in files_in(tmp) if ".tmp-" in f]
    if leftovers:
        fail("temporaries left behind: %s" % leftovers)
print("ok")
