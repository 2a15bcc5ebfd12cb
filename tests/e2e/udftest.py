"""udftest — shared helpers of the end-to-end tests: run udfc, read its HDF5
results, compare them with numpy references. Each test script is one CTest
test; it exits non-zero (with a message) at the first failed check."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

UDFC = os.environ.get("UDFC", "udfc")
# Set for the longest tests in a sanitizer build (tests/CMakeLists.txt): they
# run their matrices over fewer element types there (the runtime's C paths
# they reach stay the same; the kernels, which the sanitizers do not
# instrument, are checked for every type by the release build).
SANITIZED = os.environ.get("UDF_TEST_SANITIZED") == "1"

# Element types of the language and their numpy dtypes.
DTYPES = {
    "bool": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
    "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
    "f32": np.float32, "f64": np.float64,
}


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(*args, expect=0, cwd=None):
    """Runs udfc with args; checks the exit code; returns the CompletedProcess."""
    cmd = [UDFC] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if p.returncode != expect:
        fail("%s\nexited %d, expected %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p


def udfrun(*args, expect=0):
    """Runs udfrun (UDFRUN, set by CTest) with args; checks the exit code."""
    cmd = [os.environ["UDFRUN"]] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != expect:
        fail("%s\nexited %d, expected %d\n%s" % (" ".join(cmd), p.returncode, expect, p.stderr))
    return p


def read(path, udf, buffer):
    with h5py.File(path, "r") as f:
        return f[udf][buffer][()]


def random_data(dtype, shape, seed=1):
    rng = np.random.default_rng(seed)
    t = np.dtype(DTYPES[dtype])
    if t.kind == "f":
        return rng.normal(100, 30, size=shape).astype(t)
    if t.kind == "b":
        return rng.integers(0, 2, size=shape).astype(t)
    info = np.iinfo(t)
    return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=t)


def check_equal(actual, expected, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        fail("%s: shape %s, expected %s" % (what, actual.shape, expected.shape))
    if actual.dtype != expected.dtype:
        fail("%s: dtype %s, expected %s" % (what, actual.dtype, expected.dtype))
    if not np.array_equal(actual, expected, equal_nan=True):
        bad = np.argwhere(~((actual == expected) | (np.isnan(actual) & np.isnan(expected))
                            if actual.dtype.kind == "f" else actual == expected))
        i = tuple(bad[0])
        fail("%s: %d elements differ, first at %s: %r != %r"
             % (what, len(bad), i, actual[i], expected[i]))


def check_close(actual, expected, what, rtol=1e-5, atol=0.0):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        fail("%s: shape %s, expected %s" % (what, actual.shape, expected.shape))
    if actual.dtype != expected.dtype:
        fail("%s: dtype %s, expected %s" % (what, actual.dtype, expected.dtype))
    ok = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not ok.all():
        i = tuple(np.argwhere(~ok)[0])
        fail("%s: %d elements differ beyond rtol %g, first at %s: %r != %r"
             % (what, int((~ok).sum()), rtol, i, actual[i], expected[i]))


def tempdir():
    return tempfile.TemporaryDirectory(prefix="udftest-")


def expect_error(code, needles, *args, cwd=None):
    """Runs udfc expecting exit `code` and exactly one `udfc: error:` line
    (plus, for usage errors, the `(see udfc help)` hint) that contains every
    needle. Returns that line."""
    p = run(*args, expect=code, cwd=cwd)
    lines = [l for l in p.stderr.strip().splitlines() if l != "(see `udfc help`)"]
    if len(lines) != 1 or not lines[0].startswith("udfc: error: "):
        fail("udfc %s: expected one 'udfc: error:' line, got:\n%s"
             % (" ".join(map(str, args)), p.stderr))
    for needle in needles:
        if needle not in lines[0]:
            fail("message %r does not mention %r" % (lines[0], needle))
    if p.stdout:
        fail("udfc %s failed but printed to stdout:\n%s" % (" ".join(map(str, args)), p.stdout))
    return lines[0]


def expect_no_output(tmp, args, code, *needles):
    """udfc run ARGS -o TMP/out.h5 must fail with `code` and one error line
    containing every needle, and leave no out.h5 (or its temporaries)."""
    out = os.path.join(tmp, "out.h5")
    expect_error(code, needles, "run", *args, "-o", out)
    leftovers = [f for f in os.listdir(tmp) if f.startswith("out.h5")]
    if leftovers:
        fail("output files left behind by %s: %s" % (" ".join(map(str, args)), leftovers))


def files_in(directory):
    """Every file below directory, as relative paths."""
    found = []
    for root, _, names in os.walk(directory):
        found += [os.path.relpath(os.path.join(root, n), directory) for n in names]
    return sorted(found)


def read_png(path):
    """Decodes an 8-bit greyscale, non-interlaced PNG (what --png writes) into
    a numpy array, with only zlib: checks the signature and every chunk CRC."""
    import struct
    import zlib
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: not a PNG file" % path)
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            fail("%s: bad CRC in chunk %r" % (path, kind))
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if (depth, colour, interlace) != (8, 0, 0):
        fail("%s: expected 8-bit grey, not interlaced; got %s" % (path, header))
    raw = zlib.decompress(idat)
    image = np.zeros((height, width), dtype=np.int32)
    prev = np.zeros(width, dtype=np.int32)
    for y in range(height):
        row = raw[y * (width + 1):(y + 1) * (width + 1)]
        kind, line = row[0], np.frombuffer(row[1:], dtype=np.uint8).astype(np.int32)
        out = np.zeros(width, dtype=np.int32)
        for x in range(width):
            left = out[x - 1] if x else 0
            up, upleft = prev[x], prev[x - 1] if x else 0
            if kind == 0:
                pred = 0
            elif kind == 1:
                pred = left
            elif kind == 2:
                pred = up
            elif kind == 3:
                pred = (left + up) // 2
            else:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
            out[x] = (line[x] + pred) & 0xff
        image[y] = out
        prev = out
    return image.astype(np.uint8)


def compare_files(a, b, exact, what):
    """Checks that two result files hold the same udfs and buffers, equal (or,
    unless `exact`, floats within rounding)."""
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        if sorted(fa) != sorted(fb):
            fail("%s: udfs differ: %s vs %s" % (what, sorted(fa), sorted(fb)))
        for udf in fa:
            if sorted(fa[udf]) != sorted(fb[udf]):
                fail("%s: buffers of %s differ" % (what, udf))
            for buf in fa[udf]:
                x, y = fa[udf][buf][()], fb[udf][buf][()]
                if exact or x.dtype.kind in "iub":
                    check_equal(x, y, "%s %s/%s" % (what, udf, buf))
                else:
                    scale = max(float(np.nanmax(np.abs(y))) if y.size else 1.0, 1.0)
                    check_close(x, y, "%s %s/%s" % (what, udf, buf), rtol=1e-5, atol=1e-6 * scale)


# Every stdlib udf, and the params they need on stdlib_scan's data.
STDLIB = ["sum", "sumsig", "max", "logsum", "stddev", "masks", "disk", "ring", "com",
          "radial_profile", "fem", "pick"]


def stdlib_scan(tmp, seed):
    """A small u16 scan and two masks in tmp, and every stdlib udf run on it by
    `udfc run`: (data path, params, result file)."""
    data = random_data("u16", (5, 6, 14, 12), seed=seed) % 4000
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    masks = os.path.join(tmp, "masks.npy")
    np.save(masks, np.random.default_rng(seed).random((2, 14, 12)).astype(np.float32))
    params = ["--param", "masks=@" + masks, "--param", "indices=0,7"]
    reference = os.path.join(tmp, "jit.h5")
    run("run", *STDLIB, "--data", path, "-o", reference, *params)
    return path, params, reference
