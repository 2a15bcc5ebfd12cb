"""min and max of floats (compiler/codegen.c): NaN propagates and -0 is
below +0, as LLVM's minimum/maximum. Where one operand is an integer
converted to float (`max(intensity, frame)` on integer frames) the code
generator compares and blends instead of calling llvm.maximum; the results
must not change: NaN stays NaN, and the zero signs are those of
llvm.maximum/minimum whichever side the integer stands on (the inner min/max
with a constant put it on the left)."""
import os

import numpy as np

from udftest import check_equal, fail, read, run, tempdir

SOURCE = """udf extremes {
    sig f32 top = -inf;
    sig f32 bottom = inf;
    sig f32 nan_top = nan;
    sig f32 nan_bottom = nan;
    sig f32 zero_top = -0.0;
    sig f32 zero_bottom = -0.0;
    sig f32 zero_top_left = -0.0;
    sig f32 zero_bottom_left = -0.0;
    frame {
        top = max(top, frame);
        bottom = min(bottom, min(frame, inf));
        nan_top = max(nan_top, max(frame, nan));
        nan_bottom = min(nan_bottom, frame);
        zero_top = max(zero_top, frame * 0);
        zero_bottom = min(zero_bottom, frame * 0);
        zero_top_left = max(zero_top_left, max(frame * 0, -0.0));
        zero_bottom_left = min(zero_bottom_left, min(frame * 0, -0.0));
    }
}
"""
PLAIN = ("udf plain { sig f32 top = -inf; sig f32 bottom = inf;\n"
         "frame { top = max(top, frame); bottom = min(bottom, frame); } }\n")


def expected(data):
    f = data.astype(np.float32)
    shape = f.shape[-2:]
    return {
        "top": f.max(axis=(0, 1)),
        "bottom": f.min(axis=(0, 1)),
        "nan_top": np.full(shape, np.nan, np.float32),
        "nan_bottom": np.full(shape, np.nan, np.float32),
        # max(-0, +0) = +0 and min(-0, +0) = -0, whichever side each is on.
        "zero_top": np.zeros(shape, np.float32),
        "zero_bottom": np.full(shape, -0.0, np.float32),
        "zero_top_left": np.zeros(shape, np.float32),
        "zero_bottom_left": np.full(shape, -0.0, np.float32),
    }


with tempdir() as tmp:
    src = os.path.join(tmp, "extremes.udf")
    with open(src, "w") as f:
        f.write(SOURCE)
    plain = os.path.join(tmp, "plain.udf")
    with open(plain, "w") as f:
        f.write(PLAIN)
    def tile(dtype):
        """The tile function of plain.udf's LLVM IR (merge maxima of two
        partials are floats on both sides and keep llvm.maximum)."""
        ir = run("emit", "llvm", plain, "--dtype", dtype).stdout
        start = ir.index("@udf_plain__%s_tile(" % dtype)
        return ir[start:ir.index("\n}\n", start)]

    for intrinsic in ("llvm.maximum", "llvm.minimum"):
        if intrinsic in tile("u16"):
            fail("integer frames still go through %s:\n%s" % (intrinsic, tile("u16")))
        if intrinsic not in tile("f32"):
            fail("float frames no longer use " + intrinsic)
    rng = np.random.default_rng(9)
    for dtype in (np.uint16, np.int16, np.uint8):
        info = np.iinfo(dtype)
        data = rng.integers(info.min, int(info.max) + 1, size=(3, 5, 9, 11), dtype=dtype)
        path = os.path.join(tmp, "data.npy")
        np.save(path, data)
        out = os.path.join(tmp, "out.h5")
        run("run", src, "--data", path, "-o", out)
        for buffer, want in expected(data).items():
            got = read(out, "extremes", buffer)
            check_equal(got, want, "%s (%s)" % (buffer, np.dtype(dtype).name))
            if not np.array_equal(np.signbit(got), np.signbit(want)):
                fail("%s (%s): zero signs differ from llvm.maximum/minimum's"
                     % (buffer, np.dtype(dtype).name))
print("ok")
