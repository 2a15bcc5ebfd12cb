"""Bad HDF5 files and specs: each exits 3 with one `udfc: error:` line naming
the file (and dataset) and the reason, never crashes, and leaves no output.
Among them: unfiltered chunks stored with the wrong size (which HDF5 would
copy past the chunk's buffer)."""
import os

import h5py
import numpy as np

from udftest import expect_no_output, tempdir


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

    # Unfiltered chunks stored with more or fewer bytes than a chunk holds
    # (HDF5 reports their nominal size unless asked for the index's).
    for name, stored in (("oversize", b"\x01" * 1000), ("undersize", b"abc")):
        sized = os.path.join(tmp, name + ".h5")
        with h5py.File(sized, "w") as f:
            d = f.create_dataset("d", shape=(2, 2, 16, 16), dtype="u2", chunks=(1, 1, 16, 16))
            for i in range(2):
                for j in range(2):
                    d.id.write_direct_chunk((i, j, 0, 0), stored if (i, j) == (1, 0) else
                                            data[i, j].tobytes())
        expect_data_error(tmp, sized, sized, "chunk at (1, 0, 0, 0)",
                          "wrong size for an unfiltered chunk")
print("ok")
