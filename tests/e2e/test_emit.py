"""`udfc emit ast|ir|llvm|asm` prints each stage for every standard-library
UDF: the AST names the udf, the loop IR has its tile entry point, the LLVM IR
defines it and carries the descriptor, the assembly has its symbol."""
import glob
import os
import sys

from udftest import fail, run

stdlib = sys.argv[1]
files = sorted(glob.glob(os.path.join(stdlib, "*.udf")))
if len(files) < 12:
    fail("expected the 12 standard-library udfs, found %d" % len(files))
for path in files:
    name = os.path.basename(path)[:-4]
    tile = "udf_%s__u16_tile" % name
    expect = {
        "ast": "udf %s {" % name,
        "ir": "tile " + tile,
        "llvm": "define void @" + tile,
        "asm": tile + ":",
    }
    for stage, needle in expect.items():
        out = run("emit", stage, path).stdout
        if needle not in out:
            fail("udfc emit %s %s: output lacks %r" % (stage, path, needle))
    if "@udf_module" not in run("emit", "llvm", path).stdout:
        fail("udfc emit llvm %s: no udf_module descriptor" % path)
    f64_ir = run("emit", "ir", path, "--dtype", "f64").stdout
    if "udf_%s__f64_tile" % name not in f64_ir:
        fail("udfc emit ir --dtype f64 %s: no f64 kernel" % path)
run("emit", "bytecode", files[0], expect=2)
print("ok")
