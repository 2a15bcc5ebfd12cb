"""Bad HDF5 files and specs: each exits 3 with one `udfc: error:` line naming
the file (and dataset) and the reason, never crashes, and leaves no output.
Also: unfiltered chunks stored with the wrong size (read as h5py reads them,
not copied past the chunk's buffer), virtual datasets with a missing source file
or dataset, and external raw storage in a missing or short file."""
import os

import h5py
import numpy as np

from udftest import check_equal, expect_error, expect_no_output, fail, read, run, tempdir


def expect_data_error(tmp, spec, *needles):
    expect_no_output(tmp, ["sumsig", "--data", spec], 3, *needles)


data = np.arange(4 * 5 * 16 * 16, dtype=np.uint16).reshape(4, 5, 16, 16)

with tempdir() as tmp:
    path = os.path.join(tmp, "f.h5")
    with h5py.File(path, "w") as f:
        f["small"] = np.zeros((3, 3))
        f.create_dataset("gz", data=data, chunks=(1, 1, 16, 16), compression="gzip")
        f.create_dataset("raw", data=data, chunks=(1, 1, 16, 16))
        f["strings"] = np.array([[[b"a"]]])
        f.create_group("group")
    expect_data_error(tmp, path + ":/nope", path, "/nope")
    expect_data_error(tmp, path + ":nope", path, "must start with '/'")
    expect_data_error(tmp, path + ":/group", "/group", "group, not a dataset")
    expect_data_error(tmp, path + ":/small", "2 dims")
    expect_data_error(tmp, path + ":/strings", "element type")

    # Enums other than h5py's bool (FALSE=0, TRUE=1) are not read as bool,
    # neither as data nor as a correction.
    enums = os.path.join(tmp, "enums.h5")
    with h5py.File(enums, "w") as f:
        for name, values in (("five_seven", {"A": 5, "B": 7}), ("three", {"A": 0, "B": 1, "C": 2})):
            kind = h5py.enum_dtype(values, basetype="i1")
            f.create_dataset(name, data=np.full((2, 2, 4, 4), 7 if name == "five_seven" else 2),
                             dtype=kind)
            f.create_dataset(name + "_2d", data=np.full((16, 16), 1), dtype=kind)
    for name in ("five_seven", "three"):
        expect_data_error(tmp, enums + ":/" + name, enums, "element type")
        expect_no_output(tmp, ["sumsig", "--data", path + ":/raw", "--dark",
                               enums + ":/" + name + "_2d"], 3, enums, name + "_2d")
    expect_data_error(tmp, os.path.join(tmp, "missing.h5"), "missing.h5", "No such file")

    flat = os.path.join(tmp, "flat.h5")
    with h5py.File(flat, "w") as f:
        f["a"] = np.zeros((4, 4))
    expect_data_error(tmp, flat, flat, "no numeric dataset with at least 3 dims")

    text = os.path.join(tmp, "text.h5")
    with open(text, "w") as f:
        f.write("not hdf5\n" * 100)
    expect_data_error(tmp, text, text, "not a readable HDF5 file")

    truncated = os.path.join(tmp, "truncated.h5")
    with h5py.File(truncated, "w") as f:
        f["d"] = data
    with open(truncated, "r+b") as f:
        f.truncate(os.path.getsize(truncated) - 1000)
    expect_data_error(tmp, truncated + ":/d", truncated, "truncated")

    # Corrupt compressed and uncompressed chunks: overwrite stored bytes.
    corrupt = os.path.join(tmp, "corrupt.h5")
    with h5py.File(corrupt, "w") as f:
        f.create_dataset("gz", data=data, chunks=(1, 1, 16, 16), compression="gzip")
    with h5py.File(corrupt, "r") as f:
        info = f["gz"].id.get_chunk_info(3)
    with open(corrupt, "r+b") as f:
        f.seek(info.byte_offset + 2)
        f.write(b"\xff" * 40)
    expect_data_error(tmp, corrupt + ":/gz", corrupt, "corrupt: corrupt deflate data")

    # A filter that no one can decode: written as raw chunks with the
    # filter in the pipeline (write_direct_chunk skips the filter).
    unknown = os.path.join(tmp, "unknown.h5")
    with h5py.File(unknown, "w") as f:
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((1, 1, 16, 16))
        dcpl.set_filter(32099, h5py.h5z.FLAG_OPTIONAL, ())
        space = h5py.h5s.create_simple(data.shape)
        dsid = h5py.h5d.create(f.id, b"d", h5py.h5t.STD_U16LE, space, dcpl=dcpl)
        dset = h5py.Dataset(dsid)
        for i in range(4):
            for j in range(5):
                dset.id.write_direct_chunk((i, j, 0, 0), data[i, j].tobytes())
    expect_data_error(tmp, unknown + ":/d", unknown, "32099", "neither udf nor")

    # Unfiltered chunks whose index records more or fewer bytes than a chunk
    # holds: read as HDF5 reads them without a chunk cache (a chunk's nominal
    # size from where it starts), never copied past the frames' buffer
    # (H5Dread_chunk would). h5py, through a cache, reads the 3 bytes of the
    # short one and zeros; udf the bytes that follow them in the file.
    for name, stored in (("oversize", b"\x01" * 1000), ("undersize", b"abc")):
        sized = os.path.join(tmp, name + ".h5")
        with h5py.File(sized, "w") as f:
            d = f.create_dataset("d", shape=(2, 2, 16, 16), dtype="u2", chunks=(1, 1, 16, 16))
            for i in range(2):
                for j in range(2):
                    d.id.write_direct_chunk((i, j, 0, 0), stored if (i, j) == (0, 1) else
                                            data[i, j].tobytes())
        with h5py.File(sized, "r") as f:
            want = f["d"][()].reshape(4, -1).astype(np.float64).sum(axis=1)
        out = os.path.join(tmp, name + "_out.h5")
        run("run", "sumsig", "--data", sized, "-o", out)
        got = read(out, "sumsig", "intensity").ravel()
        same = slice(None) if name == "oversize" else [0, 2, 3]
        check_equal(got[same], want.astype(np.float32)[same],
                    "unfiltered chunks beside one stored with %d bytes" % len(stored))
        os.remove(out)

    # Files the values live in besides the dataset's own: HDF5 reads fill
    # values where a virtual source is missing or an external file is short.
    src = os.path.join(tmp, "sub", "src.h5")
    os.makedirs(os.path.dirname(src))
    with h5py.File(src, "w") as f:
        f["data"] = data[:2]
    vds = os.path.join(tmp, "sub", "vds.h5")
    for name, source, ds_name in (("ok", "src.h5", "data"), ("missing_file", "gone.h5", "data"),
                                  ("missing_dataset", "src.h5", "nope")):
        layout = h5py.VirtualLayout(shape=data.shape, dtype=data.dtype)
        layout[:2] = h5py.VirtualSource(src, "data", shape=(2, 5, 16, 16))
        layout[2:] = h5py.VirtualSource(source, ds_name, shape=(2, 5, 16, 16))
        with h5py.File(vds, "a") as f:
            f.create_virtual_dataset(name, layout, fillvalue=0)
    # The second source is named relative to the virtual dataset's directory,
    # found from another working directory.
    with h5py.File(vds, "r") as f:
        want = f["ok"][()].reshape(20, -1).astype(np.float64).sum(axis=1)
    assert (want[10:] == data.reshape(20, -1)[:10].sum(axis=1)).all()
    out = os.path.join(tmp, "vds_out.h5")
    run("run", "sumsig", "--data", vds + ":/ok", "-o", out, cwd=tmp)
    check_equal(read(out, "sumsig", "intensity").ravel(), want.astype(np.float32),
                "virtual dataset with a source beside it")
    os.remove(out)
    expect_data_error(tmp, vds + ":/missing_file", vds, "source file 'gone.h5' is missing")
    expect_data_error(tmp, vds + ":/missing_dataset", vds, "src.h5", "no dataset 'nope'")

    raw_bytes = data.tobytes()
    for name, size in (("short", 1000), ("whole", len(raw_bytes))):
        with open(os.path.join(tmp, name + ".bin"), "wb") as f:
            f.write(raw_bytes[:size])
    external = os.path.join(tmp, "external.h5")
    with h5py.File(external, "w") as f:
        for name in ("short", "whole", "gone"):  # whole.bin relative to the working directory
            stored = name + ".bin" if name == "whole" else os.path.join(tmp, name + ".bin")
            f.create_dataset(name, shape=data.shape, dtype=data.dtype,
                             external=[(stored, 0, len(raw_bytes))])
    run("run", "sumsig", "--data", external + ":/whole", "-o", out, cwd=tmp)
    check_equal(read(out, "sumsig", "intensity").ravel(),
                data.reshape(20, -1).sum(axis=1).astype(np.float32), "external raw storage")
    os.remove(out)
    expect_no_output(tmp, ["sumsig", "--data", external + ":/short"], 3, "short.bin",
                     "truncated", "bytes up to %d" % len(raw_bytes), "it has 1000")
    expect_no_output(tmp, ["sumsig", "--data", external + ":/gone"], 3, "gone.bin", "missing")
    # Only the bytes the dataset reads count: a segment declared longer than
    # needed, and a segment after the last one needed (missing), are fine.
    with h5py.File(external, "a") as f:
        f.create_dataset("roomy", shape=data.shape, dtype=data.dtype,
                         external=[(os.path.join(tmp, "whole.bin"), 0, 2 * len(raw_bytes))])
        f.create_dataset("spare", shape=data.shape, dtype=data.dtype,
                         external=[(os.path.join(tmp, "whole.bin"), 0, len(raw_bytes)),
                                   (os.path.join(tmp, "never.bin"), 0, 100)])
    for name in ("roomy", "spare"):
        run("run", "sumsig", "--data", external + ":/" + name, "-o", out)
        check_equal(read(out, "sumsig", "intensity").ravel(),
                    data.reshape(20, -1).sum(axis=1).astype(np.float32), "external: " + name)
        os.remove(out)
    # The external file is an input: no output replaces it.
    expect_error(3, ["whole.bin': it is an input of this run"], "run", "sumsig", "--data",
                 external + ":/roomy", "-o", os.path.join(tmp, "whole.bin"))
    if open(os.path.join(tmp, "whole.bin"), "rb").read() != raw_bytes:
        fail("a refused output changed the external data file")

    # The file behind an external link holds the frames, contiguous or
    # chunked, that are read without the library: it is an input too.
    target = os.path.join(tmp, "target.h5")
    with h5py.File(target, "w") as f:
        f.create_dataset("chunked", data=data, chunks=(1, 1, 16, 16))
        f.create_dataset("contiguous", data=data)
    linked = os.path.join(tmp, "linked.h5")
    with h5py.File(linked, "w") as f:
        for name in ("chunked", "contiguous"):
            f[name] = h5py.ExternalLink("target.h5", "/" + name)
    before = open(target, "rb").read()
    for name in ("chunked", "contiguous"):
        expect_error(3, ["target.h5': it is an input of this run"], "run", "sumsig", "--data",
                     linked + ":/" + name, "-o", target)
    if open(target, "rb").read() != before:
        fail("a refused output changed the file behind an external link")
print("ok")
