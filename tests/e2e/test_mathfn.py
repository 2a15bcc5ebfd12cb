"""Math functions the compiler writes out as IR (compiler/mathfn.c, used for
CPUs without a vector library), on values that cover their range and special
cases: ln of f32 in an x86-64-v2 build within 1 ulp of the correctly rounded
logarithm (numpy's f64 log rounded to f32; numpy's own f32 log is up to 4 ulp
off), the JIT's (libmvec on AVX2 machines) within 4; both exact for 0, inf,
negatives and NaN."""
import os
import subprocess

import numpy as np

from udftest import fail, read, run, tempdir

LOG_UDF = """
udf ln {
    sig f32 value;
    frame {
        value += log(frame);
    }
}
"""

rng = np.random.default_rng(3)
special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-45, 1e-40, 1.17549435e-38,
                    3.4028235e38, 0.70710677, 0.7071068, 1.0000001, 0.99999994, 2.0, 0.5,
                    65535.0, 65536.0], dtype=np.float32)
spread = np.exp(rng.uniform(-100, 88, 20000)).astype(np.float32)
near_one = (1 + rng.uniform(-0.3, 0.3, 20000)).astype(np.float32)
integers = np.arange(1, 65537, dtype=np.float32)
values = np.concatenate([special, spread, near_one, integers])


def check_log(actual, max_ulp, what):
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.log(values.astype(np.float64)).astype(np.float32)
    same_class = (np.isnan(actual) == np.isnan(expected)) & \
                 (np.isinf(actual) == np.isinf(expected))
    if not same_class.all():
        i = int(np.argmin(same_class))
        fail("%s: ln(%r) = %r, should be %r" % (what, values[i], actual[i], expected[i]))
    inf = np.isinf(expected)
    if (actual[inf] != expected[inf]).any():
        fail("%s: ln of 0 or inf has the wrong sign" % what)
    finite = np.isfinite(expected)
    ulps = np.abs(actual[finite].view(np.int32).astype(np.int64)
                  - expected[finite].view(np.int32).astype(np.int64))
    worst = int(ulps.max())
    if worst > max_ulp:
        i = int(np.argmax(ulps))
        fail("%s: ln(%r) = %r is %d ulp from the exact %r"
             % (what, values[finite][i], actual[finite][i], worst, expected[finite][i]))
    return worst


with tempdir() as tmp:
    src = os.path.join(tmp, "ln.udf")
    with open(src, "w") as f:
        f.write(LOG_UDF)
    path = os.path.join(tmp, "values.npy")
    np.save(path, values.reshape(1, 1, -1))
    # The baseline CPU has no vector library: the log written out in IR.
    lib = os.path.join(tmp, "ln.so")
    run("build", src, "--cpu", "x86-64-v2", "--dtype", "f32", "-o", lib)
    out = os.path.join(tmp, "aot.h5")
    p = subprocess.run([os.environ["UDFRUN"], lib, "--data", path, "--sig-dims", "1", "-o", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        fail("udfrun failed: %s" % p.stderr)
    worst = check_log(read(out, "ln", "value").ravel(), 1, "x86-64-v2 build")
    # The JIT for this machine (libmvec's log where it has AVX2).
    out = os.path.join(tmp, "jit.h5")
    run("run", src, "--data", path, "--sig-dims", "1", "-o", out)
    worst_jit = check_log(read(out, "ln", "value").ravel(), 4, "JIT")
print("ok, worst %d ulp (x86-64-v2), %d ulp (JIT)" % (worst, worst_jit))
