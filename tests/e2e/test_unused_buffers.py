"""Private buffers that only another input type's branch uses (stddev's
Welford buffers on u16 data) are flagged unused in that type's kernel
(UDF_BUF_UNUSED) and allocated nowhere: a 256 MiB one costs integer runs no
memory, and the float runs that use it still get it."""
import os
import subprocess
import tempfile

import numpy as np

from udftest import UDFC, check_equal, fail, read, run, tempdir

SOURCE = """udf split {
    private single f64 scratch[%d];
    nav f64 value;
    frame {
        if is_float(input) {
            scratch[0] += sum(frame);
            value = scratch[0];
        } else {
            value = f64(sum(frame));
        }
    }
}
"""
BIG = 1 << 25  # 256 MiB of f64


def peak_rss_mb(*args):
    """Runs udfc and returns its peak resident set in MiB."""
    with tempfile.TemporaryFile("w+") as errors:
        p = subprocess.Popen([UDFC] + [str(a) for a in args], stdout=subprocess.DEVNULL,
                             stderr=errors, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors.seek(0)
            fail("udfc %s exited %d:\n%s" % (" ".join(map(str, args)), code, errors.read()))
    return usage.ru_maxrss / 1024


with tempdir() as tmp:
    small, big = os.path.join(tmp, "small.udf"), os.path.join(tmp, "big.udf")
    for path, n in ((small, 1), (big, BIG)):
        with open(path, "w") as f:
            f.write(SOURCE % n)
    rng = np.random.default_rng(4)
    data = rng.integers(0, 65536, size=(4, 6, 16, 16), dtype=np.uint16)
    path = os.path.join(tmp, "u16.npy")
    np.save(path, data)
    out = os.path.join(tmp, "out.h5")
    extra = ("--partitions", "4", "-j", "1", "-o", out)
    base = peak_rss_mb("run", small, "--data", path, *extra)
    with_big = peak_rss_mb("run", big, "--data", path, *extra)
    if with_big - base > 64:
        fail("an unused 256 MiB private buffer raised the peak RSS from %.0f to %.0f MiB"
             % (base, with_big))
    check_equal(read(out, "split", "value"), data.astype(np.float64).sum(axis=(2, 3)),
                "value (u16)")
    # f32 frames take the branch that uses the buffer: a running sum of frames.
    floats = data[:1, :3].astype(np.float32)
    path = os.path.join(tmp, "f32.npy")
    np.save(path, floats)
    run("run", small, "--data", path, "--partitions", "1", "-j", "1", "-o", out)
    sums = floats.astype(np.float64).sum(axis=(2, 3)).ravel()
    check_equal(read(out, "split", "value").ravel(), np.cumsum(sums), "value (f32)")
print("ok")
