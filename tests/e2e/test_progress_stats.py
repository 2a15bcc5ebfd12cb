"""The progress line (on stderr: frames done, GB/s, time left, ended by a
summary) appears with --progress or when stderr is a terminal, never
otherwise; --stats reports compile, read, correction and kernel times, bytes
read and GB/s; neither touches stdout, which holds only the summary lines."""
import os
import pty
import re
import subprocess

from udftest import UDFC, fail, run, tempdir

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
print("ok")
