"""`udfc info` describes a data set as numpy sees it (shape, dtype, layout),
how its frames line up with the nav grid, and predicts exactly the frames,
partitions and tile depth that `udfc run --stats` then uses with the same
options (--nav, --sync-offset, --roi, --partitions, corrections)."""
import os
import re

import numpy as np

from udftest import fail, run, tempdir


def field(text, name):
    m = re.search(r"^%s:\s+(.*)$" % re.escape(name), text, re.M)
    if not m:
        fail("info lacks the field %r:\n%s" % (name, text))
    return m.group(1)


def check_prediction(tmp, data_args):
    info = run("info", *data_args).stdout
    stats = run("run", "sumsig", *data_args, "--stats", "-o", os.path.join(tmp, "o.h5")).stderr
    m = re.search(r"(\d+) frames in (\d+) partitions, tiles of (\d+) frames", stats)
    parts = re.match(r"(\d+) for (\d+) frames", field(info, "partitions"))
    depth = re.match(r"\((\d+),", field(info, "tiles"))
    if not (m and parts and depth):
        fail("cannot read info or stats:\n%s\n%s" % (info, stats))
    predicted = (parts.group(2), parts.group(1), depth.group(1))
    if predicted != m.groups():
        fail("%s: info predicts (frames, partitions, depth) %s, run used %s"
             % (" ".join(data_args), predicted, m.groups()))
    return info


with tempdir() as tmp:
    data = np.zeros((5, 6, 7, 8), dtype=np.int32)
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    np.save(os.path.join(tmp, "gain.npy"), np.ones((7, 8)))
    np.save(os.path.join(tmp, "roi.npy"), np.arange(30).reshape(5, 6) % 4 == 0)

    info = run("info", path).stdout  # the data set may also be given without --data
    if info != check_prediction(tmp, ["--data", path]):
        fail("info SPEC and info --data SPEC differ")
    for name, want in (("format", "npy"), ("dtype", "i32"), ("nav shape", "(5, 6)"),
                       ("sig shape", "(7, 8)"), ("frames", "30 stored, 224 bytes each"),
                       ("layout", ".npy, C order, data at byte 128"),
                       ("nav grid", "30 of 30 positions show a frame")):
        if not field(info, name).startswith(want):
            fail("info %s: %r, expected %r" % (name, field(info, name), want))

    info = check_prediction(tmp, ["--data", path, "--nav", "4,9", "--sync-offset", "2",
                                  "--roi", "1:3,:"])
    if field(info, "nav grid") != "28 of 36 positions show a frame (--sync-offset 2)":
        fail("info nav grid: " + field(info, "nav grid"))
    for text in ("frames not read: 2 at the start, 0 at the end",
                 "positions without a frame: 0 at the start, 8 at the end"):
        if text not in info:
            fail("info lacks %r:\n%s" % (text, info))
    if not field(info, "roi").startswith("18 of 36 positions selected"):
        fail("info roi: " + field(info, "roi"))

    info = check_prediction(tmp, ["--data", path, "--gain", os.path.join(tmp, "gain.npy"),
                                  "--partitions", "4"])
    if "kernels see f64 frames, corrected as udfc run's kernels load them" not in field(
            info, "corrections"):
        fail("i32 data with a gain should reach kernels as f64, corrected in the loads:\n" + info)
    if not field(info, "tiles").endswith("f64: 8 whole frames"):
        fail("info tiles: " + field(info, "tiles"))
    excluded = np.zeros((7, 8), dtype=bool)
    excluded[2, 3] = True
    np.save(os.path.join(tmp, "excluded.npy"), excluded)
    info = check_prediction(tmp, ["--data", path, "--gain", os.path.join(tmp, "gain.npy"),
                                  "--exclude", os.path.join(tmp, "excluded.npy")])
    if "1 excluded pixels; kernels see f64 frames, corrected whole as they are read" not in field(
            info, "corrections"):
        fail("with excluded pixels, whole frames are corrected:\n" + info)

    # Tiles of 256² u16 frames: 1 MiB of the stored element where the
    # corrections can go into the kernels' loads (8 frames), of the corrected
    # f32 where excluded pixels need whole corrected frames (4).
    frames256 = os.path.join(tmp, "frames256.raw")
    np.zeros((4, 4, 256, 256), dtype=np.uint16).tofile(frames256)
    np.save(os.path.join(tmp, "dark256.npy"), np.ones((256, 256), np.float32))
    excluded256 = np.zeros((256, 256), dtype=bool)
    excluded256[3, 3] = True
    np.save(os.path.join(tmp, "excluded256.npy"), excluded256)
    scan256 = ["--data", frames256, "--dtype", "u16", "--nav", "4,4", "--sig", "256,256",
               "--partitions", "1", "--dark", os.path.join(tmp, "dark256.npy")]
    for extra, depth in (([], 8), (["--exclude", os.path.join(tmp, "excluded256.npy")], 4)):
        info = check_prediction(tmp, scan256 + extra)
        if not field(info, "tiles").endswith("f32: %d whole frames" % depth):
            fail("tiles of corrected 256² u16 frames %s: %s" % (extra, field(info, "tiles")))
    check_prediction(tmp, ["--data", path, "--roi", os.path.join(tmp, "roi.npy"), "--partitions", "7"])
    check_prediction(tmp, ["--data", "demo:16,16,64,64", "--sync-offset", "-20"])
    raw = os.path.join(tmp, "data.raw")
    np.zeros((100, 3, 5), dtype=np.uint8).tofile(raw)
    info = check_prediction(tmp, ["--data", raw, "--dtype", "u8", "--nav", "10,10",
                                  "--sig", "3,5", "--offset", "0"])
    if not field(info, "layout").startswith("raw, C order"):
        fail("info layout of a raw file: " + field(info, "layout"))

    # Big frames: tiles hold a jammed group of four frames while four fit in
    # 64 MiB (512², 1024² and 1024×2048 u16 frames, also corrected to f32),
    # else one (4096×2049 u16: 67 MB for four).
    np.save(os.path.join(tmp, "gain1k.npy"), np.ones((1024, 1024), np.float32))
    np.save(os.path.join(tmp, "gain2k.npy"), np.ones((1024, 2048), np.float32))
    for sig, frames, extra, want in (((512, 512), 8, [], "4"), ((1024, 1024), 4, [], "4"),
                                     ((1024, 1024), 4, ["--gain", "gain1k.npy"], "4"),
                                     ((1024, 2048), 4, ["--gain", "gain2k.npy"], "4")):
        big = os.path.join(tmp, "big.npy")
        np.save(big, np.ones((frames,) + sig, dtype=np.uint16))
        args = [a if not a.endswith(".npy") else os.path.join(tmp, a) for a in extra]
        info = check_prediction(tmp, ["--data", big, "--sig-dims", "2", "--partitions", "1"] + args)
        depth = re.match(r"\((\d+),", field(info, "tiles")).group(1)
        if depth != want:
            fail("%s frames %s: tiles of %s frames, expected %s" % (sig, extra, depth, want))
    info = check_prediction(tmp, ["--data", "demo:1,4,4096,2049", "--partitions", "1"])
    if not field(info, "tiles").startswith("(1,"):
        fail("4096x2049 frames: tiles " + field(info, "tiles"))
print("ok")
