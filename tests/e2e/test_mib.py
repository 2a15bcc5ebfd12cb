"""Merlin MIB files written by mibgen (processed U08..U64, raw 1/6/12/24-bit,
the raw and processed 2x2 quad, numbered series, .hdr nav shapes): sum and
sumsig against numpy with 1 and 2 threads, and the errors of bad files."""
import os

import numpy as np

import mibgen
from udftest import check_equal, fail, read, run, tempdir


def check(tmp, spec, frames, nav, extra=(), what=""):
    kind = np.result_type(frames.dtype, np.float32)  # the stdlib's `float`, as LiberTEM's
    stack = frames[:int(np.prod(nav))].astype(np.float64)
    want_sumsig = stack.sum(axis=(1, 2)).reshape(nav).astype(kind)
    want_sum = stack.sum(axis=0).astype(kind)
    for threads in (1, 2):
        out = os.path.join(tmp, "out.h5")
        run("run", "sumsig", "sum", "--data", spec, *extra, "-j", threads, "-o", out)
        check_equal(read(out, "sumsig", "intensity"), want_sumsig, "sumsig " + what)
        check_equal(read(out, "sum", "intensity"), want_sum, "sum " + what)


def expect_error(spec, *needles, extra=()):
    p = run("run", "sumsig", "--data", spec, *extra, "-o", os.devnull + ".h5", expect=3)
    line = p.stderr.strip()
    if "\n" in line or not line.startswith("udfc: error: "):
        fail("expected one 'udfc: error:' line, got:\n" + p.stderr)
    for needle in needles:
        if needle not in line:
            fail("message %r does not mention %r" % (line, needle))


with tempdir() as tmp:
    # Every pixel type and counter depth, one file each, nav from --nav.
    cases = [("U08", 6), ("U16", 12), ("U32", 24), ("U64", 24),
             ("R64", 1), ("R64", 6), ("R64", 12), ("R64", 24)]
    for kind, depth in cases:
        frames = mibgen.frames_for(kind, depth, 12, (16, 32))
        path = os.path.join(tmp, "%s_%dbit.mib" % (kind, depth))
        mibgen.write_mib(path, frames, kind, depth)
        check(tmp, path, frames, (3, 4), ("--nav", "3,4"), "%s %d-bit" % (kind, depth))
        check(tmp, path, frames, (12,), (), "%s %d-bit 1-D nav" % (kind, depth))

    # Headers longer than the usual 384 bytes (past the first KiB).
    frames = mibgen.frames_for("U16", 12, 6, (16, 32))
    path = os.path.join(tmp, "long_headers.mib")
    mibgen.write_mib(path, frames, "U16", 12, header_bytes=2048)
    check(tmp, path, frames, (2, 3), ("--nav", "2,3"), "2048-byte headers")

    # The 2x2 quad: processed (already assembled) and raw (chip rows interleaved).
    for kind, depth in (("U16", 12), ("R64", 1), ("R64", 6), ("R64", 12)):
        frames = mibgen.frames_for(kind, depth, 3, (512, 512), seed=5)
        path = os.path.join(tmp, "quad_%s_%dbit.mib" % (kind, depth))
        mibgen.write_mib(path, frames, kind, depth, quad=True)
        check(tmp, path, frames, (3,), (), "quad %s %d-bit" % (kind, depth))
        # A single bright pixel per quadrant lands where the layout says.
        probe = np.zeros((1, 512, 512), dtype=frames.dtype)
        for y, x in ((3, 5), (7, 300), (400, 20), (511, 511)):
            probe[0, y, x] = 1
        mibgen.write_mib(path, probe, kind, depth, quad=True)
        out = os.path.join(tmp, "quad.h5")
        run("run", "sum", "--data", path, "-o", out)
        check_equal(read(out, "sum", "intensity"), probe[0].astype(np.float32),
                    "quad %s %d-bit pixel positions" % (kind, depth))

    # A numbered series with a .hdr giving the scan (frames per trigger = row).
    series = os.path.join(tmp, "series")
    os.mkdir(series)
    frames = mibgen.frames_for("U16", 12, 20, (8, 8), seed=9)
    for k, (a, b) in enumerate(((0, 7), (7, 8), (8, 20))):  # sequence numbers out of name order
        mibgen.write_mib(os.path.join(series, "scan%d.mib" % (3 - k)), frames[a:b], "U16", 12,
                         first_seq=a + 1)
    mibgen.write_hdr(os.path.join(series, "scan.hdr"), 20, 5)
    check(tmp, os.path.join(series, "scan.hdr"), frames, (4, 5), (), "series via .hdr")
    hdr_text = open(os.path.join(series, "scan.hdr"), "rb").read()
    p = run("run", "sumsig", "--data", os.path.join(series, "scan.hdr"), "-o",
            os.path.join(series, "scan.hdr"), expect=3)
    if "it is an input of this run" not in p.stderr or \
            open(os.path.join(series, "scan.hdr"), "rb").read() != hdr_text:
        fail("-o naming the .hdr given as data: " + p.stderr)
    check(tmp, os.path.join(series, "scan2.mib"), frames, (4, 5), (), "series via a .mib")
    # Tiles that span the files: each file's frames get their own place in
    # the read buffer.
    for parts in ("1", "3"):
        check(tmp, os.path.join(series, "scan.hdr"), frames, (4, 5), ("--partitions", parts),
              "series in %s partitions" % parts)
    mibgen.write_hdr(os.path.join(series, "scan.hdr"), 20, 1, scan=(2, 10))
    check(tmp, os.path.join(series, "scan.hdr"), frames, (2, 10), (), "series, ScanX/ScanY")
    info = run("info", os.path.join(series, "scan.hdr")).stdout
    for needle in ("3 files", "U16", "counter depth 12", "nav shape:  (2, 10)"):
        if needle not in info:
            fail("udfc info does not say %r:\n%s" % (needle, info))

    # Bad files.
    bad = os.path.join(tmp, "bad")
    os.mkdir(bad)
    frames = mibgen.frames_for("U16", 12, 4, (8, 8))
    truncated = os.path.join(bad, "trunc.mib")
    mibgen.write_mib(truncated, frames, "U16", 12)
    with open(truncated, "r+b") as f:
        f.truncate(os.path.getsize(truncated) - 10)
    expect_error(truncated, truncated, "truncated")
    garbage = os.path.join(bad, "garbage.mib")
    with open(garbage, "wb") as f:
        f.write(b"not a merlin file" * 100)
    expect_error(garbage, garbage, "MQ1")
    mixed = os.path.join(bad, "mixed")
    mibgen.write_mib(mixed + "1.mib", frames, "U16", 12)
    mibgen.write_mib(mixed + "2.mib", frames.astype(np.uint8), "U08", 6, first_seq=5)
    expect_error(mixed + "1.mib", "inconsistent headers")
    gap = os.path.join(bad, "gap")
    mibgen.write_mib(gap + "1.mib", frames, "U16", 12)
    mibgen.write_mib(gap + "2.mib", frames, "U16", 12, first_seq=9)
    expect_error(gap + "1.mib", "inconsistent headers", "starts at frame 9")
    badraw = os.path.join(bad, "badraw.mib")
    mibgen.write_mib(badraw, np.zeros((2, 8, 8), np.uint8), "R64", 6)
    with open(badraw, "r+b") as f:  # counter depth 6 -> 7
        f.seek(0)
        head = f.read(384).replace(b"555000ns,6", b"555000ns,7")
        f.seek(0)
        f.write(head)
    expect_error(badraw, badraw, "counter depth")
    quad24 = os.path.join(bad, "quad24.mib")
    mibgen.write_mib(quad24, np.zeros((1, 512, 512), np.uint32), "R64", 24, quad=True)
    expect_error(quad24, quad24, "raw 24-bit quad data is not supported")
    # Every frame's header is read along with it and checked: a frame dropped
    # or written twice mid-file would shift every later frame.
    frames = mibgen.frames_for("U16", 12, 6, (8, 8))

    def write_frames(path, sequences, kinds=None):
        with open(path, "wb") as f:
            for i, seq in enumerate(sequences):
                kind = kinds[i] if kinds else "U16"
                f.write(mibgen.frame_header(seq, 8, 8, kind, 12))
                f.write(mibgen.encode(frames[i], "U16", 12, False))
        return path

    nav = ("--nav", "2,3")
    dropped = write_frames(os.path.join(bad, "dropped.mib"), [1, 2, 4, 5, 6, 7])
    every_other = os.path.join(bad, "every_other.npy")
    np.save(every_other, np.arange(6).reshape(2, 3) % 2 == 0)
    for extra in ((), ("--partitions", "1"), ("--roi", every_other)):
        expect_error(dropped, dropped, "sequence number 4 where frame 3 should be", "byte 1024",
                     extra=nav + extra)
    other = write_frames(os.path.join(bad, "other.mib"), range(1, 7), ["U16"] * 4 + ["U08", "U16"])
    expect_error(other, other, "header of frame 5 (byte 2048, 'MQ1,000005,00384,01,0008,0008,U08,",
                 "than the file's first frame", extra=nav)
    noheader = write_frames(os.path.join(bad, "noheader.mib"), range(1, 7))
    with open(noheader, "r+b") as f:
        f.seek(3 * 512)
        f.write(b"XQ1,")
    expect_error(noheader, noheader, "no frame header", "byte 1536", "frame 4", "'XQ1,000004,",
                 extra=nav)
    unnumbered = write_frames(os.path.join(bad, "unnumbered.mib"), range(1, 7))
    with open(unnumbered, "r+b") as f:
        f.seek(2 * 512 + 4)
        f.write(b"00x003")
    expect_error(unnumbered, unnumbered, "byte 1024 ('MQ1,00x003,", "has no sequence number",
                 "frame 3", extra=nav)
    # Files of a series may spell the same header values differently ("  384"
    # for "00384"): each file's headers are checked against its own first.
    spelled = os.path.join(tmp, "spelled")
    with open(spelled + "1.mib", "wb") as f:
        for i in range(3):
            f.write(mibgen.frame_header(i + 1, 8, 8, "U16", 12))
            f.write(mibgen.encode(frames[i], "U16", 12, False))
    with open(spelled + "2.mib", "wb") as f:
        for i in range(3, 6):
            f.write(mibgen.frame_header(i + 1, 8, 8, "U16", 12).replace(b",00384,", b",  384,"))
            f.write(mibgen.encode(frames[i], "U16", 12, False))
    check(tmp, spelled + "1.mib", frames, (2, 3), extra=nav, what="spelled differently")
    # Header lengths that are not whole elements put the frames at odd
    # offsets of the read buffer: they are copied to aligned storage, which
    # corrections and kernels load (UBSan checks this in the sanitizer build).
    dark = os.path.join(tmp, "dark.npy")
    np.save(dark, np.zeros((8, 8), np.float32))
    for kind, depth in (("U16", 12), ("U32", 24)):
        odd_frames = mibgen.frames_for(kind, depth, 6, (8, 8))
        for header_bytes in (385, 390):
            odd = os.path.join(tmp, "odd_%s_%d_headers.mib" % (kind, header_bytes))
            mibgen.write_mib(odd, odd_frames, kind, depth, header_bytes=header_bytes)
            for extra in ((), ("--dark", dark)):
                check(tmp, odd, odd_frames, (2, 3), extra=nav + extra,
                      what="%d-byte headers %s" % (header_bytes, " ".join(extra)))
    # Sequence numbers past 999999: a 6-digit field wraps, or a 7th digit
    # appears; both are read.
    wraps = write_frames(os.path.join(tmp, "wraps.mib"), [n % 10 ** 6 for n in
                                                          range(999997, 1000003)])
    check(tmp, wraps, frames, (2, 3), extra=nav, what="wrapping sequence numbers")
    widens = write_frames(os.path.join(tmp, "widens.mib"), range(999997, 1000003))
    check(tmp, widens, frames, (2, 3), extra=nav, what="7-digit sequence numbers")
    expect_error(os.path.join(bad, "missing.mib"), "missing", "No such file")
    expect_error(os.path.join(bad, "missing.hdr"), "missing.hdr", "No such file")
print("ok")
