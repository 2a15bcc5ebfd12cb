"""HDF5 layouts and filters against numpy/h5py: contiguous (read without the
library), chunked one frame per chunk, several frames per chunk, chunks split
along nav and sig with edges that do not divide, deflate, shuffle, LZF, LZ4,
bitshuffle(+LZ4), big-endian, unwritten chunks, filters read through the
library (fletcher32, bzip2), a userblock, the dataset search without a path,
and the layouts of h5py, HyperSpy, py4DSTEM/EMD and NeXus files. sum and
sumsig must equal numpy, bit for bit (floats: to rounding) for 1, 2 and 3 threads."""
import os

import h5py
import hdf5plugin
import numpy as np

from udftest import check_close, check_equal, fail, read, run, tempdir

nav, sig = (5, 7), (13, 11)
rng = np.random.default_rng(11)
data = rng.integers(0, 3000, size=nav + sig).astype(np.uint16)


def expected(d):
    out = np.result_type(d.dtype, np.float32)  # the stdlib's `float`, as LiberTEM's
    d = d.astype(np.float64)
    return (d.sum(axis=(-2, -1)).astype(out),
            d.reshape((-1,) + d.shape[-2:]).sum(axis=0).astype(out))


def check(tmp, spec, d, what, extra=()):
    want_sumsig, want_sum = expected(d)
    for threads in (1, 2, 3):
        out = os.path.join(tmp, "out.h5")
        run("run", "sumsig", "sum", "--data", spec, *extra, "-j", threads, "-o", out)
        same = check_close if d.dtype.kind == "f" else check_equal  # float sums round
        same(read(out, "sumsig", "intensity"), want_sumsig, "sumsig %s -j %d" % (what, threads))
        same(read(out, "sum", "intensity"), want_sum, "sum %s -j %d" % (what, threads))


def expect_info(spec, *needles):
    text = run("info", spec).stdout
    for needle in needles:
        if needle not in text:
            fail("udfc info %s does not say %r:\n%s" % (spec, needle, text))


layouts = {
    "contiguous": dict(),
    "frame_chunks": dict(chunks=(1, 1) + sig),
    "row_chunks": dict(chunks=(1, 3) + sig),              # 7 % 3 != 0: padded edge chunks
    "block_chunks": dict(chunks=(2, 3) + sig),            # chunks span nav rows
    "split_chunks": dict(chunks=(2, 2, 5, 4)),            # split along sig, nothing divides
    "gzip": dict(chunks=(1, 2) + sig, compression="gzip", compression_opts=1),
    "gzip_shuffle": dict(chunks=(1, 2) + sig, compression="gzip", shuffle=True),
    "gzip_split": dict(chunks=(2, 3, 6, 11), compression="gzip", shuffle=True),
    "lzf": dict(chunks=(1, 2) + sig, compression="lzf"),
    "lz4": dict(chunks=(1, 2) + sig, **hdf5plugin.LZ4()),
    "bitshuffle_lz4": dict(chunks=(1, 1) + sig, **hdf5plugin.Bitshuffle(cname="lz4")),
    "bitshuffle": dict(chunks=(1, 3) + sig, **hdf5plugin.Bitshuffle(cname="none")),
    "fletcher32": dict(chunks=(1, 2) + sig, compression="gzip", fletcher32=True),
    "bzip2": dict(chunks=(1, 2) + sig, **hdf5plugin.BZip2()),
}
reading = {"contiguous": "without the HDF5 library", "fletcher32": "H5Dread through",
           "bzip2": "H5Dread through"}

with tempdir() as tmp:
    path = os.path.join(tmp, "layouts.h5")
    with h5py.File(path, "w") as f:
        for name, kw in layouts.items():
            f.create_dataset(name, data=data, **kw)
        f.create_dataset("big_endian", data=data.astype(">u2"), chunks=(1, 2) + sig,
                         compression="gzip")
        f.create_dataset("big_endian_contiguous", data=data.astype(">i4"))
        floats = f.create_dataset("f32", data=data.astype(np.float32) / 7, chunks=(1, 4) + sig,
                                  compression="gzip", shuffle=True)
        sparse = f.create_dataset("sparse", shape=nav + sig, dtype=np.uint16,
                                  chunks=(1, 1) + sig, fillvalue=7)
        sparse[1:3] = data[1:3]
        # No chunk written at all: HDF5 reports those in other words.
        for name, kw in (("unwritten", {}), ("unwritten_gzip", dict(compression="gzip"))):
            f.create_dataset(name, shape=nav + sig, dtype=np.uint16, chunks=(1, 2) + sig,
                             fillvalue=5, **kw)
        f.create_dataset("bool", data=data % 3 == 0)  # h5py's enum FALSE=0, TRUE=1
    for name in layouts:
        check(tmp, "%s:/%s" % (path, name), data, name)
        expect_info("%s:/%s" % (path, name),
                    reading.get(name, "located by the HDF5 library, read (pread) and decoded"))
    check(tmp, path + ":/big_endian", data, "big-endian")
    check(tmp, path + ":/big_endian_contiguous", data.astype(np.int32), "big-endian contiguous")
    with h5py.File(path, "r") as f:
        check(tmp, path + ":/f32", f["f32"][()], "f32 gzip+shuffle")
        check(tmp, path + ":/sparse", f["sparse"][()], "unwritten chunks")
        for name in ("unwritten", "unwritten_gzip"):
            check(tmp, path + ":/" + name, np.full(nav + sig, 5, np.uint16), name)
    check(tmp, path + ":/bool", data % 3 == 0, "bool")
    # Fill time NEVER: H5Dread leaves a never-written chunk's buffer as it
    # was; udf writes the fill value (0) there, not the chunk read before.
    never = os.path.join(tmp, "never.h5")
    with h5py.File(never, "w") as f:
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((1, 1) + sig)
        dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
        h5py.Dataset(h5py.h5d.create(f.id, b"data", h5py.h5t.NATIVE_UINT16,
                                     h5py.h5s.create_simple(nav + sig), dcpl=dcpl))[0] = data[0]
    written = np.zeros_like(data)
    written[0] = data[0]
    check(tmp, never + ":/data", written, "fill time NEVER")
    expect_info(path + ":/split_chunks", "chunked (2, 2, 5, 4)", "per-thread cache")
    # Read blocks made of whole chunks: a nav row where its chunks do not
    # divide it (chunks restart with every row), two rows for chunks of two.
    expect_info(path + ":/row_chunks", "; 7 frames per read block")
    expect_info(path + ":/gzip", "; 7 frames per read block")
    expect_info(path + ":/block_chunks", "; 14 frames per read block")
    expect_info(path + ":/frame_chunks", "; 1 frames per read block")
    expect_info(path + ":/gzip", "deflate (gzip) level 1", "straight into tiles")
    expect_info(path + ":/frame_chunks", "chunks used in place from the page cache")
    expect_info(path + ":/bitshuffle_lz4", "bitshuffle+LZ4 (32008)")

    # One-frame chunks used in place from mapped windows of the file (four per
    # reader, 8 MiB or more each): 20 MiB of chunks written in shuffled order,
    # so that a tile's frames lie in more windows than a reader keeps and the
    # rest are copied.
    big_nav, big_sig = (10, 64), (128, 128)
    big = np.random.default_rng(8).integers(0, 60000, big_nav + big_sig, dtype=np.uint16)
    scattered = os.path.join(tmp, "scattered.h5")
    with h5py.File(scattered, "w") as f:
        d = f.create_dataset("d", shape=big.shape, dtype="u2", chunks=(1, 1) + big_sig)
        order = np.random.default_rng(9).permutation(big_nav[0] * big_nav[1])
        for k in order:
            i, j = divmod(int(k), big_nav[1])
            d.id.write_direct_chunk((i, j, 0, 0), big[i, j].tobytes())
    check(tmp, scattered + ":/d", big, "one-frame chunks in shuffled order")

    # A userblock in front of the HDF5 data shifts every address.
    ub = os.path.join(tmp, "userblock.h5")
    with h5py.File(ub, "w", userblock_size=1024) as f:
        f["c"] = data
        f.create_dataset("g", data=data, chunks=(1, 1) + sig, compression="gzip")
        f.create_dataset("u", data=data, chunks=(2, 2, 5, 4))
    check(tmp, ub + ":/c", data, "contiguous after a userblock")
    check(tmp, ub + ":/g", data, "gzip after a userblock")
    check(tmp, ub + ":/u", data, "unfiltered chunks after a userblock")

    # 3-D data (Arina-like: frames along one nav dim, one frame per chunk), --nav.
    arina = os.path.join(tmp, "arina.h5")
    with h5py.File(arina, "w") as f:
        f.create_dataset("entry/data/data_000001", data=data.reshape((-1,) + sig),
                         chunks=(1,) + sig, **hdf5plugin.Bitshuffle(cname="lz4"))
    check(tmp, arina + ":/entry/data/data_000001", data, "3-D with --nav", ("--nav", "5,7"))

    # Files as the common writers lay them out; the path is found without
    # naming it (the largest dataset with at least 3 dims).
    hspy = os.path.join(tmp, "scan.hspy")
    with h5py.File(hspy, "w") as f:
        f.attrs["file_format"] = "HyperSpy"
        g = f.create_group("Experiments/__unnamed__")
        g.create_dataset("data", data=data, chunks=(2, 7) + sig, compression="gzip",
                         shuffle=True)
        g.create_group("axis-0").attrs["size"] = nav[0]
        f.create_dataset("Experiments/__unnamed__/metadata/thumbnail", data=np.zeros((4, 4)))
    check(tmp, hspy, data, "HyperSpy without a path")
    check(tmp, hspy + ":/Experiments/__unnamed__/data", data, "HyperSpy with the path")
    emd = os.path.join(tmp, "scan.emd")
    with h5py.File(emd, "w") as f:
        root = f.create_group("4DSTEM_experiment")
        root.attrs["version_major"] = 0
        cube = root.create_group("data/datacubes/datacube_0")
        cube.attrs["emd_group_type"] = 1
        cube.create_dataset("data", data=data)
        for i, n in enumerate(nav + sig):
            cube.create_dataset("dim%d" % (i + 1), data=np.arange(n))
    check(tmp, emd + ":/4DSTEM_experiment/data/datacubes/datacube_0/data", data, "py4DSTEM EMD")
    nxs = os.path.join(tmp, "scan.nxs")
    with h5py.File(nxs, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        d = entry.create_group("data")
        d.attrs["NX_class"] = "NXdata"
        d.attrs["signal"] = "counts"
        d.create_dataset("counts", data=data, chunks=(1, 1) + sig, compression="gzip")
        d.create_dataset("big_3d_decoy", data=np.zeros((2, 2, 2), np.uint8))
    check(tmp, nxs + ":/entry/data/counts", data, "NeXus")
    p = run("run", "sumsig", "--data", nxs + ":/entry/data", "-o", os.path.join(tmp, "x.h5"),
            expect=3)
    if "group, not a dataset" not in p.stderr or "/entry/data/counts" not in p.stderr:
        fail("a NeXus group as the path should point at its @signal:\n" + p.stderr)
print("ok")
