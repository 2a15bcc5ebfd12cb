"""Bad --param values and data that a udf cannot work on: each exits with
SPEC §3's code (2 for options and values, 3 for files and shapes), prints one
`udfc: error:` line saying what is wrong, and leaves no output file. Params
with a range (`in [lo, hi]`) are checked when given and when defaulted, by
udfc and by udfrun."""
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
           "has shape (3,)")
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
print("ok")
