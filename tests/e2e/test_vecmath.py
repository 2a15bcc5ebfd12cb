"""Elementwise math in frame bodies, which the loop vectoriser turns into
calls of glibc's vector math library (libmvec: its 512-bit variants on
AVX-512 hosts, compiler/vecmath.c; its 256-bit ones on AVX2 hosts), against
numpy in f64, for f32 and f64 data: exp, log, log1p, sin, cos, tan, atan2
and ** over 13 frames of 7x9 pixels (rows that are not whole vectors)."""
import os

import numpy as np

from udftest import check_close, read, run, tempdir

UDF = """
udf fns {
    sig float ex;
    sig float ln;
    sig float lp;
    sig float sn;
    sig float cs;
    sig float tn;
    sig float at;
    sig float pw;
    frame {
        ex += exp(frame);
        ln += log(frame);
        lp += log1p(frame);
        sn += sin(frame);
        cs += cos(frame);
        tn += tan(frame);
        at += atan2(frame, 1.5);
        pw += frame ** 1.7;
    }
}
"""

rng = np.random.default_rng(8)
frames = rng.uniform(0.05, 1.4, size=(13, 7, 9))
REFERENCES = {
    "ex": np.exp, "ln": np.log, "lp": np.log1p, "sn": np.sin, "cs": np.cos, "tn": np.tan,
    "at": lambda v: np.arctan2(v, 1.5), "pw": lambda v: v ** 1.7,
}

with tempdir() as tmp:
    src = os.path.join(tmp, "fns.udf")
    with open(src, "w") as f:
        f.write(UDF)
    for dtype, rtol in ((np.float32, 2e-6), (np.float64, 1e-13)):
        data = frames.astype(dtype)
        path = os.path.join(tmp, "data.npy")
        np.save(path, data.reshape(1, 13, 7, 9))
        out = os.path.join(tmp, "out.h5")
        run("run", src, "--data", path, "-o", out, "--partitions", "1")
        exact = data.astype(np.float64)
        for name, fn in REFERENCES.items():
            expected = fn(exact).sum(axis=0).astype(dtype)
            check_close(read(out, "fns", name), expected, "%s of %s" % (name, dtype.__name__),
                        rtol=rtol)
print("ok")
