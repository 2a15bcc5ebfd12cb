"""stdlib logsum at the limits of its product: on integer data each pixel
multiplies its factors F - min(F) + 1 (up to 2^bits) in f64 and takes a
logarithm every 1023 // bits frames. Frames that hold the type's minimum in
one pixel and its maximum elsewhere make every other factor 2^bits, so one
frame more before the logarithm would overflow to inf. Runs every integer
type with one partition (all frames in one product), with seven (merges
of partial products), and with a ROI, against numpy's sum of f64 logarithms; and float data,
which takes a logarithm per frame."""
import os

import numpy as np

from udftest import check_close, read, run, tempdir

N_FRAMES = 300  # more than 1023 // 8 = 127, the longest run between logarithms
SIG = (3, 4)


def extreme_frames(dtype):
    info = np.iinfo(dtype)
    data = np.full((N_FRAMES,) + SIG, info.max, dtype=dtype)
    data[:, 0, 0] = info.min
    data[::7, 1, 2] = info.min + 1  # factors of 2^bits - 1 as well
    data[::5, 2, 3] = info.max // 2
    return data


def reference(data, roi=None):
    frames = data.reshape(len(data), -1)
    if roi is not None:
        frames = frames[roi]
    as_float = frames.astype(np.float64)
    m = frames.min(axis=1, keepdims=True).astype(np.float64)
    return np.log(as_float - m + 1).sum(axis=0).reshape(SIG)


with tempdir() as tmp:
    path = os.path.join(tmp, "data.npy")
    out = os.path.join(tmp, "out.h5")
    roi_path = os.path.join(tmp, "roi.npy")
    roi = np.ones(N_FRAMES, dtype=bool)
    roi[3:200:3] = False
    np.save(roi_path, roi)
    for dtype in ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32"):
        if dtype == "f32":
            data = np.random.default_rng(3).random((N_FRAMES,) + SIG).astype(np.float32) * 1e4
        else:
            data = extreme_frames(np.dtype(("uint" if dtype[0] == "u" else "int") + dtype[1:]))
        np.save(path, data)
        for options, want in ((["--partitions", "1"], reference(data)),
                              (["--partitions", "7", "-j", "2"], reference(data)),
                              (["--partitions", "1", "--roi", roi_path], reference(data, roi))):
            run("run", "logsum", "--data", path, "--sig-dims", 2, "-o", out, *options)
            got = read(out, "logsum", "logsum")
            what = "logsum %s %s" % (dtype, " ".join(options))
            if not np.all(np.isfinite(got)):
                raise SystemExit("FAIL: %s: not finite: %s" % (what, got))
            check_close(got, want.astype(np.float32), what, rtol=1e-6)
