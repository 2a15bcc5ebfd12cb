#!/usr/bin/python3
"""bench.py — issue 5's benchmark: udfc against hand-written C, numpy, a plain
read of the file and the memory bandwidth, on a 2 GiB u16 scan in the page
cache. Builds the C programs, makes the data (once), then runs everything in
interleaved rounds (so machine noise hits all contenders alike) and prints
medians; see bench/README.md.

usage: bench/bench.py [--udfc PATH] [--work DIR] [-j N] [--reps N]
                      [--nav NY,NX] [--sig SY,SX] [--no-numpy]"""
import argparse
import glob
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

import bench_data
import bench_report

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


@dataclass
class Row:
    """One benchmark row: a stdlib udf with its parameters and counterparts.
    `{masks1}`/`{masks16}` in the arguments become the mask files (.npy for
    udfc and numpy, raw .f32 for hand-C), `{indices}` three frame indices,
    `{dark}`/`{gain}` detector correction planes. `check` lists the udf's
    buffers that must equal the hand-C output of the same name (or numpy's,
    for a row without hand-C) within `tol` (relative to the largest
    reference value)."""
    label: str
    udf: str
    params: list = field(default_factory=list)    # udfc --param values
    options: list = field(default_factory=list)   # other udfc run options
    handc: list = None                             # hand-C kernel and arguments
    numpy: list = None                             # numpy kernel and arguments
    check: list = field(default_factory=list)
    tol: float = 1e-4
    memory_bound: bool = True                      # the targets for memory-bound udfs
    targets: bool = True                           # counts toward the targets at all


# Every row the benchmark knows; stdlib udfs missing here run with no
# parameters and "n/a" counterparts. Extend this table as the stdlib grows.
ROWS = [
    Row("sumsig", "sumsig", handc=["sumsig"], numpy=["sumsig"], check=["intensity"]),
    Row("sum", "sum", handc=["sum"], numpy=["sum"], check=["intensity"]),
    Row("1 mask", "masks", params=["masks=@{masks1}"], handc=["masks", "--masks", "{masks1}"],
        numpy=["masks", "--masks", "{masks1}"], check=["intensity"]),
    Row("16 masks", "masks", params=["masks=@{masks16}"],
        handc=["masks", "--masks", "{masks16}"], numpy=["masks", "--masks", "{masks16}"],
        check=["intensity"], memory_bound=False),
    Row("com", "com", handc=["com"], numpy=["com"],
        check=["field", "magnitude", "divergence", "curl"], tol=1e-3),
    Row("stddev", "stddev", handc=["stddev"], numpy=["stddev"],
        check=["mean", "var", "std", "num_frames"]),
    # The same udf against hand-C with its formula (Welford's f64 update):
    # what the compiler makes of the arithmetic, apart from the choice of it.
    Row("stddev (Welford)", "stddev", handc=["stddev_welford"],
        check=["mean", "var", "std", "num_frames"], targets=False),
    Row("logsum", "logsum", handc=["logsum"], numpy=["logsum"], check=["logsum"]),
    Row("pick", "pick", params=["indices=@{indices}"], memory_bound=False),
    # Detector corrections, applied in the kernel's loads (numpy: whole frames).
    Row("sum, dark+gain", "sum", options=["--dark", "{dark}", "--gain", "{gain}"],
        numpy=["sum", "--dark", "{dark}", "--gain", "{gain}"], check=["intensity"],
        tol=1e-5, targets=False),
]

# The plain reads of the file (io_probe variants): no compute, and the least that
# a mapping needs to bring every byte in.
READ_PREAD, READ_MMAP = "pread-nocompute-1M", "mmapwin-8M"

CC = ["cc", "-O3", "-march=native", "-pthread", "-Wall", "-Wextra"]
SMALL = (64, 64), (64, 64)   # the data set for the wall-time target
# A contender whose first run took longer than SLOW_SECONDS runs in the first
# SLOW_REPS rounds only, to keep the whole benchmark within a few minutes.
SLOW_SECONDS, SLOW_REPS = 4.0, 3
NUMPY_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def in_child(fn, *args):
    """fn(*args) in a forked child process, whose memory goes back to the
    system when it ends: a child's peak RSS (ru_maxrss) includes the pages of
    the process it was forked from, so numpy's arrays for making the data
    (~600 MB for 1024² frames) would otherwise show up in every RSS column."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(fn, args)


def run_child(cmd, env=None):
    """Runs `cmd`; returns (exit code, stdout, stderr, wall seconds, peak RSS MB)
    with the child's own rusage (os.wait4), not that of all children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err,
                                env=dict(os.environ, **(env or {})))
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(), err.read().decode(), wall,
                usage.ru_maxrss / 1024)


def build(bin_dir):
    """Compiles membw, io_probe and handc into bin_dir."""
    os.makedirs(bin_dir, exist_ok=True)
    programs = {"membw": ["membw.c"], "io_probe": ["io_probe.c"],
                "handc": sorted(glob.glob(os.path.join(HERE, "handc", "*.c")))}
    for name, sources in programs.items():
        subprocess.run(CC + ["-o", os.path.join(bin_dir, name)] + sources + ["-lm"],
                       cwd=HERE, check=True)


def warm(path):
    """Puts the file in the page cache the way a first sequential read from
    the disk does: in large folios, which the kernel maps with one page-table
    entry per 2 MiB. The file's pages are dropped first (written back, then
    POSIX_FADV_DONTNEED), because pages cached earlier may sit in small
    folios (after reads under memory pressure, or interleaved preads), and
    every mapped read of the file then takes 30-50 % longer (bench/README.md)."""
    with open(path, "rb", buffering=0) as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        while f.read(8 << 20):
            pass


def stdlib_udfs():
    return sorted(os.path.splitext(os.path.basename(p))[0]
                  for p in glob.glob(os.path.join(REPO, "stdlib", "*.udf")))


class Bench:
    """The data set, the tools and the results of one benchmark run."""

    def __init__(self, args):
        self.args = args
        self.repo = REPO
        self.work = args.work
        self.bin = os.path.join(self.work, "bin")
        self.out = os.path.join(self.work, "out")
        self.jit_dir = os.path.join(self.work, "jit-cache")
        os.makedirs(self.out, exist_ok=True)
        self.nav = tuple(int(v) for v in args.nav.split(","))
        self.sig = tuple(int(v) for v in args.sig.split(","))
        self.data = self.scan_path(self.nav, self.sig)
        self.small = self.scan_path(*SMALL)
        self.bytes = 2 * int(np.prod(self.nav + self.sig))

    def scan_path(self, nav, sig):
        dims = "x".join(str(v) for v in nav + sig)
        return os.path.join(self.work, f"scan_{dims}_u16.raw")

    def prepare(self):
        build(self.bin)
        shutil.rmtree(self.jit_dir, ignore_errors=True)
        in_child(bench_data.ensure_scan, self.data, self.nav, self.sig, log)
        in_child(bench_data.ensure_scan, self.small, *SMALL, log)
        self.masks = in_child(bench_data.ensure_masks, self.work, self.sig, [1, 16])
        small_dir = os.path.join(self.work, "small")
        os.makedirs(small_dir, exist_ok=True)
        self.small_masks = in_child(bench_data.ensure_masks, small_dir, SMALL[1], [1, 16])
        self.indices = bench_data.ensure_indices(self.work, int(np.prod(self.nav)))
        self.small_indices = bench_data.ensure_indices(small_dir, int(np.prod(SMALL[0])))
        self.planes = bench_data.ensure_planes(self.work, self.sig)
        self.small_planes = bench_data.ensure_planes(small_dir, SMALL[1])
        warm(self.data)

    def fill(self, items, raw, small=False):
        """Replaces {masksN}, {indices}, {dark} and {gain} in the arguments by
        the files."""
        masks = self.small_masks if small else self.masks
        subst = {f"masks{n}": paths[1 if raw else 0] for n, paths in masks.items()}
        subst["indices"] = self.small_indices if small else self.indices
        subst.update(self.small_planes if small else self.planes)
        return [s.format(**subst) for s in items]

    def shape_args(self, small=False):
        nav, sig = SMALL if small else (self.nav, self.sig)
        return ["--nav", ",".join(map(str, nav)), "--sig", ",".join(map(str, sig))]

    def probe(self, variant=None, reps=1):
        """io_probe (one variant or all): {variant: (GB/s, peak RSS MB)}."""
        cmd = [os.path.join(self.bin, "io_probe"), self.data, "-j", str(self.args.threads),
               "-r", str(reps)] + (["-v", variant] if variant else [])
        rc, out, err, _, _ = run_child(cmd)
        if rc != 0 or err:
            log(f"io_probe: {err.strip()}")
        return {name: (float(gbps), float(mb))
                for _, name, gbps, mb in (line.split() for line in out.splitlines())}

    def membw(self):
        rc, out, _, _, _ = run_child([os.path.join(self.bin, "membw"), "-j",
                                      str(self.args.threads), "-m", "512", "-r", "1"])
        return float(out.split()[1]) if rc == 0 else None

    def plain_read(self):
        """One plain read of the scan each way: (pread GB/s, mmap GB/s)."""
        return tuple(self.probe(v).get(v, (None,))[0] for v in (READ_PREAD, READ_MMAP))

    def udfc(self, row, small=False):
        """One `udfc run`: (GB/s or None, (compile ms, from the cache?), wall s, RSS MB,
        h5 path, error). On the big scan each row has its own kernel cache
        (UDF_CACHE_DIR), empty at the start of the bench, so its first run
        compiles cold and the later ones load from the cache; on the small scan
        the cache is always empty, so each of those runs is a cold start."""
        h5 = os.path.join(self.out, "small.h5" if small else f"udf-{row.udf}.h5")
        cmd = [self.args.udfc, "run", row.udf, "--data", self.small if small else self.data,
               "--dtype", "u16"] + self.shape_args(small) + [
               "--stats", "-j", str(self.args.threads), "-o", h5]
        for p in self.fill(row.params, raw=False, small=small):
            cmd += ["--param", p]
        cmd += self.fill(row.options, raw=False, small=small)
        cache = os.path.join(self.jit_dir, ("cold-" if small else "") + row.label.replace(" ", ""))
        if small:
            shutil.rmtree(cache, ignore_errors=True)
        rc, out, err, wall, rss = run_child(cmd, {"UDF_CACHE_DIR": cache})
        if rc != 0:
            first_line = (err.strip().splitlines() or [""])[0]
            return None, None, wall, rss, None, f"exit {rc}: {first_line}"
        jit = re.search(r"compile ([\d.]+) ms( \(from the cache\))?", err)
        run = re.search(r"run ([\d.]+) s wall", err)
        if not (jit and run):
            return None, None, wall, rss, h5, "no 'compile … ms' and 'run … s wall' in --stats"
        compile_ms = (float(jit.group(1)), bool(jit.group(2)))
        seconds = float(run.group(1))  # printed to 1 ms: 0 on the small scan
        gbps = self.bytes / 1e9 / seconds if seconds > 0 and not small else None
        return gbps, compile_ms, wall, rss, h5, None

    def external(self, kind, row, io=None, out_dir=None):
        """One hand-C or numpy run: (GB/s, RSS MB, error)."""
        spec = row.handc if kind == "handc" else row.numpy
        if kind == "handc":
            cmd = [os.path.join(self.bin, "handc")] + self.fill(spec, raw=True)
            cmd += ["--data", self.data, "-j", str(self.args.threads), "--io", io]
            env = None
        else:
            cmd = ["/usr/bin/python3", os.path.join(HERE, "bench_numpy.py")]
            cmd += self.fill(spec, raw=False) + ["--data", self.data]
            env = NUMPY_ENV
        cmd += self.shape_args() + (["--out", out_dir] if out_dir else [])
        rc, out, err, _, rss = run_child(cmd, env)
        m = re.search(r"gbps ([\d.]+)", out)
        if rc != 0 or not m:
            return None, rss, f"exit {rc}: {err.strip()[-300:]}"
        return float(m.group(1)), rss, None

    def result_dir(self, kind, row):
        path = os.path.join(self.out, f"{kind}-{row.label.replace(' ', '')}")
        os.makedirs(path, exist_ok=True)
        return path

    def run_rows(self, rows, available):
        """Interleaved rounds over all rows; returns {label: measurements}."""
        keys = ["udf", "jit_cold", "jit_cached", "small", "rss_udf", "handc_pread", "handc_mmap",
                "rss_handc", "read_pread", "read_mmap", "numpy", "rss_numpy", "checks", "errors"]
        res = {r.label: {k: [] for k in keys} for r in rows}
        res["membw"] = []
        for rep in range(self.args.reps):
            log(f"round {rep + 1} of {self.args.reps}")
            res["membw"].append(self.membw())
            for row in rows:
                self.one_round(row, res[row.label], row.udf in available, rep)
        return res

    def due(self, m, key, rep):
        """Whether contender `key` runs in round `rep` (see SLOW_SECONDS)."""
        first = m[key][0] if m[key] else None
        return rep < SLOW_REPS or not first or self.bytes / 1e9 / first <= SLOW_SECONDS

    def one_round(self, row, m, have_udf, rep):
        """One run of every contender of `row` into the measurements `m`, hand-C
        and the plain reads right before udfc so that their ratios compare runs
        made under the same load; the first round also keeps the results and
        checks them against hand-C. A skipped run counts as None, so that the
        lists stay aligned by round."""
        ref_dir, np_dir = self.result_dir("handc", row), self.result_dir("numpy", row)
        first = rep == 0
        unchecked = None  # the udf's first result, where no hand-C checks it
        use_numpy = row.numpy and not self.args.no_numpy
        if row.handc:
            for io in ("pread", "mmap"):
                keep = first and io == "pread"
                run = self.due(m, "handc_" + io, rep)
                gbps, rss, err = (self.external("handc", row, io, ref_dir if keep else None)
                                  if run else (None, None, None))
                record(m, gbps, rss, err, "handc_" + io, "rss_handc", f"hand-C ({io})")
        if have_udf:
            run = self.due(m, "udf", rep)
            pread, mmap = self.plain_read() if run else (None, None)
            m["read_pread"].append(pread)
            m["read_mmap"].append(mmap)
            gbps, jit, _, rss, h5, err = self.udfc(row) if run else (None,) * 6
            record(m, gbps, rss, err, "udf", "rss_udf", "udfc")
            if jit:
                m["jit_cached" if jit[1] else "jit_cold"].append(jit[0])
            if first and h5 and not err and row.handc:
                m["checks"] += bench_report.check_udf(h5, row, ref_dir, row.handc[0])
            elif first and h5 and not err:
                unchecked = h5  # against numpy's result, below
            _, jit, wall, _, _, err = self.udfc(row, small=True)
            m["small"].append(None if err else wall)
            if jit and not jit[1]:
                m["jit_cold"].append(jit[0])
            if err:
                m["errors"].append(f"udfc on 64^4: {err}")
        if use_numpy:
            run = self.due(m, "numpy", rep)
            gbps, rss, err = (self.external("numpy", row, out_dir=np_dir if first else None)
                              if run else (None, None, None))
            record(m, gbps, rss, err, "numpy", "rss_numpy", "numpy")
        if first and row.handc and use_numpy:
            m["checks"] += bench_report.check_numpy(np_dir, row, ref_dir)
        elif first and unchecked and use_numpy and row.check:
            m["checks"] += bench_report.check_udf(unchecked, row, np_dir, row.numpy[0], "numpy")


def record(m, gbps, rss, err, key, rss_key, who):
    """Keeps a run's GB/s and peak RSS, or its error (a failed run has neither)."""
    m[key].append(None if err else gbps)
    m[rss_key].append(None if err else rss)
    if err:
        m["errors"].append(f"{who}: {err}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--udfc", default=os.path.join(REPO, "build", "tools", "udfc", "udfc"))
    ap.add_argument("--work", default="/tmp/udf-bench",
                    help="data, binaries and outputs (default /tmp/udf-bench)")
    ap.add_argument("-j", "--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--nav", default="128,128")
    ap.add_argument("--sig", default="256,256")
    ap.add_argument("--no-numpy", action="store_true", help="skip the (slow) numpy versions")
    args = ap.parse_args()
    if not os.access(args.udfc, os.X_OK):
        sys.exit(f"bench: no udfc at {args.udfc} (build the project or pass --udfc)")
    t0 = time.time()
    bench = Bench(args)
    bench.prepare()
    available = stdlib_udfs()
    known = {r.udf for r in ROWS}
    rows = ROWS + [Row(u, u, memory_bound=False) for u in available if u not in known]
    log("probing the ways to read the file")
    probe = bench.probe(reps=args.reps)
    res = bench.run_rows(rows, available)
    bench_report.print_report(sys.stdout, bench, rows, available, probe, res, time.time() - t0)


if __name__ == "__main__":
    main()
