"""Bad data files: each exits 3 with one `udfc: error:` line naming the file
and the problem, and leaves no output file behind."""
import os

import numpy as np

from udftest import expect_no_output, tempdir


def expect_data_error(tmp, data_args, *needles):
    expect_no_output(tmp, ["sumsig"] + data_args, 3, *needles)


with tempdir() as tmp:
    data = np.arange(4 * 5 * 6 * 7, dtype=np.uint16).reshape(4, 5, 6, 7)

    missing = os.path.join(tmp, "missing.npy")
    expect_data_error(tmp, ["--data", missing], missing, "No such file")

    truncated = os.path.join(tmp, "truncated.npy")
    np.save(truncated, data)
    with open(truncated, "r+b") as f:
        f.truncate(os.path.getsize(truncated) - 100)
    expect_data_error(tmp, ["--data", truncated], truncated, "truncated")

    not_npy = os.path.join(tmp, "text.npy")
    with open(not_npy, "w") as f:
        f.write("this is not numpy\n")
    expect_data_error(tmp, ["--data", not_npy], not_npy, "not a valid .npy")

    fortran = os.path.join(tmp, "fortran.npy")
    np.save(fortran, np.asfortranarray(data))
    expect_data_error(tmp, ["--data", fortran], fortran, "Fortran order")

    # Headers numpy itself refuses: a type with junk after its size, a
    # fortran_order that is not True or False; and a structured type, named
    # as such.
    plain = os.path.join(tmp, "plain.npy")
    np.save(plain, data)
    good = open(plain, "rb").read()
    for name, old, new, needle in (
            ("junk_descr", b"'<u2'", b"'<u2x'", "'<u2x', which udf does not read"),
            ("fortran_one", b"'fortran_order': False", b"'fortran_order': 1    ",
             "'fortran_order' is neither True nor False")):
        bent = os.path.join(tmp, name + ".npy")
        assert old in good
        with open(bent, "wb") as f:
            f.write(good.replace(old, new, 1))
        expect_data_error(tmp, ["--data", bent], bent, needle)
    structured = os.path.join(tmp, "structured.npy")
    np.save(structured, np.zeros((4, 5, 6, 7), dtype=[("a", "<u2"), ("b", "<f4")]))
    expect_data_error(tmp, ["--data", structured], structured, "structured elements")

    complex_npy = os.path.join(tmp, "complex.npy")
    np.save(complex_npy, data.astype(np.complex64))
    expect_data_error(tmp, ["--data", complex_npy], complex_npy, "c8")

    too_few_dims = os.path.join(tmp, "flat.npy")
    np.save(too_few_dims, data[0, 0])
    expect_data_error(tmp, ["--data", too_few_dims], too_few_dims, "nav dim")

    raw = os.path.join(tmp, "frames.raw")
    data.tofile(raw)
    expect_data_error(tmp, ["--data", raw, "--dtype", "u16", "--nav", "4,5", "--sig", "6,8"],
                      raw, "1680 bytes, not a whole number of 96-byte frames")
    expect_data_error(tmp, ["--data", raw, "--dtype", "u16", "--nav", "4,5", "--sig", "6,7",
                            "--offset", "2000"], raw, "1680 bytes, fewer than --offset 2000")
    expect_data_error(tmp, ["--data", tmp, "--dtype", "u16", "--nav", "4,5", "--sig", "6,7"],
                      tmp, "not a regular file")
print("ok")
