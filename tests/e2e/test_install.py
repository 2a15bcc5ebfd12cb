"""Deployment: install the project into a temporary prefix, build
examples/aot there as an outside project (find_package(udfrt), kernels from
the installed udfc, which loads the installed code generator module), run it,
and compare its results with `udfc run`."""
import os
import subprocess
import sys

import numpy as np

from udftest import check_close, fail, random_data, read, run, tempdir

build_dir, source_dir = sys.argv[1], sys.argv[2]
# A sanitizer build installs an instrumented libudfrt: the example needs the
# same flags.
c_flags = sys.argv[3] if len(sys.argv) > 3 else ""


def sh(*cmd, **kw):
    p = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if p.returncode != 0:
        fail("%s\nfailed:\n%s\n%s" % (" ".join(cmd), p.stdout[-2000:], p.stderr[-2000:]))
    return p


with tempdir() as tmp:
    prefix = os.path.join(tmp, "prefix")
    sh("cmake", "--install", build_dir, "--prefix", prefix)
    example = os.path.join(tmp, "example")
    env = dict(os.environ, UDF_CACHE_DIR="off")
    sh("cmake", "-S", os.path.join(source_dir, "examples", "aot"), "-B", example,
       "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_C_FLAGS=" + c_flags, env=env)
    sh("cmake", "--build", example, env=env)

    data = random_data("u16", (6, 7, 16, 15), seed=9) % 3000
    path = os.path.join(tmp, "scan.npy")
    np.save(path, data)
    aot_out = os.path.join(tmp, "aot.h5")
    p = sh(os.path.join(example, "aot_example"), path, aot_out)
    if "42 frames" not in p.stdout:
        fail("unexpected output:\n" + p.stdout)
    # The installed udfc compiles with the installed code generator module.
    p = subprocess.run([os.path.join(prefix, "bin", "udfc"), "emit", "asm", "sum"],
                       capture_output=True, text=True, env=dict(env, LD_DEBUG="files"))
    loaded = [line for line in p.stderr.splitlines() if "file=" in line and "libudfc_llvm" in line]
    if p.returncode != 0 or not loaded or prefix not in loaded[0]:
        fail("the installed udfc did not load its installed code generator:\n%s"
             % "\n".join(loaded or p.stderr.splitlines()[-5:]))
    jit_out = os.path.join(tmp, "jit.h5")
    run("run", "sumsig", "com", "--data", path, "-o", jit_out)
    for udf, buffers in (("sumsig", ["intensity"]), ("com", ["raw_com", "field", "divergence"])):
        for b in buffers:
            want = read(jit_out, udf, b)
            check_close(read(aot_out, udf, b), want, "example %s/%s" % (udf, b), rtol=1e-5,
                        atol=1e-5 * max(float(np.abs(want).max()), 1.0))
print("ok")
