"""The jammed schedules of the compiler against frame-by-frame numpy: one
partition (so tiles are deep enough to jam) and several, 1 and 2 threads,
frame counts that leave a short last group of frames, and mask counts that
leave an incomplete group of free-index values (udfs/jam.udf)."""
import os

import numpy as np

from udftest import check_close, check_equal, read, run, tempdir

HERE = os.path.dirname(os.path.abspath(__file__))
JAM = os.path.join(HERE, "udfs", "jam.udf")

rng = np.random.default_rng(21)
data = rng.integers(1, 200, size=(3, 7, 5, 6)).astype(np.uint16)  # 21 frames
masks = rng.random((5, 5, 6)).astype(np.float32)
frames = data.reshape(21, -1).astype(np.float64)

with tempdir() as tmp:
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    masks_path = os.path.join(tmp, "masks.npy")
    np.save(masks_path, masks)
    for partitions, threads in (("1", "1"), ("1", "2"), ("3", "2")):
        out = os.path.join(tmp, "out.h5")
        run("run", JAM, "--data", path, "-o", out, "--partitions", partitions, "-j", threads,
            "--param", "masks=@" + masks_path)
        what = " (partitions %s, -j %s)" % (partitions, threads)

        sums = frames.sum(axis=1)
        weighted = frames @ masks.reshape(5, -1).T.astype(np.float64)
        check_close(read(out, "normalised", "fraction").reshape(21, 5), weighted / sums[:, None],
                    "fraction" + what, rtol=1e-5)
        check_equal(read(out, "normalised", "offset").reshape(21, 4),
                    sums[:, None] + np.arange(4), "offset" + what)
        check_equal(read(out, "normalised", "peak").ravel(), frames.max(axis=1), "peak" + what)
        check_close(read(out, "ratio", "share").reshape(21, 5), weighted / sums[:, None],
                    "share" + what, rtol=1e-5)

        chained = np.zeros((21, 4))
        for k in range(4):
            chained[:, k] = (frames + chained[:, max(k - 1, 0)][:, None]).sum(axis=1)
        check_close(read(out, "chained", "c").reshape(21, 4), chained, "chained" + what,
                    rtol=1e-12)

        right = (np.arange(6)[None, :] > 2).repeat(5, axis=0).ravel()
        check_equal(read(out, "halfplane", "right_sum").ravel(), (frames * right).sum(axis=1),
                    "halfplane" + what)

        bins = (np.arange(30) % 3)[None, :] == np.arange(3)[:, None]
        check_equal(read(out, "binned", "profile").reshape(21, 3), frames @ bins.T.astype(float),
                    "binned" + what)

        check_close(read(out, "running", "mean").ravel(), frames.mean(axis=0),
                    "running mean" + what, rtol=1e-12)
        order = read(out, "running", "order_in_partition").ravel()
        if partitions == "1":
            check_equal(order, np.arange(1, 22), "order" + what)
print("ok")
