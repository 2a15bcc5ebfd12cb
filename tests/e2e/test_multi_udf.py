"""Several UDFs in one pass — from several files, several in one file, and
standard-library ones — give exactly the results of separate runs (also with a
ROI and corrections); --udf picks some of them; the data is read once."""
import os
import re

import h5py
import numpy as np

from udftest import check_equal, fail, random_data, run, tempdir

TWO = """
udf brightest {
    sig u16 top;
    nav f32 peak;
    frame {
        top = max(top, frame);
        peak = max(frame);
    }
}
udf counted {
    single i64 frames;
    sig f64 squares;
    frame {
        frames += 1;
        squares += frame * frame;
    }
}
"""
ONE = """
udf darkest {
    nav f64 low;
    frame {
        low = min(frame);
    }
}
"""


def contents(path):
    with h5py.File(path, "r") as f:
        return {"%s/%s" % (g, b): f[g][b][()] for g in f for b in f[g]}


def check_same(together, separate, what):
    if sorted(together) != sorted(separate):
        fail("%s: one pass wrote %s, separate runs %s" % (what, sorted(together),
                                                          sorted(separate)))
    for name in together:
        check_equal(together[name], separate[name], "%s: %s" % (what, name))


with tempdir() as tmp:
    data = random_data("u16", (6, 7, 9, 8), seed=21)
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    two, one = os.path.join(tmp, "two.udf"), os.path.join(tmp, "one.udf")
    with open(two, "w") as f:
        f.write(TWO)
    with open(one, "w") as f:
        f.write(ONE)
    roi = np.random.default_rng(1).random((6, 7)) < 0.5
    np.save(os.path.join(tmp, "roi.npy"), roi)
    np.save(os.path.join(tmp, "dark.npy"), np.full((9, 8), 3.5))

    extra_args = [[], ["--roi", os.path.join(tmp, "roi.npy"), "--dark",
                       os.path.join(tmp, "dark.npy")]]
    for extra in extra_args:
        out = os.path.join(tmp, "all.h5")
        p = run("run", two, "sum", one, "sumsig", "--data", path, "-o", out, "--stats", *extra)
        together = contents(out)
        frames = int(roi.sum()) if extra else 42
        m = re.search(r"(\d+) frames in", p.stderr)
        if not m or int(m.group(1)) != frames:
            fail("one pass should read %d frames once:\n%s" % (frames, p.stderr))
        separate = {}
        for args in ([two, "--udf", "brightest"], [two, "--udf", "counted"], ["sum"], [one],
                     ["sumsig"]):
            out = os.path.join(tmp, "one.h5")
            run("run", *args, "--data", path, "-o", out, *extra)
            separate.update(contents(out))
        check_same(together, separate, "one pass %s" % " ".join(extra))
        if not extra:
            plain = together

    # The numbers themselves, for the plain run.
    together = plain
    check_equal(together["brightest/top"], data.max(axis=(0, 1)), "brightest/top")
    check_equal(together["counted/frames"], np.int64(42), "counted/frames")
    check_equal(together["darkest/low"], data.min(axis=(2, 3)).astype(np.float64), "darkest/low")

    # --udf picks across files, in any order; only those are written.
    out = os.path.join(tmp, "picked.h5")
    p = run("run", two, one, "sum", "--udf", "darkest", "--udf", "counted", "--data", path,
            "-o", out)
    if sorted(contents(out)) != ["counted/frames", "counted/squares", "darkest/low"]:
        fail("--udf darkest --udf counted wrote %s" % sorted(contents(out)))
    lines = p.stdout.splitlines()
    if [l.split()[0] for l in lines] != ["darkest/low", "counted/frames", "counted/squares"]:
        fail("expected one summary line per result, in --udf order:\n" + p.stdout)
print("ok")
