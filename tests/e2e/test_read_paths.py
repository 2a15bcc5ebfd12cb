"""The readers and the tile assembly against numpy, on data sets larger than
one map window (UDF_MAP_WINDOW_BYTES, 8 MiB) whose tiles span the units the
formats read: .npy (little- and big-endian), raw frames at an odd byte
offset, HDF5 contiguous (at an odd address, and big-endian) and chunked
(chunks of an odd frame count that do not divide a nav row, chunks spanning
nav rows, chunks split along sig, chunks larger than the nav row, unwritten
chunks, gzip / shuffle / LZF / LZ4, fletcher32 through the library, 3-D
datasets), Merlin series of uneven files (processed U16, raw 12- and 1-bit,
and more files than are kept open), and frames bigger than a quarter window.
Each is read with 1 and 2 threads, in 1 to 50 partitions, whole and through
a ROI that splits tiles, chunks and files into runs, with positive and
negative sync offsets, cold from the disk and from the page cache, frames
mapped and copied (UDF_READ) where the format can do both; nav ranks
1, 2 and 3; corrections (dark, gain, excluded pixels) with a ROI; pick.
sumsig and sum must equal numpy exactly (values stay small, so every sum is
an exact float), corrected data to rounding. Bugs of this kind showed only
with data bigger than a window or tiles spanning files: a window moved for a
tile's second run unmapped its first run, and a Merlin series read each
file's frames over the previous file's."""
import os

import h5py
import hdf5plugin
import numpy as np

import mibgen
from udftest import check_close, check_equal, fail, read, run, tempdir

NAV, SIG = (24, 30), (96, 80)  # 720 frames of 15 KiB: 11 MiB, tiles of 45 to 68 frames

# threads, --partitions (None: the default), ROI, --sync-offset, read cold,
# UDF_READ: the read trial (which copies the first 48 MiB, all of these data
# sets), or frames mapped, or copied (read_trial.h)
CASES = [(1, None, False, 0, False, "trial"),  # 16 partitions on one thread
         (2, 1, False, 0, False, "map"),       # one partition of 11 tiles
         (2, 3, True, -41, True, "copy"),      # cold: uncached windows are mapped
         (1, 7, True, 37, False, "map"),
         (2, 50, True, 5, False, "copy")]


def make_roi(nav, seed):
    """About 60% of the positions, one whole row, one empty row: tiles, chunks
    and files are read in runs of every length."""
    rng = np.random.default_rng(seed)
    roi = rng.random(nav) < 0.6
    flat = roi.reshape(-1)
    flat[200:260] = True
    flat[400:430] = False
    return roi


def reference(stack, nav, roi=None, offset=0):
    """sumsig and sum of the frames (stack: all stored frames in order) that
    nav position i shows (stored frame i + offset), for positions in the ROI."""
    n = int(np.prod(nav))
    shown = np.arange(n) + offset
    has = (shown >= 0) & (shown < len(stack))
    if roi is not None:
        has &= roi.reshape(-1)
    kind = np.result_type(stack.dtype, np.float32)  # the stdlib's `float`
    frames = stack[shown[has]].astype(np.float64)
    sumsig = np.full(n, np.nan)
    sumsig[has] = frames.sum(axis=tuple(range(1, frames.ndim)))
    return sumsig.reshape(nav).astype(kind), frames.sum(axis=0).astype(kind)


def drop_from_page_cache(path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def check(tmp, what, data_args, stack, nav=NAV, cases=CASES, files=(), close=False, extra=()):
    """sumsig and sum of the data set (udfc options data_args) against numpy,
    for each case; files are dropped from the page cache for cold cases."""
    roi = make_roi(nav, seed=len(what))
    np.save(os.path.join(tmp, "roi.npy"), roi)
    for threads, partitions, use_roi, offset, cold, way in cases:
        args = ["run", "sumsig", "sum", *data_args, *extra, "-j", threads, "-o", "out.h5"]
        how = "%s, -j %d, UDF_READ=%s" % (what, threads, way)
        os.environ["UDF_READ"] = way
        if partitions:
            args += ["--partitions", partitions]
            how += ", %d partitions" % partitions
        if use_roi:
            args += ["--roi", "roi.npy"]
            how += ", ROI"
        if offset:
            args += ["--sync-offset", offset]
            how += ", --sync-offset %d" % offset
        if cold:
            for f in files:
                drop_from_page_cache(f)
            how += ", cold"
        run(*args, cwd=tmp)
        want_sumsig, want_sum = reference(stack, nav, roi if use_roi else None, offset)
        same = check_close if close else check_equal
        out = os.path.join(tmp, "out.h5")
        same(read(out, "sumsig", "intensity"), want_sumsig, "sumsig of " + how)
        same(read(out, "sum", "intensity"), want_sum, "sum of " + how)


def check_pick(tmp, what, data_args, stack, offset, use_roi):
    """pick at positions around chunk and file edges, through a ROI and a sync
    offset: a picked position shows its frame if it has one and is selected."""
    indices = [0, 1, 6, 7, 29, 30, 44, 45, 201, 333, 334, 415, 598, 599, 700, 719]
    roi = make_roi(NAV, seed=len(what)).reshape(-1)
    np.save(os.path.join(tmp, "roi.npy"), roi.reshape(NAV))
    args = ["run", "pick", *data_args, "--param", "indices=" + ",".join(map(str, indices)),
            "--sync-offset", offset, "--partitions", 5, "-j", 2, "-o", "pick.h5"]
    if use_roi:
        args += ["--roi", "roi.npy"]
    run(*args, cwd=tmp)
    want = np.zeros((len(indices),) + stack.shape[1:], dtype=stack.dtype)
    for k, i in enumerate(indices):
        if 0 <= i + offset < len(stack) and (roi[i] or not use_roi):
            want[k] = stack[i + offset]
    check_equal(read(os.path.join(tmp, "pick.h5"), "pick", "intensity"), want,
                "pick of %s, --sync-offset %d%s" % (what, offset, ", ROI" if use_roi else ""))


def corrected(stack, dark, gain, excluded):
    """LiberTEM's corrections in f32 (u16 data): (raw - dark) * gain, then each
    excluded pixel the mean of its valid neighbours."""
    out = (stack.astype(np.float32) - dark.astype(np.float32)) * gain.astype(np.float32)
    for y, x in np.argwhere(excluded):
        total = np.zeros(len(stack))
        count = 0
        for v in range(y - 1, y + 2):  # in C order, summed in double, as udfc does
            for u in range(x - 1, x + 2):
                if (v, u) != (y, x) and 0 <= v < SIG[0] and 0 <= u < SIG[1] and not excluded[v, u]:
                    total += out[:, v, u]
                    count += 1
        out[:, y, x] = (total / count).astype(np.float32)
    return out


with tempdir() as tmp:
    rng = np.random.default_rng(21)
    data = rng.integers(0, 100, size=NAV + SIG).astype(np.uint16)
    stack = data.reshape((-1,) + SIG)

    # Frame files: mapped (or copied, as the read trial decides), byte-swapped
    # into the copy buffer, and at an odd offset.
    npy = os.path.join(tmp, "scan.npy")
    np.save(npy, data)
    check(tmp, ".npy", ["--data", npy], stack, files=[npy])
    npy_be = os.path.join(tmp, "scan_be.npy")
    np.save(npy_be, data.astype(">u2"))
    check(tmp, "big-endian .npy", ["--data", npy_be], stack, files=[npy_be])
    raw = os.path.join(tmp, "scan.raw")
    with open(raw, "wb") as f:
        f.write(b"\0" * 3)
        data.tofile(f)
    check(tmp, "raw at --offset 3", ["--data", raw, "--dtype", "u16", "--nav", "24,30", "--sig",
                                     "96,80", "--offset", "3"], stack, files=[raw])

    # Nav ranks 1 and 3 over the same frames.
    check(tmp, ".npy as --nav 720", ["--data", npy, "--nav", "720"], stack, nav=(720,),
          cases=CASES[2:4])
    check(tmp, ".npy as --nav 4,6,30", ["--data", npy, "--nav", "4,6,30"], stack, nav=(4, 6, 30),
          cases=CASES[2:4])

    # HDF5: every way of reading, each layout larger than a window.
    h5 = os.path.join(tmp, "layouts.h5")
    layouts = {
        "odd_chunks_gzip": dict(chunks=(1, 7) + SIG, compression="gzip", compression_opts=1),
        "row_spanning_lzf_be": dict(chunks=(2, 3) + SIG, compression="lzf", shuffle=True),
        "sig_split_gzip": dict(chunks=(2, 8, 40, 48), compression="gzip", compression_opts=1,
                               shuffle=True),
        "wider_than_row": dict(chunks=(1, 64) + SIG, maxshape=(None, None) + SIG),
        "fletcher32": dict(chunks=(1, 6) + SIG, fletcher32=True),
    }
    with h5py.File(h5, "w") as f:
        f.create_dataset("three_bytes", data=np.arange(3, dtype=np.uint8))
        f.create_dataset("contiguous_odd_address", data=data)
        f.create_dataset("contiguous_be", data=data.astype(">u2"))
        for name, kw in layouts.items():
            f.create_dataset(name, data=data.astype(">u2") if name.endswith("_be") else data, **kw)
        sparse = f.create_dataset("unwritten_be", shape=NAV + SIG, dtype=">u2", fillvalue=7,
                                  chunks=(1, 7) + SIG, compression="gzip", compression_opts=1)
        sparse[3:9] = data[3:9]
        sparse[15, 4:19] = data[15, 4:19]
        f.create_dataset("frames_3d_lz4", data=stack, chunks=(7,) + SIG,
                         **hdf5plugin.LZ4(nbytes=1 << 16))
        if f["contiguous_odd_address"].id.get_offset() % 2 != 1:
            fail("the contiguous dataset should start at an odd address, it starts at %d"
                 % f["contiguous_odd_address"].id.get_offset())
    for name in ["contiguous_odd_address", "contiguous_be"] + list(layouts):
        check(tmp, "HDF5 " + name, ["--data", h5 + ":/" + name], stack, files=[h5])
    unwritten = np.full_like(data, 7)
    unwritten[3:9] = data[3:9]
    unwritten[15, 4:19] = data[15, 4:19]
    check(tmp, "HDF5 unwritten_be", ["--data", h5 + ":/unwritten_be"],
          unwritten.reshape((-1,) + SIG), cases=CASES[1:3])
    check(tmp, "HDF5 3-D frames", ["--data", h5 + ":/frames_3d_lz4"], stack, nav=(720,),
          cases=CASES[1:4])
    check(tmp, "HDF5 3-D frames as --nav 24,30",
          ["--data", h5 + ":/frames_3d_lz4", "--nav", "24,30"], stack, cases=CASES[2:])

    # Merlin series: files of 1, 49, 1, 139, ... frames, so that tiles span
    # several files and runs of a ROI start and end inside them.
    cuts = [0, 1, 50, 51, 190, 333, 334, 598, 720]
    for kind, depth, values in (("U16", 12, stack), ("R64", 12, stack),
                                ("R64", 1, (stack & 1).astype(np.uint8))):
        folder = os.path.join(tmp, "%s_%d" % (kind, depth))
        os.mkdir(folder)
        for k in range(len(cuts) - 1):
            mibgen.write_mib(os.path.join(folder, "scan%d.mib" % (k + 1)),
                             values[cuts[k]:cuts[k + 1]], kind, depth, first_seq=cuts[k] + 1)
        check(tmp, "Merlin %s %d-bit series" % (kind, depth),
              ["--data", os.path.join(folder, "scan1.mib"), "--nav", "24,30"], values)
    # More files than are kept open: each read opens its files.
    many = os.path.join(tmp, "many")
    os.mkdir(many)
    small = rng.integers(0, 100, size=(260, 16, 16)).astype(np.uint16)
    for i in range(len(small)):
        mibgen.write_mib(os.path.join(many, "m%d.mib" % (i + 1)), small[i:i + 1], "U16", 12,
                         first_seq=i + 1)
    check(tmp, "Merlin series of 260 files", ["--data", os.path.join(many, "m1.mib"),
                                              "--nav", "13,20"], small, nav=(13, 20),
          cases=[(1, None, False, 0, False, "trial"), (2, 3, True, -9, False, "map"),
                 (2, 7, True, 11, False, "copy")])

    # pick through chunks split along sig and through a series.
    for what, spec in (("HDF5 sig_split_gzip", h5 + ":/sig_split_gzip"),
                       ("HDF5 odd_chunks_gzip", h5 + ":/odd_chunks_gzip"),
                       ("Merlin U16 series", os.path.join(tmp, "U16_12", "scan1.mib"))):
        args = ["--data", spec, "--nav", "24,30"] if "Merlin" in what else ["--data", spec]
        check_pick(tmp, what, args, stack, -41, True)
        check_pick(tmp, what, args, stack, 37, False)

    # Corrections on the frames of a ROI: dark and gain that keep f32 sums
    # exact, excluded pixels at edges, corners and side by side.
    dark = rng.integers(0, 5, size=SIG).astype(np.float32)
    gain = rng.choice([0.5, 1.0, 2.0], size=SIG).astype(np.float32)
    excluded = np.zeros(SIG, dtype=bool)
    excluded[[0, 0, 10, 10, 50, 95], [0, 41, 30, 31, 79, 3]] = True
    for name, array in (("dark", dark), ("gain", gain), ("exclude", excluded)):
        np.save(os.path.join(tmp, name + ".npy"), array)
    want = corrected(stack, dark, gain, excluded)
    options = ("--dark", "dark.npy", "--gain", "gain.npy", "--exclude", "exclude.npy")
    for what, spec in (("HDF5 odd_chunks_gzip", ["--data", h5 + ":/odd_chunks_gzip"]),
                       ("HDF5 sig_split_gzip", ["--data", h5 + ":/sig_split_gzip"]),
                       ("big-endian .npy", ["--data", npy_be]),
                       ("Merlin R64 12-bit series",
                        ["--data", os.path.join(tmp, "R64_12", "scan1.mib"), "--nav", "24,30"])):
        check(tmp, what + " with corrections", spec, want, cases=CASES[1:4], close=True,
              extra=options)
    # Corrections read the stored elements: at an odd address they must not be
    # loaded as misaligned u16 (undefined behaviour; UBSan stops udfc there).
    check(tmp, "HDF5 contiguous_odd_address with corrections",
          ["--data", h5 + ":/contiguous_odd_address"], want, cases=CASES[1:3], close=True,
          extra=options)

    # Frames of 3 MiB: tiles of four frames are larger than a window.
    big = rng.integers(0, 16, size=(4, 5, 768, 1024)).astype(np.uint32)
    big_npy = os.path.join(tmp, "big.npy")
    np.save(big_npy, big)
    big_h5 = os.path.join(tmp, "big.h5")
    with h5py.File(big_h5, "w") as f:
        f.create_dataset("split", data=big, chunks=(1, 3, 300, 1024))
    big_cases = [(1, None, False, 0, False, "map"), (2, 1, True, -3, True, "trial"),
                 (2, 3, True, 2, False, "copy")]
    for what, spec in (("3 MiB frames in .npy", big_npy), ("3 MiB frames in HDF5 chunks", big_h5)):
        check(tmp, what, ["--data", spec], big.reshape((-1, 768, 1024)), nav=(4, 5),
              cases=big_cases, files=[spec])
print("ok")
