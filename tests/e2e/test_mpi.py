"""MPI (SPEC §4): `mpirun -n N udfc run ...` and `udfrun` spread the
partitions over the ranks and merge with the udfs' own merges; the output
equals a single-process run bit for bit, whatever N, the threads per rank, a
rank without partitions, a ROI (also an empty one), chunked HDF5 (uneven
shares), a sync offset, corrections in the kernels' loads. Rank 0 alone writes and
prints; a failure on the ranks is the single run's exit code, without output;
UDF_MPI=off runs a process that a rank started on its own; a run outside
mpirun does not load MPI at all.

  test_mpi.py MPIEXEC STDLIB_DIR   (a build with UDF_MPI)
  test_mpi.py --without (a build without: an mpirun of 2 ranks is refused)"""
import os
import re
import subprocess
import sys

import h5py
import numpy as np

from udftest import UDFC, check_equal, fail, read, run, tempdir

UDFRUN = os.environ["UDFRUN"]
# mpirun as root (CI containers) needs both; ranks beyond the cores need
# oversubscription; shared-memory transfers without cross-process memory
# attach, which containers often forbid (ptrace scope).
MPI_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
UDFS = ["stddev", "masks", "com", "sumsig", "max"]


def mpirun(mpiexec, n, tool, *args, expect=0):
    cmd = [mpiexec, "-n", str(n), tool] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=MPI_ENV, timeout=120)
    if p.returncode != expect:
        fail("%s\nexited %d, expected %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, d: out.__setitem__(name, d[()])
                     if isinstance(d, h5py.Dataset) else None)
    return out


def check_same(single, ranked, what):
    want, got = datasets(single), datasets(ranked)
    if sorted(want) != sorted(got):
        fail("%s: results %s, expected %s" % (what, sorted(got), sorted(want)))
    for name in want:
        check_equal(got[name], want[name], "%s: %s" % (what, name))


def mpi_works(mpiexec):
    """Whether this machine can start two ranks at all (a launcher that cannot
    is the machine's problem, not udf's: the test is then skipped, loudly)."""
    try:
        p = subprocess.run([mpiexec, "-n", "2", "true"], capture_output=True, text=True,
                           env=MPI_ENV, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("SKIP: %s -n 2 true: %s" % (mpiexec, e))
        return False
    if p.returncode != 0:
        print("SKIP: %s -n 2 true exited %d: %s" % (mpiexec, p.returncode, p.stderr[-500:]))
    return p.returncode == 0


def with_mpi(mpiexec, stdlib):
    with tempdir() as tmp:
        rng = np.random.default_rng(5)
        frames = rng.integers(0, 1000, (7, 9, 16, 16)).astype(np.uint16)
        data = os.path.join(tmp, "data.npy")
        np.save(data, frames)
        masks = os.path.join(tmp, "masks.npy")
        np.save(masks, rng.random((3, 16, 16)).astype(np.float32))
        roi = os.path.join(tmp, "roi.npy")
        box = np.zeros((7, 9), bool)
        box[2:5, 1:7] = True
        np.save(roi, box)
        empty = os.path.join(tmp, "empty.npy")
        np.save(empty, np.zeros((7, 9), bool))
        common = ["--data", data, "--param", "masks=@" + masks]

        def single(name, *extra):
            out = os.path.join(tmp, name)
            run("run", *UDFS, *common, "-o", out, *extra)
            return out

        whole = single("single.h5")
        # A plain run never loads libmpi: only a rank loads libudfrt's MPI
        # module (the dynamic loader names what it opens under LD_DEBUG=files).
        plain = os.path.join(tmp, "plain.h5")
        p = subprocess.run([UDFC, "run", "sumsig", "--data", data, "-o", plain],
                           capture_output=True, text=True, env=dict(os.environ, LD_DEBUG="files"))
        if p.returncode != 0 or "libmpi" in p.stderr or "libudfrt_mpi" in p.stderr:
            fail("a run outside mpirun loaded MPI (exit %d)" % p.returncode)
        check_equal(read(whole, "sumsig", "intensity"),
                    frames.reshape(7, 9, -1).sum(-1).astype(np.float32), "sumsig against numpy")
        for n, threads in ((1, 2), (2, 1), (2, 2), (3, 1), (5, 1)):
            out = os.path.join(tmp, "ranks%d.h5" % n)
            p = mpirun(mpiexec, n, UDFC, "run", *UDFS, *common, "-o", out, "-j", threads,
                       "--stats")
            check_same(whole, out, "mpirun -n %d, -j %d" % (n, threads))
            if p.stdout.count("sumsig/intensity") != 1 or p.stderr.count("stats: run") != 1:
                fail("mpirun -n %d: rank 0 alone prints; stdout:\n%s\nstderr:\n%s"
                     % (n, p.stdout, p.stderr))
            # rank 0 runs partitions [0, parts // n): numpy.linspace bounds
            parts = int(re.search(r"63 frames in (\d+) partitions", p.stderr).group(1))
            share = "rank 0 ran %d of the 63 frames" % ((parts // n) * 63 // parts)
            where = "on %d MPI ranks (%d thread%s on rank 0)" % (n, threads, "s" * (threads > 1))
            if (n > 1) != (where in p.stderr) or \
                    (n > 1 and share not in p.stderr):
                fail("mpirun -n %d: expected '%s' in --stats:\n%s" % (n, share, p.stderr))

        # --stats on rank 0 sums the bytes that all ranks read (32 MiB).
        big = os.path.join(tmp, "big.npy")
        np.save(big, np.ones((64, 64, 64, 64), np.uint16))
        p = mpirun(mpiexec, 2, UDFC, "run", "sumsig", "--data", big, "-o",
                   os.path.join(tmp, "big.h5"), "--stats")
        if "0.034 GB read" not in p.stderr:
            fail("2 ranks reading 32 MiB: --stats should say 0.034 GB read:\n%s" % p.stderr)

        # Corrections in the kernels' loads: the ranks give the planes to their
        # kernels as a single process does.
        dark, gain = os.path.join(tmp, "dark.npy"), os.path.join(tmp, "gain.npy")
        np.save(dark, rng.normal(10, 3, (16, 16)))
        np.save(gain, rng.normal(1, 0.1, (16, 16)).astype(np.float32))
        corrected = single("corrected.h5", "--dark", dark, "--gain", gain)
        out = os.path.join(tmp, "ranks_corrected.h5")
        p = mpirun(mpiexec, 2, UDFC, "run", *UDFS, *common, "-o", out, "--dark", dark,
                   "--gain", gain, "--stats")
        check_same(corrected, out, "2 ranks, dark and gain")
        if "corrections in the kernels' loads" not in p.stderr:
            fail("2 ranks with dark and gain: not corrected in the loads:\n" + p.stderr)

        # More ranks than partitions: ranks 1 and 3 have none.
        few = single("few.h5", "--partitions", "2")
        out = os.path.join(tmp, "few_ranks.h5")
        mpirun(mpiexec, 4, UDFC, "run", *UDFS, *common, "-o", out, "--partitions", "2")
        check_same(few, out, "4 ranks, 2 partitions")

        for name, path in (("roi", roi), ("empty roi", empty)):
            want = single(name.replace(" ", "_") + ".h5", "--roi", path)
            out = os.path.join(tmp, "ranks_" + os.path.basename(want))
            mpirun(mpiexec, 3, UDFC, "run", *UDFS, *common, "-o", out, "--roi", path)
            check_same(want, out, "3 ranks, " + name)

        # HDF5 chunks of 5 frames: partition bounds move to chunk starts, so
        # shares are uneven; a sync offset shifts frames against positions.
        h5 = os.path.join(tmp, "chunked.h5")
        with h5py.File(h5, "w") as f:
            f.create_dataset("data", data=frames, chunks=(1, 5, 16, 16), compression="gzip")
        for extra in ([], ["--sync-offset", "-4"]):
            want = os.path.join(tmp, "h5_single.h5")
            run("run", *UDFS, "--data", h5, "--param", "masks=@" + masks, "-o", want, *extra)
            out = os.path.join(tmp, "h5_ranks.h5")
            mpirun(mpiexec, 3, UDFC, "run", *UDFS, "--data", h5, "--param", "masks=@" + masks,
                   "-o", out, *extra)
            check_same(want, out, "3 ranks, chunked HDF5 %s" % " ".join(extra))

        # udfrun: the same runtime, kernels from a shared library.
        lib = os.path.join(tmp, "kernels.so")
        sources = [os.path.join(stdlib, u + ".udf") for u in ("sumsig", "stddev")]
        run("build", *sources, "-o", lib, "--dtype", "u16")
        want = os.path.join(tmp, "aot.h5")
        p = subprocess.run([UDFRUN, lib, "--data", data, "-o", want], capture_output=True,
                           text=True)
        if p.returncode != 0:
            fail("udfrun: %s" % p.stderr)
        out = os.path.join(tmp, "aot_ranks.h5")
        mpirun(mpiexec, 2, UDFRUN, lib, "--data", data, "-o", out)
        check_same(want, out, "udfrun on 2 ranks")

        # A process that an MPI rank starts inherits the launcher's variables;
        # with UDF_MPI=off it runs on its own (else it would wait to join).
        out = os.path.join(tmp, "child.h5")
        script = 'if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then UDF_MPI=off "$0" "$@"; fi'
        mpirun(mpiexec, 2, "sh", "-c", script, UDFC, "run", *UDFS, *common, "-o", out)
        check_same(whole, out, "udfc started by rank 0 of 2 with UDF_MPI=off")

        # A failure is the single run's exit code on all ranks, and no file.
        out = os.path.join(tmp, "failed.h5")
        p = mpirun(mpiexec, 2, UDFC, "run", "masks", "--data", data, "-o", out,
                   "--param", "masks=@" + os.path.join(tmp, "missing.npy"), expect=3)
        if "udfc: error: cannot open" not in p.stderr or os.path.exists(out):
            fail("a missing param file on 2 ranks: %s (output %s)"
                 % (p.stderr, "written" if os.path.exists(out) else "absent"))


def without_mpi():
    with tempdir() as tmp:
        data = os.path.join(tmp, "data.npy")
        np.save(data, np.ones((2, 3, 4, 5), np.uint8))
        out = os.path.join(tmp, "out.h5")
        env = dict(os.environ, OMPI_COMM_WORLD_SIZE="2")
        p = subprocess.run([UDFC, "run", "sumsig", "--data", data, "-o", out],
                           capture_output=True, text=True, env=env)
        if p.returncode != 2 or "built without MPI" not in p.stderr or os.path.exists(out):
            fail("one of 2 ranks of a build without MPI: exit %d, %s" % (p.returncode, p.stderr))
        for size, off in (("1", None), ("2", "off")):
            env["OMPI_COMM_WORLD_SIZE"] = size
            if off:
                env["UDF_MPI"] = off
            p = subprocess.run([UDFC, "run", "sumsig", "--data", data, "-o", out],
                               capture_output=True, text=True, env=env)
            if p.returncode != 0 or not os.path.exists(out):
                fail("a build without MPI as rank of %s, UDF_MPI=%s: exit %d, %s"
                     % (size, off, p.returncode, p.stderr))
            os.remove(out)


if __name__ == "__main__":
    if sys.argv[1] == "--without":
        without_mpi()
    elif mpi_works(sys.argv[1]):
        with_mpi(sys.argv[1], sys.argv[2])
    else:
        sys.exit(77)  # SKIP_RETURN_CODE in tests/CMakeLists.txt
    print("ok")
