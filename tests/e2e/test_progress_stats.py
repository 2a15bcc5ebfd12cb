"""The progress line (on stderr: frames done, GB/s, time left, ended by a
summary) appears with --progress or when stderr is a terminal, never
otherwise; --stats reports compile, read, correction and kernel times, bytes
read and GB/s, and how each thread chose to read frames (mapping or copying);
neither touches stdout, which holds only the summary lines."""
import os
import pty
import re
import subprocess

import numpy as np

from udftest import UDFC, expect_error, fail, run, tempdir

# (Text-mode pipes turn the line's leading carriage return into a newline.)
FINAL = re.compile(r"^16/16 frames  100%  [0-9.]+ GB/s  done in [0-9.]+ s +\n", re.M)

with tempdir() as tmp:
    out = os.path.join(tmp, "out.h5")
    base = ["run", "sumsig", "--data", "demo:4,4,32,32", "-o", out]

    p = run(*base, "--progress")
    if not FINAL.search(p.stderr):
        fail("--progress: no final progress line in stderr:\n%r" % p.stderr)
    if p.stdout.count("\n") != 1:
        fail("--progress must leave stdout to the summary:\n%r" % p.stdout)
    for args in ([], ["--no-progress"], ["--progress", "--no-progress"]):
        p = run(*base, *args)
        if p.stderr:
            fail("%s with stderr not a terminal: expected no progress, got %r" % (args, p.stderr))

    # On a terminal the line is there by default, and --no-progress removes it.
    for args, wanted in (([], True), (["--no-progress"], False)):
        leader, follower = pty.openpty()
        proc = subprocess.run([UDFC, *base, *args], stdout=subprocess.PIPE, stderr=follower,
                              text=True)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(leader)
        if proc.returncode != 0:
            fail("run on a terminal exited %d: %r" % (proc.returncode, seen))
        shown = b"16/16 frames" in seen
        if shown != wanted:
            fail("stderr on a terminal, %s: progress shown = %s: %r" % (args, shown, seen))

    p = run(*base, "--stats", "-j", 2)
    stats = p.stderr
    for pattern in (r"compile [0-9.]+ ms", r"on 2 threads", r"16 frames in \d+ partitions",
                    r"read [0-9.]+ s", r"corrections [0-9.]+ s", r"kernels [0-9.]+ s",
                    r"0\.000 GB read", r"[0-9.]+ GB/s"):
        if not re.search(pattern, stats):
            fail("--stats output lacks %r:\n%s" % (pattern, stats))

    # A file whose frames can be mapped or copied: the workers try both on
    # their first tiles and all keep one; byte-swapped frames are always
    # copied, so no choice is reported for them.
    # 1312 frames of 128 KiB in two partitions of 82 MiB: a worker's trial
    # reads 10 windows of 8 MiB (runtime/src/read_trial.c), so the worker on
    # either partition can decide, and the other takes the decision.
    frame = (np.arange(256 * 256) % 65521).astype(np.uint16)
    data = np.tile(frame, 1312).reshape(82, 16, 256, 256)
    for dtype, choice in (("<u2", True), (">u2", False)):
        path = os.path.join(tmp, "frames.npy")
        np.save(path, data.astype(dtype))
        p = run("run", "sumsig", "--data", path, "-o", out, "--stats", "-j", 2, "--partitions", 2)
        m = re.search(r"frames mapped from the page cache on (\d+) threads?, copied on (\d+)",
                      p.stderr)
        # One way for every worker that read tiles after the decision.
        if choice and not (m and 1 <= int(m.group(1)) + int(m.group(2)) <= 2 and
                           min(int(m.group(1)), int(m.group(2))) == 0):
            fail("--stats on %s frames: no single read choice:\n%s" % (dtype, p.stderr))
        if not choice and m:
            fail("--stats on %s frames reports a read choice:\n%s" % (dtype, p.stderr))

    # UDF_READ decides for every worker from the first tile, on any file.
    small = os.path.join(tmp, "small.npy")
    np.save(small, data[:2])
    for way, want in (("map", r"on [12] threads?, copied on 0\n"),
                      ("copy", r"on 0 threads, copied on [12]\n")):
        os.environ["UDF_READ"] = way
        p = run("run", "sumsig", "--data", small, "-o", out, "--stats", "-j", 2, "--partitions", 2)
        if not re.search("frames mapped from the page cache " + want, p.stderr):
            fail("UDF_READ=%s: --stats does not say %r:\n%s" % (way, want, p.stderr))
    os.environ["UDF_READ"] = "mmap"
    expect_error(2, ["UDF_READ must be map, copy or trial, not 'mmap'"], "run", "sumsig",
                 "--data", small, "-o", out)
    del os.environ["UDF_READ"]
print("ok")
