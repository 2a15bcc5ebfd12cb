"""Bad input, as a new user produces it: typos in options, malformed values,
files of the wrong shape, empty or truncated files, paths that cannot be read
or written. Each exits with SPEC §3's code (2 for a malformed command line,
3 for data and files that do not fit, are unreadable or cannot be written)
and one `udfc: error:` line that says what is wrong; nothing reaches stdout
and no output file appears; an output never replaces an input or another
output. Then corrupted .npy headers: never a crash."""
import os
import subprocess

import numpy as np

from udftest import UDFC, expect_error, fail, files_in, run, tempdir

with tempdir() as tmp:
    def save(name, array):
        np.save(os.path.join(tmp, name), array)

    save("data.npy", np.arange(5 * 6 * 7 * 8, dtype=np.uint16).reshape(5, 6, 7, 8))
    save("roi44.npy", np.ones((4, 4), dtype=bool))
    with open(os.path.join(tmp, "data.raw"), "wb") as f:
        f.write(np.zeros(5 * 6 * 7 * 8, np.uint16).tobytes())
    save("dark87.npy", np.zeros((8, 7)))
    save("gain.npy", np.ones((7, 8)))
    excluded = np.zeros((7, 8), dtype=bool)
    excluded[0:2, 0:2] = True
    save("corner.npy", excluded)
    save("complex.npy", np.zeros((7, 8), dtype=np.complex64))
    open(os.path.join(tmp, "empty.npy"), "wb").close()
    with open(os.path.join(tmp, "notes.txt"), "w") as f:
        f.write("not data\n")
    gain = open(os.path.join(tmp, "gain.npy"), "rb").read()
    with open(os.path.join(tmp, "cut.npy"), "wb") as f:
        f.write(gain[:-10])
    inputs = files_in(tmp)

    def bad(code, needles, *args):
        expect_error(code, needles, "run", "sumsig", "--data", "data.npy", *args, cwd=tmp)
        if files_in(tmp) != inputs:
            fail("after %s: files appeared: %s"
                 % (" ".join(args), set(files_in(tmp)) - set(inputs)))

    # --help anywhere prints the usage, exit 0.
    for args in (["run", "sumsig", "--help"], ["build", "-h"], ["info", "data.npy", "--help"]):
        p = subprocess.run([UDFC] + args, capture_output=True, text=True, cwd=tmp)
        if p.returncode != 0 or not p.stdout.startswith("usage:"):
            fail("udfc %s: exit %d\n%s" % (" ".join(args), p.returncode, p.stdout + p.stderr))

    # `--` ends the options: a udf file whose name starts with '-'.
    with open(os.path.join(tmp, "-dash.udf"), "w") as f:
        f.write("udf dash { nav f32 o; frame { o = sum(f32(frame)); } }\n")
    for args in (["check", "--", "-dash.udf"], ["build", "-o", "dash.o", "--", "-dash.udf"],
                 ["run", "--data", "data.npy", "-o", "dash.h5", "--", "-dash.udf"]):
        p = subprocess.run([UDFC] + args, capture_output=True, text=True, cwd=tmp)
        if p.returncode != 0:
            fail("udfc %s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr))
    for name in ("-dash.udf", "dash.o", "dash.h5"):
        os.remove(os.path.join(tmp, name))

    # Exit 2: the command line itself is wrong.
    bad(2, ["unknown option '--rio' (did you mean --roi?)"], "--rio", "roi.npy")
    bad(2, ["unknown option '--partition' (did you mean --partitions?)"], "--partition", "2")
    bad(2, ["unknown option '-roi' (did you mean --roi?)"], "-roi", "1:2,1:2")
    bad(2, ["-j expects an integer from 1 to 4096", "not '0'"], "-j", "0")
    bad(2, ["--partitions expects an integer", "not 'many'"], "--partitions", "many")
    bad(2, ["--sync-offset expects an integer", "not '1.5'"], "--sync-offset", "1.5")
    bad(2, ["--roi expects an array file (.npy, or FILE.h5:/dataset) or one START:STOP range "
            "per nav dim", "'0-4,0-4'"], "--roi", "0-4,0-4")
    bad(2, ["--roi 5:2,0:4: range 1 starts after it stops"], "--roi", "5:2,0:4")
    bad(2, ["--nav expects positive sizes", "'0,4'"], "--nav", "0,4")
    bad(2, ["--nav takes at most 8 sizes, not '1,1,1,1,1,1,1,1,30'"], "--nav", "1,1,1,1,1,1,1,1,30")
    bad(2, ["option --png needs a value"], "--png")
    bad(2, ["option --npy needs a value, not an empty string"], "--npy=")
    bad(2, ["option --stats takes no value"], "--stats=yes")
    expect_error(2, ["unknown --dtype 'u17'"], "run", "sumsig", "--data", "data.raw",
                 "--dtype", "u17", "--nav", "5,6", "--sig", "7,8", cwd=tmp)
    for option in (["--dtype", "u16"], ["--sig", "7,8"], ["--offset", "128"]):
        bad(2, ["%s describes a raw file, but 'data.npy' is a NumPy file" % option[0]], *option)
    expect_error(2, ["--dtype describes a raw file, but 'demo' is the demo data set"],
                 "run", "sumsig", "--data", "demo", "--dtype", "f32", cwd=tmp)
    expect_error(2, ["'data.npy' looks like a data set, not a udf; give it with --data data.npy"],
                 "run", "sumsig", "data.npy", cwd=tmp)
    expect_error(2, ["'sumsgi' is neither a .udf file nor a standard-library udf"],
                 "run", "sumsgi", cwd=tmp)
    expect_error(2, ["option --png is for `udfc run`, not `udfc info`"],
                 "info", "data.npy", "--png", "out", cwd=tmp)
    expect_error(2, ["malformed demo spec 'demo:4,4,8'"], "run", "sumsig", "--data", "demo:4,4,8",
                 cwd=tmp)
    expect_error(2, ["demo dims must be between 1 and 65536, not as in "
                     "'demo:99999999999999999999,4,4,4'"], "run", "sumsig", "--data",
                 "demo:99999999999999999999,4,4,4", cwd=tmp)
    expect_error(2, ["cannot tell the format of 'notes.txt'"], "run", "sumsig", "--data",
                 "notes.txt", cwd=tmp)
    expect_error(2, ["--sig-dims does not apply to the demo data set"], "run", "sumsig",
                 "--data", "demo", "--sig-dims", "3", cwd=tmp)

    # Exit 3: well-formed, but the files or data do not fit, or cannot be used.
    bad(3, ["--roi: 'roi44.npy' has shape (4, 4), but the nav shape is (5, 6)"],
        "--roi", "roi44.npy")
    bad(3, ["--roi: cannot open 'missing.npy': No such file or directory"], "--roi", "missing.npy")
    bad(3, ["--roi: 'empty.npy' is not a valid .npy file"], "--roi", "empty.npy")
    bad(3, ["--roi 0:9,0:4: range 1 ends past the nav shape (5, 6)"], "--roi", "0:9,0:4")
    bad(3, ["--roi 0:2 gives 1 range, but the nav shape (5, 6) has 2 dims"], "--roi", "0:2")
    bad(3, ["--sync-offset 30 does not fit 'data.npy': it holds 30 frames",
            "between -29 and 29"], "--sync-offset", "30")
    bad(3, ["--dark: 'dark87.npy' has shape (8, 7), but the frames have the sig shape (7, 8)"],
        "--dark", "dark87.npy")
    bad(3, ["--gain: 'cut.npy' is truncated: its header promises 576 bytes, the file has 566"],
        "--gain", "cut.npy")
    bad(3, ["--exclude: in 'corner.npy', excluded pixel (0, 0) has no valid neighbour"],
        "--exclude", "corner.npy")
    bad(3, ["--exclude: 'complex.npy' holds elements of type '<c8'"], "--exclude", "complex.npy")
    bad(3, ["cannot write '/nonexistent/out.h5': directory '/nonexistent' does not exist"],
        "-o", "/nonexistent/out.h5")
    bad(3, ["cannot write '.': it is a directory"], "-o", ".")
    bad(3, ["cannot create directory 'notes.txt': 'notes.txt' exists and is not a directory"],
        "--npy", "notes.txt")
    bad(3, ["cannot create directory 'notes.txt/npy': 'notes.txt' exists and is not a directory"],
        "--png", "notes.txt/npy")
    bad(3, ["--roi 0:9,0:4: range 1 ends past the nav shape (5, 6)"], "--roi", "0:9,0:4",
        "--npy", "new/npy", "--png", "new/png")
    if os.path.exists(os.path.join(tmp, "new")):
        fail("a failed run left the --npy/--png directories it was to write")
    # Failing only when the files are written (the directory made for --npy
    # is where -o puts its file): the directories made go again.
    bad(3, ["cannot write 'made.h5': it is a directory"], "-o", "made.h5", "--npy", "made.h5/npy")
    if os.path.exists(os.path.join(tmp, "made.h5")):
        fail("a failed write left the directories it made")
    bad(3, ["--nav makes 'data.npy' too large"], "--nav", "99999999999,99999999999")
    expect_error(3, ["'empty.npy' is not a valid .npy file"], "run", "sumsig", "--data",
                 "empty.npy", cwd=tmp)
    expect_error(3, ["cannot open 'data.npy/x.npy': Not a directory"], "run", "sumsig", "--data",
                 "data.npy/x.npy", cwd=tmp)
    expect_error(3, ["cannot read '/dev/zero': 16 MiB or larger"], "check", "/dev/zero", cwd=tmp)
    # A udf whose name makes NAME.h5 (and its NAME.h5.tmp-XXXXXX) too long a
    # file name: refused before the run.
    long_name = "a" * 250
    with open(os.path.join(tmp, "long.udf"), "w") as f:
        f.write("udf %s { nav f32 o; frame { o = sum(f32(frame)); } }\n" % long_name)
    expect_error(3, ["cannot write '%s.h5': its name has 253 characters" % long_name], "run",
                 "long.udf", "--data", "data.npy", cwd=tmp)
    os.remove(os.path.join(tmp, "long.udf"))
    expect_error(3, ["'demo:65536,65536,65536,65536' is too large"], "run", "sumsig", "--data",
                 "demo:65536,65536,65536,65536", cwd=tmp)
    # Frames of 2^31 pixels along a dim: kernels convert coordinates through i32.
    with open(os.path.join(tmp, "tiny.raw"), "wb") as f:
        f.write(bytes(64))
    expect_error(3, ["'tiny.raw' has 2147483648 pixels along sig dim 1 of its frames; udf "
                     "takes at most 2147483647"], "run", "sumsig", "--data", "tiny.raw",
                 "--dtype", "u8", "--nav", "1", "--sig", "1,2147483648", cwd=tmp)
    os.remove(os.path.join(tmp, "tiny.raw"))
    # Outputs that would replace an input of the run (by any name), or each
    # other: refused, and the input is left as it was.
    os.symlink("data.npy", os.path.join(tmp, "alias.npy"))
    inputs = files_in(tmp)
    before = open(os.path.join(tmp, "data.npy"), "rb").read()
    bad(3, ["cannot write 'data.npy': it is an input of this run"], "-o", "data.npy")
    bad(3, ["cannot write './alias.npy': it is an input of this run"], "-o", "./alias.npy")
    bad(3, ["cannot write 'gain.npy': it is an input of this run"], "--gain", "gain.npy",
        "-o", "gain.npy")
    if open(os.path.join(tmp, "data.npy"), "rb").read() != before:
        fail("a refused output changed the data file")
    with open(os.path.join(tmp, "one.udf"), "w") as f:
        f.write("udf one { nav f32 o; frame { o = sum(f32(frame)); } }\n")
    source = open(os.path.join(tmp, "one.udf")).read()
    expect_error(3, ["cannot write 'one.udf': it is an input of this run"], "run", "one.udf",
                 "--data", "data.npy", "-o", "one.udf", cwd=tmp)
    expect_error(3, ["cannot write 'one.udf': it is an input of this run"], "build", "one.udf",
                 "-o", "one.o", "--header", "one.udf", cwd=tmp)
    if open(os.path.join(tmp, "one.udf")).read() != source:
        fail("a refused output changed the udf source")
    os.remove(os.path.join(tmp, "one.udf"))
    os.mkdir(os.path.join(tmp, "o"))
    inputs = files_in(tmp)
    bad(2, ["two outputs of this run would both be written to './o/sumsig.intensity.npy' "
            "(also named 'o/sumsig.intensity.npy')"], "-o", "o/sumsig.intensity.npy",
        "--npy", "./o")
    bad(2, ["two outputs of this run would both be written to './sumsig.intensity.png'"],
        "-o", "sumsig.intensity.png", "--png", ".")
    expect_error(2, ["two outputs of this run would both be written to 'k.o'"],
                 "build", "sumsig", "-o", "k.o", "--header", "k.o", cwd=tmp)
    expect_error(2, ["--corrections expects sets of corrections separated by commas, each "
                     "dark, gain or dark+gain (like dark+gain,dark), not 'dark,flat'"],
                 "build", "sumsig", "-o", "k.o", "--corrections", "dark,flat", cwd=tmp)
    p = run("build", "sumsig", "-o", "k.o", "--corrections", expect=2, cwd=tmp)
    if "option --corrections needs a value" not in p.stderr:
        fail("udfc build --corrections without a value:\n" + p.stderr)
    if files_in(tmp) != inputs:
        fail("files appeared: %s" % (set(files_in(tmp)) - set(inputs)))

    # Corrupted headers and truncations of a valid file: an error or a result, never a crash.
    good = open(os.path.join(tmp, "data.npy"), "rb").read()
    rng = np.random.default_rng(0)
    broken = os.path.join(tmp, "broken.npy")
    variants = [good[:n] for n in (0, 5, 9, 60, 127, 128, 200)]
    for _ in range(24):
        b = bytearray(good[:128 + 7 * 8 * 2 * 40])
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(0, 128))] = int(rng.integers(0, 256))
        variants.append(bytes(b))
    variants.append(good[:10] + b"{'descr': '<u2', 'fortran_order': False, "
                    b"'shape': (99999999999, 99999999999, 9, 9), }".ljust(118) + b"\n")
    for v in variants:
        with open(broken, "wb") as f:
            f.write(v)
        p = subprocess.run([UDFC, "run", "sumsig", "--data", broken, "-o",
                            os.path.join(tmp, "b.h5")], capture_output=True, text=True,
                           errors="replace")
        if p.returncode not in (0, 3) or (p.returncode == 3 and
                                          not p.stderr.startswith("udfc: error: ")) \
                or "\ufffd" in p.stderr:
            fail("corrupted .npy: exit %d\n%s" % (p.returncode, p.stderr))
print("ok")
