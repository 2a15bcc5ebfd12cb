"""`udfc emit ast|ir|llvm|asm` prints each stage for every standard-library
UDF: the AST names the udf, the loop IR has its tile entry point, the LLVM IR
defines it and carries the descriptor, the assembly has its symbol. The tile
of every udf but radial_profile (a scatter) is vectorised for u16 and f32
data: a change in code generation that stops LLVM vectorising shows here,
not only in bench/."""
import glob
import os
import re
import sys

from udftest import fail, run, tempdir

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
    for dtype in ("u16", "f32"):
        llvm = run("emit", "llvm", path, "--dtype", dtype).stdout
        # The tile and its pieces (loops a large tile has in functions of their
        # own, compiler/lir_outline.h).
        bodies = re.findall(r"^define (?:hidden )?void @\"?udf_%s__%s_tile(?:\.piece\d)?\"?\(.*?^}"
                            % (name, dtype), llvm, re.M | re.S)
        vectorised = bodies and re.search(r"<\d+ x ", "".join(bodies))
        if name != "radial_profile" and not vectorised:
            fail("udfc emit llvm %s --dtype %s: the tile has no vector code" % (path, dtype))
    f64_ir = run("emit", "ir", path, "--dtype", "f64").stdout
    if "udf_%s__f64_tile" % name not in f64_ir:
        fail("udfc emit ir --dtype f64 %s: no f64 kernel" % path)
# Each kind of reduction over the frame, alone in its tile, is vectorised.
with tempdir() as tmp:
    for reduction in ("sum", "max", "min", "mean"):
        src = os.path.join(tmp, reduction + ".udf")
        with open(src, "w") as f:
            f.write("udf r {\n    nav f64 v;\n    frame {\n        v = %s(frame);\n    }\n}\n"
                    % reduction)
        for dtype in ("u16", "f32", "f64"):
            llvm = run("emit", "llvm", src, "--dtype", dtype).stdout
            if not re.search(r"<\d+ x ", llvm):
                fail("%s(frame) on %s data is not vectorised" % (reduction, dtype))
run("emit", "bytecode", files[0], expect=2)

# Corrections in the loads (--corrections): the kernel of u16 frames with dark
# and gain is compiled for f32, loads u16 elements and the two planes after
# the params (sum has none: param0 and param1), and is still vectorised.
sum_udf = [f for f in files if f.endswith("/sum.udf")][0]
ir = run("emit", "ir", sum_udf, "--dtype", "u16", "--corrections", "dark+gain").stdout
for needle in ("tile udf_sum__u16_dark_gain_tile", "load.u16 frame", "load.f32 param0",
               "load.f32 param1"):
    if needle not in ir:
        fail("udfc emit ir --corrections dark+gain: output lacks %r\n%s" % (needle, ir))
ir = run("emit", "ir", sum_udf, "--corrections", "gain", "--dtype", "i32").stdout
if "udf_sum__i32_gain_tile" not in ir or "load.f64 param1" not in ir or "param0" in ir:
    fail("udfc emit ir --dtype i32 --corrections gain: expected f64 gain only\n" + ir)
llvm = run("emit", "llvm", sum_udf, "--corrections", "dark").stdout
if not re.search(r"<\d+ x ", llvm):
    fail("udfc emit llvm --corrections dark: the tile has no vector code")
for bad in (["--corrections", "flat"], ["--corrections", "dark,gain"], ["--corrections"]):
    run("emit", "ir", sum_udf, *bad, expect=2)

# com's frame coordinates reach float through i32 (kernel_abi.h
# UDF_MAX_SIG_DIM): the loop vectorises an i32 induction, not i64 ones.
com_udf = [f for f in files if f.endswith("/com.udf")][0]
ir = run("emit", "ir", com_udf, "--dtype", "u16").stdout
if not re.search(r"f32\(i32\(x\d+\)\)", ir) or re.search(r"f32\(x\d+\)", ir):
    fail("udfc emit ir com.udf: x reaches f32 other than through i32\n" + ir)
print("ok")
