"""Ahead-of-time kernels: `udfc build` a shared library of every stdlib udf,
run it with `udfrun` (which links no LLVM) and compare with `udfc run`:
bit-identical for a --cpu native build (the JIT's code), within float
rounding for the default x86-64-v2 build. Also the frame-type fallback, the
header, and kernels udfrun must refuse (not a library, no descriptor, another
ABI version, a frame type it was not built for, an unknown udf); and a build
killed while linking leaves no temporary."""
import os
import signal
import subprocess
import time

from udftest import (STDLIB, UDFC, check_equal, compare_files, fail, read, run, stdlib_scan,
                     tempdir, udfrun)

UDFRUN = os.environ["UDFRUN"]


ldd = subprocess.run(["ldd", UDFRUN], capture_output=True, text=True).stdout
if "LLVM" in ldd or "llvm" in ldd:
    fail("udfrun links LLVM:\n" + ldd)

with tempdir() as tmp:
    path, params, reference = stdlib_scan(tmp, 3)
    for cpu, exact in (("native", True), ("x86-64-v2", False)):
        lib = os.path.join(tmp, "kernels-%s.so" % cpu)
        header = os.path.join(tmp, "kernels-%s.h" % cpu)
        run("build", *STDLIB, "-o", lib, "--header", header, "--cpu", cpu)
        out = os.path.join(tmp, "aot-%s.h5" % cpu)
        udfrun(lib, "--data", path, "-o", out, *params)
        compare_files(out, reference, exact, "udfrun (%s) vs udfc run" % cpu)
    # One large udf alone: its tile compiles in pieces (compiler/lir_outline.h)
    # on two threads, the same code as in the library built with every udf
    # (logsum: a float sum of logs, whose last bits follow the code).
    alone = os.path.join(tmp, "alone.h5")
    run("run", "logsum", "--data", path, "-o", alone)
    check_equal(read(alone, "logsum", "logsum"),
                read(os.path.join(tmp, "aot-native.h5"), "logsum", "logsum"),
                "logsum alone (udfc run) vs the native library of every udf")
    text = open(header).read()
    for needle in ("extern const udf_module_desc udf_module;", "udf masks", "param sig float masks[n]",
                   "result: nav float intensity[n]"):
        if needle not in text:
            fail("header lacks %r" % needle)
    probe = os.path.join(tmp, "probe.c")
    with open(probe, "w") as f:
        f.write('#include "%s"\nint main(void) { return udf_module.n_kernels > 0 ? 0 : 1; }\n' % header)
    include = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime", "include")
    exe = os.path.join(tmp, "probe")
    subprocess.run(["cc", "-I", include, probe, os.path.join(tmp, "kernels-native.so"), "-o", exe],
                   check=True)
    if subprocess.run([exe], env=dict(os.environ, LD_LIBRARY_PATH=tmp)).returncode != 0:
        fail("a program linked with the library sees no kernels")

    # One udf, by name; kernels built only for f32 run u16 data converted.
    only_f32 = os.path.join(tmp, "f32.so")
    run("build", "sum", "sumsig", "-o", only_f32, "--dtype", "f32")
    out = os.path.join(tmp, "f32.h5")
    udfrun(only_f32, "--udf", "sumsig", "--data", path, "-o", out)
    check_equal(read(out, "sumsig", "intensity"), read(reference, "sumsig", "intensity"),
                "sumsig from f32 kernels")

    # Refusals.
    out = os.path.join(tmp, "refused.h5")
    only_f64 = os.path.join(tmp, "f64.so")
    run("build", "sum", "-o", only_f64, "--dtype", "f64")
    p = udfrun(only_f64, "--data", path, "-o", out, expect=3)
    if "built for f64 frames, not for the u16 frames" not in p.stderr:
        fail("no clear message for missing kernels:\n" + p.stderr)
    p = udfrun(only_f32, "--udf", "nope", "--data", path, "-o", out, expect=2)
    if "no udf 'nope'" not in p.stderr:
        fail("unknown --udf:\n" + p.stderr)
    p = udfrun(path, "--data", path, "-o", out, expect=3)
    if "cannot load kernels" not in p.stderr:
        fail("a non-library:\n" + p.stderr)
    p = udfrun("/lib/x86_64-linux-gnu/libm.so.6", "--data", path, "-o", out, expect=3)
    if "not a kernel library" not in p.stderr:
        fail("a library without kernels:\n" + p.stderr)
    # Other ABI versions: patch the descriptor's first field in the file.
    def with_abi(library, version, name):
        nm = subprocess.run(["nm", "-D", library], capture_output=True, text=True).stdout
        address = int([l for l in nm.splitlines() if l.endswith(" udf_module")][0].split()[0], 16)
        sections = subprocess.run(["objdump", "-h", library], capture_output=True, text=True).stdout
        offset = None
        for line in sections.splitlines():
            cols = line.split()
            if len(cols) >= 6 and cols[1].startswith("."):
                vma, off, size = int(cols[3], 16), int(cols[5], 16), int(cols[2], 16)
                if vma <= address < vma + size:
                    offset = off + address - vma
        patched = os.path.join(tmp, name)
        blob = bytearray(open(library, "rb").read())
        blob[offset:offset + 4] = version.to_bytes(4, "little")
        open(patched, "wb").write(bytes(blob))
        return patched

    p = udfrun(with_abi(only_f32, 999, "future.so"), "--data", path, "-o", out, expect=3)
    if "kernel ABI version 999" not in p.stderr:
        fail("an ABI mismatch:\n" + p.stderr)
    if os.path.exists(out):
        fail("a refused run left an output file")
    # Versions 5 (before fused kernels) and 6 (before UDF_MAX_SIG_DIM) still
    # load; a version-5 one with a fused kernel claiming it is damaged.
    for version in (5, 6):
        udfrun(with_abi(only_f32, version, "v%d.so" % version), "--data", path, "-o", out)
        os.remove(out)
    fused = os.path.join(tmp, "fused.so")
    run("build", "sum", "-o", fused, "--dtype", "u16", "--corrections", "dark")
    p = udfrun(with_abi(fused, 5, "v5_fused.so"), "--data", path, "-o", out, expect=3)
    if "damaged kernel descriptor (udf 'sum'" not in p.stderr:
        fail("a version-5 module with a fused kernel:\n" + p.stderr)

    # $CC is split into words, as make does; options take VALUE or =VALUE.
    words_so = os.path.join(tmp, "words.so")
    p = subprocess.run([UDFC, "build", "sum", "-o=" + words_so, "--dtype=u16,f32"],
                       capture_output=True, text=True,
                       env=dict(os.environ, CC="cc  -Wl,--as-needed"))
    if p.returncode != 0 or not os.path.exists(words_so):
        fail("CC with flags: exit %d\n%s" % (p.returncode, p.stderr))

    # SIGTERM while the C compiler links the library: no temporary remains,
    # neither the library's nor the object linked into it.
    interrupted = os.path.join(tmp, "interrupted")
    os.mkdir(interrupted)
    slow_cc = os.path.join(interrupted, "slow_cc.sh")
    with open(slow_cc, "w") as f:
        f.write("#!/bin/sh\nsleep 5\nexec cc \"$@\"\n")
    os.chmod(slow_cc, 0o755)
    proc = subprocess.Popen([UDFC, "build", "sum", "-o", os.path.join(interrupted, "k.so"),
                             "--header", os.path.join(interrupted, "k.h")],
                            env=dict(os.environ, CC=slow_cc), start_new_session=True,
                            stderr=subprocess.DEVNULL)
    for _ in range(200):  # until the object to link exists (compiled, linking)
        if any(".tmp-" in name for name in os.listdir(interrupted)):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait()
    left = sorted(set(os.listdir(interrupted)) - {"slow_cc.sh"})
    if proc.returncode != -signal.SIGTERM or left:
        fail("udfc build killed while linking: exit %d, left %s" % (proc.returncode, left))
print("ok")
