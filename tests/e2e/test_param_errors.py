"""Bad --param values and data that a udf cannot work on: each exits with
SPEC §3's code (2 for options and values, 3 for files and shapes), prints one
`udfc: error:` line saying what is wrong, and leaves no output file. Params
with a range (`in [lo, hi]`) are checked when given and when defaulted, by
udfc and by udfrun. Integer params keep their exact values (no trip through
a double), and list items of any length are read whole."""
import os
import subprocess

import h5py
import numpy as np

from udftest import expect_no_output, fail, run, tempdir


def expect(tmp, code, args, *needles):
    expect_no_output(tmp, args, code, *needles)


with tempdir() as tmp:
    data = np.zeros((3, 4, 5, 6), np.uint16)
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    flat = os.path.join(tmp, "flat.npy")
    np.save(flat, np.zeros((12, 30), np.uint16))
    good = os.path.join(tmp, "masks.npy")
    np.save(good, np.ones((2, 5, 6), np.float32))
    bad = os.path.join(tmp, "bad_masks.npy")
    np.save(bad, np.ones((2, 6, 5), np.float32))
    h5 = os.path.join(tmp, "params.h5")
    with h5py.File(h5, "w") as f:
        f["x"] = np.arange(3)
    d = ["--data", path]

    expect(tmp, 2, ["masks"] + d, "udf 'masks' needs --param masks=@FILE.npy")
    expect(tmp, 3, ["masks"] + d + ["--param", "masks=@" + tmp + "/nope.npy"], "nope.npy",
           "No such file")
    expect(tmp, 2, ["masks"] + d + ["--param", "masks=@"], "--param masks=@: name the file")
    expect(tmp, 3, ["masks"] + d + ["--param", "masks=@" + bad], "has shape (2, 6, 5)",
           "frame shape (5, 6)")
    expect(tmp, 2, ["disk"] + d + ["--param", "radius=3"], "--param radius=3", "disk.r")
    expect(tmp, 2, ["disk"] + d + ["--param", "r=abc"], "expects a number")
    expect(tmp, 2, ["radial_profile"] + d + ["--param", "nbins=2.5"], "integer")
    expect(tmp, 2, ["radial_profile"] + d + ["--param", "nbins=0"], "at least 1")
    expect(tmp, 2, ["com"] + d + ["--param", "flip_y=maybe"], "true or false")
    expect(tmp, 2, ["com"] + d + ["--param", "flip_y"], "NAME=VALUE")
    expect(tmp, 2, ["com"] + d + ["--param", "cy=@" + good], "expects one value")
    expect(tmp, 3, ["com", "--data", flat, "--sig-dims", "1"], "2 sig dims")
    three_d = os.path.join(tmp, "three.npy")
    np.save(three_d, np.zeros((12, 5, 6), np.uint16))
    expect(tmp, 3, ["com", "--data", three_d], "at least 2 nav dims")
    expect(tmp, 3, ["pick"] + d + ["--param", "indices=@" + h5 + ":/nothing"], "no dataset",
           "/nothing")
    expect(tmp, 3, ["masks", "sum"] + d + ["--param", "masks.masks=@" + h5 + ":/x"],
           "has shape (3,)", "must be its dims (n,) followed by the frame shape (5, 6)")
    transposed = os.path.join(tmp, "transposed.npy")
    np.save(transposed, np.zeros((2, 3)))
    expect(tmp, 3, ["com"] + d + ["--param", "fit_matrix=@" + transposed],
           "has shape (2, 3), but it must be (3, 2)")
    # Ranges (`in [lo, hi]`): a value given, a default computed for the data,
    # and the same check in udfrun, from the range in a built library.
    expect(tmp, 2, ["com"] + d + ["--param", "regression=2"],
           "--param regression=2: udf 'com' takes regression in [-1, 1]")
    expect(tmp, 2, ["com"] + d + ["--param", "regression=0.5"], "integer")
    ranged = os.path.join(tmp, "ranged.udf")
    with open(ranged, "w") as f:
        f.write("udf ranged {\n    param f64 r = sig_shape[0] * 2 in [0, 8];\n"
                "    nav f64 out;\n    frame { out = r; }\n}\n")
    expect(tmp, 2, [ranged] + d, "param 'r' of udf 'ranged' defaults to 10 for this data, "
           "outside [0, 8]; give --param r=VALUE")
    run("run", ranged, *d, "--param", "r=8", "-o", os.path.join(tmp, "ok.h5"))
    expect(tmp, 2, [ranged] + d + ["--param", "r=nan"], "--param r=nan: udf 'ranged' takes r in")
    expect(tmp, 2, ["com"] + d + ["--param", "regression=1.0000000001"], "integer")
    required = os.path.join(tmp, "required.udf")
    with open(required, "w") as f:
        f.write("udf required {\n    param f64 b;\n    param i64 a in [1, 2];\n"
                "    nav f64 out;\n    frame { out = b + f64(a); }\n}\n")
    expect(tmp, 2, [required] + d + ["--param", "a=1"], "udf 'required' needs --param b=VALUE (f64)")
    expect(tmp, 2, [required] + d + ["--param", "b=1"],
           "udf 'required' needs --param a=VALUE (i64 in [1, 2])")
    library = os.path.join(tmp, "ranged.so")
    run("build", ranged, "-o", library, "--dtype", "u16")
    p = subprocess.run([os.environ["UDFRUN"], library, *d, "--param", "r=-1", "-o",
                        os.path.join(tmp, "aot.h5")], capture_output=True, text=True)
    if p.returncode != 2 or "--param r=-1: udf 'ranged' takes r in [0, 8]" not in p.stderr:
        fail("udfrun with a param outside its range: exit %d\n%s" % (p.returncode, p.stderr))
    if os.path.exists(os.path.join(tmp, "aot.h5")):
        fail("udfrun left aot.h5 after refusing a param")
    run("run", "masks", *d, "--param", "masks=@" + good, "-o", os.path.join(tmp, "ok.h5"))

    # Integer params keep their exact value, beyond the 2^53 a double holds,
    # and values that do not fit the type exit 2; so do f32 values past
    # f32's largest, empty list items, and list items of any length.
    exact = os.path.join(tmp, "exact.udf")
    with open(exact, "w") as f:
        f.write("udf exact {\n    param i64 v = 0;\n    param u64 w = 0;\n    param i64 a[n];\n"
                "    param f32 x = 0;\n    nav i64 got_v;\n    nav u64 got_w;\n    nav i64 got_a[n];\n"
                "    frame { got_v = v; got_w = w; got_a[k] = a[k]; }\n}\n")
    out = os.path.join(tmp, "exact.h5")
    big = ["9007199254740993", "-9223372036854775808", "0" * 70 + "5", "1e3", "-7.0", "1e16",
           "2.50e1", "5." + "0" * 70]
    run("run", exact, *d, "-o", out, "--param", "v=9223372036854775807", "--param",
        "w=18446744073709551614", "--param", "a=" + ",".join(big))
    with h5py.File(out, "r") as f:
        got = (int(f["exact/got_v"][2, 3]), int(f["exact/got_w"][2, 3]),
               [int(x) for x in f["exact/got_a"][2, 3]])
    want = (2**63 - 1, 2**64 - 2, [2**53 + 1, -2**63, 5, 1000, -7, 10**16, 25, 5])
    if got != want:
        fail("exact integer params: got %s, want %s" % (got, want))
    e = [exact] + d + ["--param", "a=1"]
    for value, needle in (("v=9223372036854775808", "fits i64"),
                          ("v=-9223372036854775809", "fits i64"),
                          ("w=18446744073709551616", "fits u64"), ("w=-1", "fits u64"),
                          ("v=2.5", "fits i64"), ("v=1e300", "fits i64"),
                          ("v=1e-1", "fits i64"), ("v=0x10", "fits i64"),
                          ("x=1e39", "fits f32"), ("x=-3.5e38", "fits f32"),
                          ("a=1,,2", "item 2 of the list is empty"),
                          ("a=1,2,", "item 3 of the list is empty"),
                          ("a=1," + "0" * 70 + "x", "expects an integer")):
        expect(tmp, 2, e + ["--param", value], "--param " + value.split(",")[0], needle)
print("ok")
