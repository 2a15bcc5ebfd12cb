"""SPEC §3 and §4 rules that the other e2e tests leave unchecked:

* the HDF5 layout: exactly one dataset /<udf>/<buffer> per written buffer
  (private ones and nothing else), each with the attribute `kind`
  (nav, sig or single), shapes nav + dims, sig + dims or dims (a scalar single
  is shape ()), the declared dtypes (bool included), the values, and nav
  entries outside the ROI NaN or 0; --npy files equal to those datasets;
  --png images for the 2-D nav and sig results and none for singles;
* source errors under run, build and emit (not only check): exit 1, every
  error of every file as FILE:LINE:COL: error: with its line and caret,
  nothing on stdout, no output file; check of valid files prints nothing;
* bad command lines (unknown subcommand, a udf twice, an unknown emit
  stage): exit 2;
* parameter arrays of the wrong shape: exit 3 and one line naming the file;
* I/O failures on stdout (emit, info into a full device): exit 3;
* output files whole or not at all: a run that fails while committing its
  files leaves none of them; an output path that is a device node (like
  /dev/null) is not replaced by a regular file (SPEC is silent there);
* a .udf file that cannot be read (missing, a directory): exit 3;
* no input crashes a tool: many .udf files for check and build, many udfs in
  one file, a bad --cpu, an empty --dtype, a truncated kernel library for
  udfrun, huge sizes (which must end in exit 3, not an abort);
* udfc build: the header names only functions of the runtime's public API,
  and a failed header write leaves no library; udfrun's default output name
  and the `(see udfrun help)` hint it prints.

The checks come in groups; a failed check prints FAIL and ends its group,
the other groups still run, and the script exits 1 if any group failed."""
import os
import re
import signal
import stat
import subprocess
import sys

import h5py
import numpy as np

from udftest import (UDFC, check_close, check_equal, expect_no_output, fail, files_in, read_png,
                     run, tempdir)

UDFRUN = os.environ["UDFRUN"]
HERE = os.path.dirname(os.path.abspath(__file__))
PUBLIC_HEADER = os.path.join(HERE, "..", "..", "runtime", "include", "udfrt", "udfrt.h")
# Huge sizes must fail with exit 3, not be aborted by ASan's allocator limit
# (ASan builds); release builds ignore the variable.
ASAN_ENV = dict(os.environ, ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=0")


def sh(tool, *args, cwd=None, env=None, stdout=subprocess.PIPE):
    """Runs a tool; returns (exit code, stdout, stderr). Text is decoded
    leniently: a crash must be reported as such, not as a decode error.
    With ASAN_ENV, ASan's note on each refused allocation is dropped."""
    p = subprocess.run([tool] + [str(a) for a in args], stdout=stdout, stderr=subprocess.PIPE,
                       cwd=cwd, env=env, timeout=120)
    out = p.stdout.decode("utf-8", "replace") if p.stdout is not None else ""
    err = p.stderr.decode("utf-8", "replace")
    if env is ASAN_ENV:
        err = re.sub(r"(?m)^==\d+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ "
                     r"bytes\n", "", err)
    return p.returncode, out, err


def no_crash(what, code, err):
    if code < 0:
        fail("%s: killed by %s\n%s" % (what, signal.Signals(-code).name, err[-2000:]))
    if "Sanitizer" in err or "runtime error:" in err or "LLVM ERROR" in err:
        fail("%s: crashed (exit %d):\n%s" % (what, code, err[-2000:]))


def one_error_line(what, err, tool="udfc", *needles):
    lines = [l for l in err.strip().splitlines() if l != "(see `%s help`)" % tool]
    if len(lines) != 1 or not lines[0].startswith(tool + ": error: "):
        fail("%s: expected one '%s: error:' line, got:\n%s" % (what, tool, err))
    for n in needles:
        if n not in lines[0]:
            fail("%s: message %r does not mention %r" % (what, lines[0], n))
    return lines[0]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


LAYOUT = """
udf layout {
    param i64 m = 3;
    nav f64 total;
    nav i32 parts[2];
    nav bool bright;
    sig u64 acc;
    sig f32 stack[m];
    single i64 count;
    single f32 hist[4, 2];
    single f64 peak = -inf;
    private sig f64 scratch;
    frame {
        total = sum(frame);
        parts[0] = i32(min(frame));
        parts[1] = i32(max(frame));
        bright = sum(frame) > 21000;
        acc += frame;
        stack[k] += frame * (k + 1);
        count += 1;
        hist[1, 1] += 1;
        peak = max(peak, max(frame));
        scratch += frame;
    }
    result {
        sig f64 meanimg = acc / count;
        nav f32 half = total / 2;
        single f64 grand = sum(acc);
    }
}
"""


def check_layout(tmp):
    """SPEC §3 Output, §2.1 layouts, §2.5 ROI fill values."""
    rng = np.random.default_rng(7)
    data = rng.integers(0, 1000, size=(4, 5, 6, 7)).astype(np.uint16)
    path = os.path.join(tmp, "data.npy")
    np.save(path, data)
    roi = np.ones((4, 5), dtype=bool)
    roi[1, 1:4] = False
    roi[3, 0] = False
    np.save(os.path.join(tmp, "roi.npy"), roi)
    udf = write(os.path.join(tmp, "layout.udf"), LAYOUT)
    out = os.path.join(tmp, "layout.h5")
    npy_dir, png_dir = os.path.join(tmp, "npy"), os.path.join(tmp, "png")
    run("run", udf, "--data", path, "--roi", os.path.join(tmp, "roi.npy"), "-o", out,
        "--npy", npy_dir, "--png", png_dir)

    frames = data.astype(np.int64)
    sel = frames[roi]  # (n, 6, 7)
    sums = frames.sum(axis=(2, 3))
    acc = sel.sum(axis=0).astype(np.uint64)
    n = np.int64(len(sel))
    hist = np.zeros((4, 2), np.float32)
    hist[1, 1] = n
    total = np.where(roi, sums, np.nan)
    parts = np.stack([frames.min(axis=(2, 3)), frames.max(axis=(2, 3))], axis=-1)
    parts = np.where(roi[..., None], parts, 0).astype(np.int32)
    want = {
        "total": ("nav", total.astype(np.float64)),
        "parts": ("nav", parts),
        "bright": ("nav", (roi & (sums > 21000)).astype(np.bool_)),
        "acc": ("sig", acc),
        "stack": ("sig", np.stack([acc * k for k in (1, 2, 3)], axis=-1).astype(np.float32)),
        "count": ("single", n),
        "hist": ("single", hist),
        "peak": ("single", np.float64(sel.max())),
        "meanimg": ("sig", acc.astype(np.float64) / np.float64(n)),
        "half": ("nav", (total / 2).astype(np.float32)),
        "grand": ("single", np.float64(acc.sum())),
    }
    with h5py.File(out, "r") as f:
        if list(f.keys()) != ["layout"] or dict(f.attrs):
            fail("%s: the file should hold only the group /layout, has %s and attributes %s"
                 % (out, list(f.keys()), dict(f.attrs)))
        names = sorted(f["layout"].keys())
        if names != sorted(want):
            fail("/layout holds %s, expected the written buffers %s (no private 'scratch')"
                 % (names, sorted(want)))
        for name, (kind, expected) in want.items():
            d = f["layout"][name]
            if not isinstance(d, h5py.Dataset):
                fail("/layout/%s is not a dataset" % name)
            got_kind = d.attrs.get("kind")
            if isinstance(got_kind, bytes):
                got_kind = got_kind.decode()
            if got_kind != kind:
                fail("/layout/%s: attribute kind = %r, expected %r" % (name, got_kind, kind))
            value = d[()]
            if expected.dtype.kind == "f" and name in ("meanimg",):
                check_close(value, expected, "/layout/" + name, rtol=1e-12)
            else:
                check_equal(value, expected, "/layout/" + name)
            got = np.load(os.path.join(npy_dir, "layout.%s.npy" % name))
            check_equal(got, value, "--npy layout.%s.npy" % name)
    if files_in(npy_dir) != sorted("layout.%s.npy" % n for n in want):
        fail("--npy wrote %s" % files_in(npy_dir))
    images = set(files_in(png_dir))
    for name in ("total", "bright", "half", "acc", "meanimg"):
        if "layout.%s.png" % name not in images:
            fail("--png made no image of the 2-D result layout/%s: %s" % (name, sorted(images)))
        if read_png(os.path.join(png_dir, "layout.%s.png" % name)).shape != want[name][1].shape:
            fail("layout.%s.png does not have the result's shape" % name)
    for name in ("count", "hist", "peak", "grand"):
        if "layout.%s.png" % name in images:
            fail("--png made an image of the single result layout/%s" % name)


def check_source_errors(tmp):
    """SPEC §3 Errors: source problems under run, build and emit."""
    one = write(os.path.join(tmp, "one.udf"),
                "udf one {\n    nav f32 a;\n    frame {\n        a = frame;\n    }\n}\n")
    two = write(os.path.join(tmp, "two.udf"),
                "udf two {\n    sig f32 s;\n    frame {\n        s = s * frame;\n    }\n}\n")
    expected = [(one, 4, 13), (two, 2, 13)]
    before = files_in(tmp)
    for args in (["run", one, two, "--data", "demo:2,2,8,8", "-o", os.path.join(tmp, "src.h5")],
                 ["build", one, two, "-o", os.path.join(tmp, "src.so"), "--header",
                  os.path.join(tmp, "src.h")]):
        code, out, err = sh(UDFC, *args)
        no_crash("udfc " + args[0], code, err)
        if code != 1 or out:
            fail("udfc %s with source errors: exit %d, stdout %r; expected exit 1, no stdout\n%s"
                 % (args[0], code, out, err))
        lines = err.split("\n")
        found = []
        for i, line in enumerate(lines):
            m = re.match(r"(.*):(\d+):(\d+): error: ", line)
            if not m:
                continue
            path, ln, col = m.group(1), int(m.group(2)), int(m.group(3))
            found.append((path, ln, col))
            source = open(path).read().split("\n")[ln - 1]
            if i + 2 >= len(lines) or not lines[i + 1].endswith(source) \
                    or lines[i + 2].find("^") != len(lines[i + 1]) - len(source) + col - 1:
                fail("udfc %s: error %s:%d:%d lacks its source line and a caret under the "
                     "column:\n%s" % (args[0], path, ln, col, err))
        if found != expected:
            fail("udfc %s: errors %s, expected one in each file %s" % (args[0], found, expected))
    if files_in(tmp) != before:
        fail("source errors left files: %s" % (set(files_in(tmp)) - set(before)))
    code, out, err = sh(UDFC, "emit", "ir", two)
    if code != 1 or out or not err.startswith("%s:2:13: error: " % two):
        fail("udfc emit ir with a source error: exit %d, stdout %r, stderr:\n%s"
             % (code, out, err))
    valid = write(os.path.join(tmp, "valid.udf"),
                  "udf valid {\n    nav f32 a;\n    frame {\n        a = sum(frame);\n    }\n}\n")
    code, out, err = sh(UDFC, "check", valid, "sumsig")
    if code != 0 or out or err:
        fail("udfc check of valid sources: exit %d, output %r %r; expected silence"
             % (code, out, err))


def check_param_arrays(tmp):
    """SPEC §3: parameter arrays of the wrong shape name the file, exit 3."""
    data = os.path.join(tmp, "p_data.npy")
    np.save(data, np.zeros((3, 4, 5, 6), np.uint16))
    bad = os.path.join(tmp, "masks_transposed.npy")
    np.save(bad, np.ones((2, 6, 5), np.float32))
    h5 = os.path.join(tmp, "arrays.h5")
    with h5py.File(h5, "w") as f:
        f["flat"] = np.ones(30, np.float32)
    sub = os.path.join(tmp, "params")
    os.mkdir(sub)
    expect_no_output(sub, ["masks", "--data", data, "--param", "masks=@" + bad], 3,
                     "masks_transposed.npy", "(2, 6, 5)")
    expect_no_output(sub, ["masks", "--data", data, "--param", "masks=@" + h5 + ":/flat"], 3,
                     "arrays.h5", "(30,)")
    expect_no_output(sub, ["pick", "--data", data, "--param", "indices=@" + bad], 3,
                     "masks_transposed.npy")


def check_huge_roi(tmp):
    """SPEC §3: a mismatched ROI array is exit 3 with one line naming the
    file and saying what is wrong (its shape) — also when it is too large to
    load, which must not abort."""
    data = os.path.join(tmp, "h_data.npy")
    np.save(data, np.zeros((3, 4, 5, 6), np.uint16))
    sub = os.path.join(tmp, "huge")
    os.mkdir(sub)
    # A ROI file that claims 2^44 positions (a sparse HDF5 dataset, no
    # chunk written): its shape is what is wrong, not the memory.
    huge = os.path.join(tmp, "huge_roi.h5")
    with h5py.File(huge, "w") as f:
        f.create_dataset("roi", shape=(1 << 44,), dtype=bool, chunks=(1 << 16,))
    out = os.path.join(sub, "out.h5")
    code, stdout, err = sh(UDFC, "run", "sumsig", "--data", data, "--roi", huge + ":/roi",
                           "-o", out, env=ASAN_ENV)
    no_crash("--roi of 2^44 positions", code, err)
    if code != 3:
        fail("--roi of 2^44 positions: exit %d, expected 3\n%s" % (code, err))
    one_error_line("--roi of 2^44 positions", err, "udfc", "huge_roi.h5", "has shape")
    if files_in(sub):
        fail("--roi of 2^44 positions left %s" % files_in(sub))


def check_huge_result(tmp):
    """SPEC §3: a param that sizes a result too large to allocate is exit 3
    with one line (out of memory), not an abort."""
    data = "demo:3,4,8,8"
    sub = os.path.join(tmp, "huge_result")
    os.mkdir(sub)
    out = os.path.join(sub, "out.h5")
    code, stdout, err = sh(UDFC, "run", "radial_profile", "--data", data, "--param",
                           "nbins=100000000000", "-o", out, env=ASAN_ENV)
    no_crash("--param nbins=1e11", code, err)
    if code != 3:
        fail("--param nbins=100000000000: exit %d, expected 3\n%s" % (code, err))
    one_error_line("--param nbins=100000000000", err, "udfc", "profile")
    if files_in(sub):
        fail("--param nbins=100000000000 left %s" % files_in(sub))


def check_usage_errors(tmp):
    """SPEC §3: bad command lines exit 2 with an error line and nothing on
    stdout: an unknown subcommand, a udf named twice, a stage emit lacks."""
    tmp = os.path.join(tmp, "usage")
    os.mkdir(tmp)
    one = write(os.path.join(tmp, "dup.udf"),
                "udf sumsig {\n    nav f32 a;\n    frame {\n        a = sum(frame);\n    }\n}\n")
    for args, needle in ((["frobnicate"], "unknown command 'frobnicate'"),
                         (["run", "sumsig", one, "--data", "demo:2,2,8,8"], "sumsig"),
                         (["run", "sumsig", "--udf", "sumsig", "--udf", "sumsig", "--data",
                           "demo:2,2,8,8"], "twice"),
                         (["emit", "bytecode", "sumsig"], "bytecode")):
        code, out, err = sh(UDFC, *args, cwd=tmp)
        no_crash("udfc " + " ".join(args), code, err)
        if code != 2 or out or not err.startswith("udfc: error: ") \
                or needle not in err.splitlines()[0]:
            fail("udfc %s: exit %d, stdout %r, stderr:\n%s\nexpected exit 2 and an error "
                 "line mentioning %r" % (" ".join(args), code, out, err, needle))
    if files_in(tmp) != ["dup.udf"]:
        fail("usage errors wrote %s" % files_in(tmp))


def check_stdout_failures(tmp):
    """SPEC §3: I/O failures exit 3 with one error line — also when stdout,
    which holds the whole product of emit and info, cannot be written."""
    if not os.path.exists("/dev/full"):
        return
    for args in (["emit", "asm", "sumsig"], ["emit", "ir", "sumsig"], ["info", "demo:2,2,8,8"]):
        with open("/dev/full", "w") as full:
            code, _, err = sh(UDFC, *args, stdout=full)
        no_crash("udfc %s > /dev/full" % " ".join(args), code, err)
        if code != 3:
            fail("udfc %s > /dev/full: exit %d, expected 3 (output lost: No space left on "
                 "device)\n%s" % (" ".join(args), code, err))
        one_error_line("udfc %s > /dev/full" % " ".join(args), err)


def check_whole_or_nothing(tmp):
    """SPEC §3: output files appear whole or not at all; no partial output
    after an error."""
    work = os.path.join(tmp, "commit")
    os.makedirs(os.path.join(work, "npy", "sumsig.intensity.npy"))  # in the way of one file
    code, out, err = sh(UDFC, "run", "sumsig", "--data", "demo:4,4,16,16", "-o", "out.h5",
                        "--npy", "npy", "--png", "png", cwd=work)
    no_crash("a blocked --npy file", code, err)
    if code != 3:
        fail("a directory in the way of npy/sumsig.intensity.npy: exit %d, expected 3\n%s"
             % (code, err))
    one_error_line("a blocked --npy file", err, "udfc", "npy/sumsig.intensity.npy")
    left = files_in(work)
    if left:
        fail("a run that failed writing npy/sumsig.intensity.npy left output files: %s" % left)


def check_device_output(tmp):
    """-o naming a device node (here a twin of /dev/null, which needs root to
    make): write into it or refuse, but never replace it with a regular file.
    SPEC §3 is silent on special files; this is what anyone expects of
    `-o /dev/null`."""
    node = os.path.join(tmp, "null")
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError):
        return
    code, out, err = sh(UDFC, "run", "sumsig", "--data", "demo:2,2,8,8", "-o", node)
    no_crash("-o a device node", code, err)
    if not stat.S_ISCHR(os.lstat(node).st_mode):
        fail("-o %s (a character device, like /dev/null) replaced the device with a regular "
             "file (exit %d)" % (node, code))
    if code not in (0, 3):
        fail("-o a device node: exit %d\n%s" % (code, err))
    os.unlink(node)


def many_files(tmp):
    many = os.path.join(tmp, "many")
    if os.path.isdir(many):
        return sorted((os.path.join(many, f) for f in os.listdir(many) if f.endswith(".udf")
                       and f.startswith("w")), key=lambda p: int(os.path.basename(p)[1:-4]))
    os.mkdir(many)
    paths = [write(os.path.join(many, "w%d.udf" % i),
                   "udf w%d {\n    nav f32 a;\n    frame {\n        a = sum(frame);\n    }\n}\n"
                   % i) for i in range(1, 71)]
    return paths


def check_png_selection(tmp):
    """SPEC §3 --png: images of 2-D nav or sig results; a result with dims of
    its own is none, even where its array has rank 2 (docs/decisions.md):
    radial_profile's bins on a 1-D scan."""
    work = os.path.join(tmp, "png_selection")
    os.mkdir(work)
    code, _, err = sh(UDFC, "run", "radial_profile", "sum", "--data", "demo:4,4,16,16", "--nav",
                      "16", "-o", "out.h5", "--png", "png", cwd=work)
    if code != 0:
        fail("radial_profile and sum on a 1-D scan: exit %d\n%s" % (code, err))
    made = sorted(os.listdir(os.path.join(work, "png")))
    if made != ["sum.intensity.png"]:
        fail("--png on a 1-D scan made %s, expected only sum.intensity.png" % made)


def check_unreadable_udf(tmp):
    """SPEC §3: files that cannot be read are exit 3 with one line naming the
    file (docs/decisions.md: like data files) — a missing .udf, a directory."""
    folder = os.path.join(tmp, "folder.udf")
    os.mkdir(folder)
    for path, why in ((os.path.join(tmp, "missing.udf"), "No such file"),
                      (folder, "Is a directory")):
        for cmd in ("check", "run"):
            code, _, err = sh(UDFC, cmd, path, *(["--data", "demo"] if cmd == "run" else []))
            no_crash("udfc %s %s" % (cmd, path), code, err)
            if code != 3:
                fail("udfc %s %s: exit %d, expected 3\n%s" % (cmd, path, code, err))
            one_error_line("udfc %s %s" % (cmd, path), err, "udfc", path, why)


def check_many_files_check(tmp):
    """No input crashes the tool (SPEC §3): udfc check FILE.udf... with 70 files."""
    paths = many_files(tmp)
    code, out, err = sh(UDFC, "check", *paths)
    no_crash("udfc check with 70 files", code, err)
    if not (code == 0 and not err) and not (code == 2 and one_error_line("check 70", err)):
        fail("udfc check with 70 valid files: exit %d\n%s" % (code, err))


def check_many_files_build(tmp):
    """udfc build FILE.udf... builds every udf of every file (or refuses)."""
    paths = many_files(tmp)
    many = os.path.dirname(paths[0])
    header = os.path.join(many, "k.h")
    code, out, err = sh(UDFC, "build", *paths, "-o", os.path.join(many, "k.o"), "--dtype",
                        "u16", "--header", header)
    no_crash("udfc build with 70 files", code, err)
    if code == 0:
        text = open(header).read()
        missing = [i for i in range(1, 71) if "udf w%d\n" % i not in text]
        if missing:
            fail("udfc build of 70 files exited 0 but left out the udfs of %d files: %s"
                 % (len(missing), ", ".join("w%d.udf" % i for i in missing)))
    elif code != 2:
        fail("udfc build with 70 files: exit %d\n%s" % (code, err))
    else:
        one_error_line("udfc build with 70 files", err.split("\nusage:")[0])


def check_many_udfs_in_one_file(tmp):
    """SPEC §3: several udfs in one file all run in one pass; --udf picks."""
    many = os.path.join(tmp, "one_file")
    os.mkdir(many)
    big = write(os.path.join(many, "big.udf"), "".join(
        "udf q%d {\n    nav f32 v;\n    frame {\n        v = sum(frame);\n    }\n}\n" % i
        for i in range(260)))
    out_h5 = os.path.join(many, "q.h5")
    code, out, err = sh(UDFC, "run", big, "--udf", "q259", "--data", "demo:2,2,8,8", "-o",
                        out_h5)
    no_crash("260 udfs in one file", code, err)
    if code != 0:
        fail("udfc run big.udf --udf q259 (big.udf defines q0..q259): exit %d, expected 0 — "
             "udfs past the 256th are dropped\n%s" % (code, err[:300]))
    with h5py.File(out_h5, "r") as f:
        if list(f.keys()) != ["q259"]:
            fail("--udf q259 wrote %s" % list(f.keys()))


def check_build_cpu(tmp):
    """SPEC §3: a bad option value is exit 2, never a crash (udfc build --cpu)."""
    work = os.path.join(tmp, "build_cpu")
    os.mkdir(work)
    out = os.path.join(work, "k.so")
    code, _, err = sh(UDFC, "build", "sum", "-o", out, "--cpu", "no-such-cpu")
    no_crash("udfc build --cpu no-such-cpu", code, err)
    if code != 2:
        fail("udfc build --cpu no-such-cpu: exit %d, expected 2\n%s" % (code, err[-2000:]))
    one_error_line("udfc build --cpu no-such-cpu", err.split("\nusage:")[0], "udfc",
                   "no-such-cpu")
    if files_in(work):
        fail("a refused build left %s" % files_in(work))
    # The CPU names are checked without loading the code generator (LLVM).
    _, _, err = sh(UDFC, "build", "sum", "-o", out, "--cpu", "no-such-cpu",
                   env=dict(os.environ, LD_DEBUG="files"))
    if "file=" not in err:
        fail("LD_DEBUG=files showed no library loads:\n" + err[-2000:])
    if "libudfc_llvm" in err:
        fail("udfc build --cpu no-such-cpu loaded the code generator to refuse it")


def check_build_empty_dtype(tmp):
    """SPEC §3: a malformed option value is exit 2 (an empty --dtype list
    would build a library without kernels)."""
    work = os.path.join(tmp, "build_dtype")
    os.mkdir(work)
    out = os.path.join(work, "k.so")
    code, _, err = sh(UDFC, "build", "sum", "-o", out, "--dtype", "")
    no_crash("udfc build --dtype ''", code, err)
    if code != 2:
        fail("udfc build --dtype '' (no frame type): exit %d, expected 2 — a library without "
             "kernels\n%s" % (code, err))
    if files_in(work):
        fail("a refused build left %s" % files_in(work))


def check_build_outputs(tmp):
    """SPEC §3/§4: the header and the library appear together or not at
    all; the header names only functions of the public C API."""
    work = os.path.join(tmp, "build_outputs")
    os.mkdir(work)
    out = os.path.join(work, "k.so")
    os.mkdir(os.path.join(work, "in_the_way.h"))
    code, _, err = sh(UDFC, "build", "sum", "-o", out, "--header",
                      os.path.join(work, "in_the_way.h"), "--dtype", "u16")
    if code != 3 or os.path.exists(out):
        fail("udfc build with an unwritable header: exit %d, library %s\n%s"
             % (code, "written" if os.path.exists(out) else "absent", err))
    os.rmdir(os.path.join(work, "in_the_way.h"))

    header = os.path.join(work, "k.h")
    run("build", "sum", "sumsig", "-o", out, "--header", header, "--dtype", "u16")
    api = open(PUBLIC_HEADER).read()
    for name in sorted(set(re.findall(r"\budfrt_\w+", open(header).read()))):
        if not re.search(r"\b%s\s*\(" % name, api):
            fail("the header of udfc build tells to call %s(), which runtime/include/udfrt/"
                 "udfrt.h does not declare" % name)


def check_udfrun(tmp):
    """udfrun (SPEC §4): the options and outputs of udfc run; a truncated
    library is refused, not a crash."""
    work = os.path.join(tmp, "udfrun")
    os.mkdir(work)
    lib = os.path.join(tmp, "udfrun.so")
    run("build", "sum", "sumsig", "-o", lib)
    code, out, err = sh(UDFRUN, lib, "--data", "demo:2,3,8,8", cwd=work)
    if code != 0 or files_in(work) != ["sum.h5"]:
        fail("udfrun without -o: exit %d, wrote %s; expected sum.h5 (NAME.h5 of the first "
             "udf)\n%s" % (code, files_in(work), err))
    with h5py.File(os.path.join(work, "sum.h5"), "r") as f:
        if f["sumsig/intensity"].shape != (2, 3) or f["sum/intensity"].shape != (8, 8):
            fail("udfrun's result shapes differ from SPEC §3")
    os.unlink(os.path.join(work, "sum.h5"))

    blob = open(lib, "rb").read()
    for size in (1000, len(blob) // 3, len(blob) - 4096):
        cut = os.path.join(tmp, "cut%d.so" % size)
        with open(cut, "wb") as f:
            f.write(blob[:size])
        code, out, err = sh(UDFRUN, cut, "--data", "demo:2,3,8,8", "-o", "o.h5", cwd=work)
        no_crash("udfrun on a library cut to %d of %d bytes" % (size, len(blob)), code, err)
        if code != 3:
            fail("udfrun on a truncated library: exit %d, expected 3\n%s" % (code, err))
        one_error_line("udfrun on a truncated library", err, "udfrun", "cut%d.so" % size)
        if files_in(work):
            fail("udfrun on a truncated library left %s" % files_in(work))



def check_udfrun_help(tmp):
    """udfrun's usage errors end with "(see `udfrun help`)": that command
    must work. (Not a SPEC rule: the tool's own advice.)"""
    work = os.path.join(tmp, "udfrun_help")
    os.mkdir(work)
    lib = os.path.join(tmp, "udfrun.so")
    code, out, err = sh(UDFRUN, lib, "--rio", "x")
    if "(see `udfrun help`)" in err:
        code, out, err = sh(UDFRUN, "help", cwd=work)
        if code != 0 or "usage" not in out:
            fail("udfrun tells to see `udfrun help`, which exits %d:\n%s" % (code, err))


def checked(check, *args):
    """Runs one group of checks; a failed check (fail() exits) is counted and
    the next group still runs, so that one run reports every deviation."""
    try:
        return check(*args)
    except SystemExit:
        failed.append(check.__name__)
        return None


failed = []
with tempdir() as tmp:
    for group in (check_layout, check_source_errors, check_usage_errors, check_param_arrays,
                  check_huge_roi, check_huge_result, check_stdout_failures,
                  check_whole_or_nothing, check_device_output, check_build_cpu,
                  check_build_empty_dtype, check_build_outputs, check_udfrun, check_udfrun_help,
                  check_png_selection, check_unreadable_udf, check_many_files_check,
                  check_many_files_build, check_many_udfs_in_one_file):
        checked(group, tmp)
if failed:
    print("FAIL: %d groups of checks failed: %s" % (len(failed), ", ".join(failed)),
          file=sys.stderr)
    sys.exit(1)
print("ok")
