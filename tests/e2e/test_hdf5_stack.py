"""HDF5 groups read as one stack of frames (a Dectris Arina master file):
a master whose /entry/data holds external links to four data files, each
read its own way (contiguous, deflate chunks of one frame, contiguous
big-endian, plain chunks of two frames and an odd count), given as
master.h5:/entry/data and found without a path, and a stack of contiguous
members only; 200 members under a low limit of open files (raised, or
named when the hard limit is too low); sum, sumsig and stddev against numpy on the frames
concatenated, with 1 and 2 threads, with --nav, a sync offset across a member
boundary and a ROI; `udfc info` lists the members. Errors: a missing data
file, and members with another frame shape or element type, exit 3 and
write nothing; a group with a 1-D member stays a group, not a dataset."""
import os
import resource
import subprocess

import h5py
import numpy as np

import references as ref
from udftest import check_close, check_equal, expect_no_output, fail, read, run, tempdir

SIG = (6, 5)
COUNTS = (8, 10, 6, 3)
rng = np.random.default_rng(17)
parts = [rng.integers(0, 4000, size=(n,) + SIG).astype(np.uint16) for n in COUNTS]
frames = np.concatenate(parts)
# Contiguous (read from the mapped file), deflate chunks of one frame,
# contiguous big-endian (read and swapped), plain chunks of two frames.
LAYOUTS = [{}, dict(chunks=(1,) + SIG, compression="gzip"), dict(dtype=">u2"),
           dict(chunks=(2,) + SIG)]


def write_arina(tmp, name, parts, layouts=LAYOUTS):
    """master NAME.h5 with /entry/data/data_00000K linking to NAME_00000K.h5."""
    with h5py.File(os.path.join(tmp, name + ".h5"), "w") as master:
        group = master.create_group("entry/data")
        for k, part in enumerate(parts):
            data_file = "%s_%06d.h5" % (name, k + 1)
            with h5py.File(os.path.join(tmp, data_file), "w") as f:
                f.create_dataset("entry/data/data", data=part, **layouts[k % len(layouts)])
            group["data_%06d" % (k + 1)] = h5py.ExternalLink(data_file, "/entry/data/data")
    return os.path.join(tmp, name + ".h5")


def run_limited(files, args):
    """udfc with at most `files` open files (soft limit; the hard one 4096)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, min(4096, files * 16)))
    return subprocess.run([os.environ["UDFC"]] + args, capture_output=True, text=True,
                          preexec_fn=limit)


def check_stdlib(spec, d, what, extra=()):
    nav = d.shape[:-2]
    for threads in (1, 2):
        out = spec.split(":")[0] + ".out.h5"
        run("run", "sum", "sumsig", "stddev", "--data", spec, "-j", threads, "-o", out, *extra)
        tag = "%s -j %d" % (what, threads)
        check_equal(read(out, "sum", "intensity"), ref.ref_sum(d, 2)["intensity"], "sum " + tag)
        check_equal(read(out, "sumsig", "intensity"), ref.ref_sumsig(d, 2)["intensity"].reshape(nav),
                    "sumsig " + tag)
        for buffer, want in ref.ref_stddev(d, 2).items():
            check_close(read(out, "stddev", buffer), want, "stddev/%s %s" % (buffer, tag), rtol=1e-12)


with tempdir() as tmp:
    master = write_arina(tmp, "scan", parts)
    check_stdlib(master + ":/entry/data", frames, "the stack")
    check_stdlib(master, frames, "the stack found without a path")
    check_stdlib(master, frames.reshape((3, 9) + SIG), "the stack on a 3x9 scan", ["--nav", "3,9"])

    # Positions 0..26 show frames 8..34: the members' boundaries move.
    out = os.path.join(tmp, "sync.h5")
    run("run", "sumsig", "--data", master, "--nav", "3,9", "--sync-offset", "8", "-o", out)
    want = np.full(27, np.nan)  # positions past the last frame show none
    want[:19] = frames[8:].astype(np.float64).sum(axis=(1, 2))
    check_equal(read(out, "sumsig", "intensity"), want.reshape(3, 9).astype(np.float32),
                "sumsig with a sync offset")

    roi = np.zeros((3, 9), bool)
    roi[1, 2:8] = True  # frames 11..16, all in the second member
    roi[2, 7:] = True   # frames 25, 26 of the fourth
    np.save(os.path.join(tmp, "roi.npy"), roi)
    out = os.path.join(tmp, "roi.h5")
    run("run", "sum", "--data", master, "--nav", "3,9", "--roi", os.path.join(tmp, "roi.npy"),
        "-o", out)
    check_equal(read(out, "sum", "intensity"),
                frames[roi.ravel()].astype(np.float64).sum(axis=0).astype(np.float32), "sum with a ROI")

    # Contiguous little-endian members only: the stack maps or copies as the
    # run finds faster.
    contiguous = write_arina(tmp, "flat", parts, layouts=[{}])
    check_stdlib(contiguous, frames, "a stack of contiguous members")

    # Many members: the soft limit on open files rises to what they need,
    # and a hard limit that cannot be enough is named.
    small = [rng.integers(0, 9, size=(2,) + SIG).astype(np.uint16) for _ in range(200)]
    many = write_arina(tmp, "many", small)
    out = os.path.join(tmp, "many.out.h5")
    p = run_limited(64, ["run", "sum", "--data", many, "-o", out])
    if p.returncode != 0:
        fail("200 members with a soft limit of 64 open files:\n" + p.stderr)
    check_equal(read(out, "sum", "intensity"),
                np.concatenate(small).astype(np.float64).sum(axis=0).astype(np.float32),
                "sum of 200 members")
    p = subprocess.run([os.environ["UDFC"], "run", "sum", "--data", many, "-o", out + "2"],
                       capture_output=True, text=True,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
    if p.returncode != 3 or "stacks 200 datasets, which keep at least 264 files open, but this " \
            "process may open 64 (ulimit -n; the hard limit is 64)" not in p.stderr:
        fail("200 members with a hard limit of 64 open files: exit %d\n%s" % (p.returncode, p.stderr))
    if os.path.exists(out + "2"):
        fail("a refused stack left an output file")

    info = run("info", master).stdout
    for needle in ("4 datasets read as one", "frames 8-17: %s:/entry/data/data_000002" % master,
                   "frames 24-26", "nav shape:  (27,)", "contiguous at byte"):
        if needle not in info:
            raise SystemExit("FAIL: udfc info does not say %r:\n%s" % (needle, info))

    # Errors.
    os.rename(os.path.join(tmp, "scan_000002.h5"), os.path.join(tmp, "moved.h5"))
    expect_no_output(tmp, ["sum", "--data", master], 3, "/entry/data/data_000002", "scan_000002.h5")
    os.rename(os.path.join(tmp, "moved.h5"), os.path.join(tmp, "scan_000002.h5"))
    wide = write_arina(tmp, "wide", [parts[0], rng.integers(0, 9, size=(4, 6, 6)).astype(np.uint16)])
    expect_no_output(tmp, ["sum", "--data", wide], 3,
                     "'%s:/entry/data/data_000002' has frames of (6, 6) u16" % wide,
                     "need one frame shape and element type")
    mixed = write_arina(tmp, "mixed", parts[:3] + [parts[3].astype(np.float32)])
    expect_no_output(tmp, ["sum", "--data", mixed], 3, "data_000004' has frames of (6, 5) f32",
                     "'%s:/entry/data/data_000001' has (6, 5) u16" % mixed)
    nexus = os.path.join(tmp, "nexus.h5")
    with h5py.File(nexus, "w") as f:
        f["entry/data/data"] = parts[0]
        f["entry/data/x"] = np.arange(5)
    expect_no_output(tmp, ["sum", "--data", nexus + ":/entry/data"], 3,
                     "'/entry/data' in '%s' is a group, not a dataset" % nexus)
print("ok")
