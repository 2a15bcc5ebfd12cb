"""Tiles that go over the pixels in blocks (UDF_PIXEL_BLOCK = 256, all
frames of the tile per block; compiler/lower_tile.c), against frame-by-frame
numpy: frames of 1073 pixels (four whole blocks and a short one) and of 168
(one short block), frame counts that leave a short group of frames, one
partition (deep tiles, order-dependent results) and several, 1 and 2
threads, ROI. The IR shows the blocks for elementwise bodies only
(udfs/pixel_blocks.udf)."""
import os

import numpy as np

from udftest import check_close, check_equal, fail, random_data, read, run, tempdir

HERE = os.path.dirname(os.path.abspath(__file__))
UDFS = os.path.join(HERE, "udfs", "pixel_blocks.udf")


def expected(frames):
    """frames: (n, pixels) in processing order."""
    n, px = frames.shape
    v = frames.astype(np.int64)
    hash_ = np.zeros(px, dtype=np.uint32)
    last = np.zeros(px, dtype=np.int64)
    lagged = np.zeros(px)
    for f in range(n):
        hash_ = (hash_ * np.uint32(31) + frames[f].astype(np.uint32)).astype(np.uint32)
        lagged = last.astype(np.float64)
        last = v[f]
    return {"hash": hash_, "last": last, "lagged": lagged,
            "counts": np.stack([(v % 2 == 0).sum(axis=0), (v * v).sum(axis=0)], axis=1)}


ir = run("emit", "ir", UDFS, "--dtype", "u16").stdout
tiles = ir.split("tile udf_")[1:]
blocked = {t.split("__")[0]: "for pixel_block" in t for t in tiles}
if blocked != {"ordered": True, "with_let": False, "with_nav": False, "with_coords": False}:
    fail("pixel blocks in the IR: %s, expected ordered only\n%s" % (blocked, ir))

with tempdir() as tmp:
    for sig, nav in (((37, 29), (3, 7)), ((14, 12), (5, 5))):
        data = random_data("u16", nav + sig, seed=sig[0])
        path = os.path.join(tmp, "data.npy")
        np.save(path, data)
        flat = data.reshape(-1, sig[0] * sig[1])
        for partitions, threads, roi in (("1", "1", None), ("1", "2", None), ("4", "2", None),
                                         ("1", "1", "1:3,1:5")):
            out = os.path.join(tmp, "out.h5")
            args = ["run", UDFS, "--data", path, "-o", out, "--partitions", partitions,
                    "-j", threads]
            chosen = flat
            if roi:
                args += ["--roi", roi]
                keep = np.zeros(nav, dtype=bool)
                keep[1:3, 1:5] = True
                chosen = flat[keep.ravel()]
            run(*args)
            what = "sig %s, partitions %s, -j %s, roi %s" % (sig, partitions, threads, roi)
            want = expected(chosen)
            for name in ("last", "lagged", "counts"):
                got = read(out, "ordered", name)
                check_equal(got.reshape(want[name].shape), want[name], name + ", " + what)
            check_equal(read(out, "ordered", "frames"), np.int64(len(chosen)), "frames, " + what)
            centred = chosen - chosen.mean(axis=1, keepdims=True)
            check_close(read(out, "with_let", "acc").ravel(), centred.sum(axis=0),
                        "with_let, " + what, atol=1e-9 * np.abs(centred).sum())
            check_close(read(out, "with_nav", "acc").ravel(),
                        chosen.astype(np.float64).sum(axis=0), "with_nav, " + what)
            totals = read(out, "with_nav", "total").ravel()
            check_close(totals[~np.isnan(totals)], chosen.astype(np.float64).sum(axis=1),
                        "with_nav totals, " + what)
            y = np.repeat(np.arange(sig[0]) + 1, sig[1])
            check_close(read(out, "with_coords", "weighted").ravel(),
                        (chosen.astype(np.float64) * y).sum(axis=0), "with_coords, " + what)
            if partitions == "1":  # one partition: the frames in order
                check_equal(read(out, "ordered", "hash").ravel(), want["hash"], "hash, " + what)
print("ok")
