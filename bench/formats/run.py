"""bench/formats/run.py — sumsig throughput of udfc on the same 4D-STEM data
stored as raw, HDF5 contiguous, HDF5 one frame per chunk, HDF5 gzip-1 chunked
and Merlin MIB U16, beside h5py reading the same HDF5 files (one thread, the
HDF5 library's own zlib). Prints medians and the ratios the formats issue
targets. Data (warm in the page cache) is written to a temporary folder and
deleted afterwards.

    /usr/bin/python3 bench/formats/run.py [--udfc build/tools/udfc/udfc]
        [--nav 48,64] [--sig 256,256] [--threads 2] [--repeats 5] [--dir /tmp]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e"))
import mibgen  # noqa: E402


def make_data(nav, sig, seed=0):
    """Low-count diffraction-like frames: a bright disk on a Poisson background,
    the kind of data gzip-1 compresses about 4:1."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:sig[0], :sig[1]]
    cy, cx = sig[0] / 2, sig[1] / 2
    disk = ((yy - cy) ** 2 + (xx - cx) ** 2 < (sig[0] / 8) ** 2) * 40.0 + 0.3
    data = np.empty(nav + sig, dtype=np.uint16)
    for i in np.ndindex(*nav):
        data[i] = rng.poisson(disk)
    return data


def write_files(d, data):
    nav, sig = data.shape[:2], data.shape[2:]
    paths = {}
    paths["raw"] = os.path.join(d, "data.raw")
    data.tofile(paths["raw"])
    for name, kw in (("contiguous", {}), ("frame_chunks", {"chunks": (1, 1) + sig}),
                     ("gzip1", {"chunks": (1, 1) + sig, "compression": "gzip",
                                "compression_opts": 1})):
        paths[name] = os.path.join(d, name + ".h5")
        with h5py.File(paths[name], "w") as f:
            f.create_dataset("data", data=data, **kw)
    paths["mib"] = os.path.join(d, "data.mib")
    mibgen.write_mib(paths["mib"], data.reshape((-1,) + sig), "U16", 12)
    return paths


def udfc_seconds(udfc, args, threads, out):
    """The run's wall time as udfc --stats reports it (JIT compile excluded)."""
    p = subprocess.run([udfc, "run", "sumsig", "--data", *args, "-j", str(threads), "--stats",
                        "-o", out], capture_output=True, text=True, check=True)
    return float(re.search(r"run ([0-9.]+) s wall", p.stderr + p.stdout).group(1))


def h5py_seconds(path, frames_per_read):
    """Single-threaded h5py reading the dataset in runs of frames, summing each."""
    t0 = time.perf_counter()
    with h5py.File(path, "r") as f:
        d = f["data"]
        flat = d.shape[0] * d.shape[1]
        ny = d.shape[1]
        for start in range(0, flat, frames_per_read):
            y, x = divmod(start, ny)
            block = d[y, x:x + frames_per_read]
            block.sum(axis=(-2, -1), dtype=np.float64)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udfc", default="build/tools/udfc/udfc")
    ap.add_argument("--nav", default="48,64")
    ap.add_argument("--sig", default="256,256")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    nav = tuple(int(v) for v in a.nav.split(","))
    sig = tuple(int(v) for v in a.sig.split(","))
    gib = np.prod(nav + sig) * 2 / 2 ** 30
    d = tempfile.mkdtemp(prefix="udf-bench-formats-", dir=a.dir)
    try:
        data = make_data(nav, sig)
        paths = write_files(d, data)
        del data
        out = os.path.join(d, "out.h5")
        specs = {
            "raw": [paths["raw"], "--dtype", "u16", "--nav", a.nav, "--sig", a.sig],
            "hdf5 contiguous": [paths["contiguous"] + ":/data"],
            "hdf5 frame chunks": [paths["frame_chunks"] + ":/data"],
            "hdf5 gzip-1": [paths["gzip1"] + ":/data"],
            "mib U16": [paths["mib"], "--nav", a.nav],
        }
        rows = {}
        for name, args in specs.items():
            udfc_seconds(a.udfc, args, a.threads, out)  # warm-up: page cache, first touch
            rows[name] = statistics.median(
                udfc_seconds(a.udfc, args, a.threads, out) for _ in range(a.repeats))
        gzip_one = statistics.median(
            udfc_seconds(a.udfc, specs["hdf5 gzip-1"], 1, out) for _ in range(a.repeats))
        # Whether the machine gave us the cores: a CPU-bound run on 1 and N threads.
        demo = ["demo:48,64,128,128"]
        cpu_scaling = statistics.median(udfc_seconds(a.udfc, demo, 1, out) for _ in range(3)) / \
            statistics.median(udfc_seconds(a.udfc, demo, a.threads, out) for _ in range(3))
        per_read = max(1, (1 << 20) // (sig[0] * sig[1] * 2))
        h5 = {}
        for name in ("contiguous", "frame_chunks", "gzip1"):
            h5py_seconds(paths[name], per_read)
            h5[name] = statistics.median(
                h5py_seconds(paths[name], per_read) for _ in range(a.repeats))
        gz_ratio = os.path.getsize(paths["raw"]) / os.path.getsize(paths["gzip1"])
        print("data: nav %s sig %s u16, %.2f GiB per copy; gzip-1 ratio %.1f:1; warm page cache"
              % (nav, sig, gib, gz_ratio))
        print("udfc run sumsig -j %d, median of %d runs (wall of the run, compile excluded)"
              % (a.threads, a.repeats))
        print("%-28s %9s %9s" % ("", "seconds", "GiB/s"))
        for name, s in rows.items():
            print("%-28s %9.3f %9.2f" % ("udfc " + name, s, gib / s))
        for name, s in h5.items():
            print("%-28s %9.3f %9.2f" % ("h5py 1 thread " + name, s, gib / s))
        print("%-28s %9.3f %9.2f" % ("udfc hdf5 gzip-1, 1 thread", gzip_one, gib / gzip_one))
        print("CPU scaling of the demo data set, %d threads vs 1: %.2fx (load %s)"
              % (a.threads, cpu_scaling, os.getloadavg()[0]))
        contig = rows["raw"] / rows["hdf5 contiguous"]
        gz = h5["gzip1"] / rows["hdf5 gzip-1"]
        print("ratio contiguous HDF5 / raw throughput:   %.2f (target >= 0.9)" % contig)
        print("ratio udfc gzip-1 / h5py gzip-1:          %.2f (target >= 4)" % gz)
        print("ratio udfc gzip-1 1 thread / h5py gzip-1: %.2f" % (h5["gzip1"] / gzip_one))
        print("ratio udfc frame chunks / raw:            %.2f"
              % (rows["raw"] / rows["hdf5 frame chunks"]))
        print("ratio udfc MIB U16 / raw:                 %.2f" % (rows["raw"] / rows["mib U16"]))
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
