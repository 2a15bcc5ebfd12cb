"""The kernel object cache: a second run of the same udfs on the same data
type loads the compiled object instead of compiling; results are the same;
a damaged entry is compiled again; UDF_CACHE_DIR=off writes nothing; a cache
that cannot be written does not stop the run; entries belong to the compiler
that made them, known by its executable's build ID; a run served from the
cache never loads LLVM; a compile reports the threads it used."""
import os
import shutil
import struct
import subprocess

import udftest
from udftest import check_equal, fail, read, run, tempdir


def build_id_offset(path):
    """The file offset and length of the GNU build ID in ELF file `path`."""
    data = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        sh_type, = struct.unpack_from("<I", data, shoff + i * shentsize + 4)
        offset, size = struct.unpack_from("<QQ", data, shoff + i * shentsize + 0x18)
        if sh_type != 7:  # SHT_NOTE
            continue
        at = offset
        while at + 12 <= offset + size:
            namesz, descsz, kind = struct.unpack_from("<III", data, at)
            name = data[at + 12:at + 12 + namesz]
            desc = at + 12 + (namesz + 3) // 4 * 4
            if kind == 3 and name == b"GNU\0":
                return desc, descsz
            at = desc + (descsz + 3) // 4 * 4
    fail("%s has no GNU build ID" % path)

with tempdir() as tmp:
    cache = os.path.join(tmp, "cache")
    os.environ["UDF_CACHE_DIR"] = cache
    args = ["run", "stddev", "logsum", "--data", "demo:6,5,16,12", "--stats"]

    def once(name):
        out = os.path.join(tmp, name + ".h5")
        p = run(*args, "-o", out)
        return out, "(from the cache)" in p.stderr, p.stderr

    first, cached, stderr = once("first")
    if cached:
        fail("the first run claims a cached kernel")
    if "code generator (LLVM) loaded in" not in stderr:
        fail("a compiling run does not say it loaded LLVM:\n" + stderr)
    # Two udfs of like size: their kernels are compiled on two threads; one
    # small udf's on one (llvm_backend.c).
    if "(2 threads)" not in stderr:
        fail("stddev and logsum were not compiled on two threads:\n" + stderr)
    alone = subprocess.run([udftest.UDFC, "run", "sum", "--data", "demo:6,5,16,12", "--stats",
                            "-o", os.path.join(tmp, "alone.h5")], capture_output=True, text=True,
                           env=dict(os.environ, UDF_CACHE_DIR="off"))
    if alone.returncode != 0 or "(1 thread)" not in alone.stderr:
        fail("sum alone was not compiled on one thread:\n" + alone.stderr[-2000:])
    # One large tile (fem's): loops of it move into functions of their own,
    # compiled on the second thread (lir_outline.h).
    split = subprocess.run([udftest.UDFC, "run", "fem", "--data", "demo:6,5,16,12", "--stats",
                            "-o", os.path.join(tmp, "split.h5")], capture_output=True, text=True,
                           env=dict(os.environ, UDF_CACHE_DIR="off"))
    if split.returncode != 0 or "(2 threads)" not in split.stderr:
        fail("fem's tile was not compiled on two threads:\n" + split.stderr[-2000:])
    entries = [f for f in os.listdir(cache) if f.endswith(".o")]
    if len(entries) != 1:
        fail("expected one cache entry, found %s" % entries)
    second, cached, _ = once("second")
    if not cached:
        fail("the second run compiled again")
    for buffer in ("mean", "var", "std"):
        check_equal(read(second, "stddev", buffer), read(first, "stddev", buffer), buffer)

    # A run served from the cache never loads LLVM: its code generator is a
    # module that udfc loads only to compile (the dynamic loader names every
    # library it opens under LD_DEBUG=files).
    p = subprocess.run([udftest.UDFC] + args + ["-o", os.path.join(tmp, "no-llvm.h5")],
                       capture_output=True, text=True, env=dict(os.environ, LD_DEBUG="files"))
    if p.returncode != 0 or "(from the cache)" not in p.stderr:
        fail("a cached run under LD_DEBUG failed:\n" + p.stderr[-2000:])
    at_start = os.environ.get("UDF_TEST_LLVM_AT_START") == "1"  # sanitizer builds
    if "libudfc_llvm" in p.stderr or "LLVM) loaded" in p.stderr or \
            ("libLLVM" in p.stderr and not at_start):
        fail("a run served from the cache loaded LLVM")

    entry = os.path.join(cache, entries[0])
    with open(entry, "r+b") as f:
        f.seek(200)
        f.write(b"damage")
    third, cached, _ = once("third")
    if cached:
        fail("a damaged cache entry was used")
    check_equal(read(third, "logsum", "logsum"), read(first, "logsum", "logsum"), "logsum")
    _, cached, _ = once("fourth")
    if not cached:
        fail("the damaged entry was not replaced")

    # A copy of the compiler finds the entry, and so does one with bytes
    # appended (the build ID, not the file, is the compiler's identity); a
    # copy whose build ID differs (as a rebuilt compiler's does) compiles again.
    udfc = shutil.which(udftest.UDFC) or udftest.UDFC
    for name, changed in (("same-udfc", False), ("longer-udfc", False), ("other-udfc", True)):
        copy = os.path.join(tmp, name)
        shutil.copy2(udfc, copy)
        if name == "longer-udfc":
            with open(copy, "ab") as f:
                f.write(b"\0" * 4096)
        if changed:
            at, size = build_id_offset(copy)
            with open(copy, "r+b") as f:
                f.seek(at)
                old_id = f.read(size)
                f.seek(at)
                f.write(bytes(b ^ 0xFF for b in old_id))
        p = subprocess.run([copy] + args + ["-o", os.path.join(tmp, name + ".h5")],
                           capture_output=True, text=True)
        if p.returncode != 0:
            fail("%s failed:\n%s" % (name, p.stderr))
        if ("(from the cache)" in p.stderr) == changed:
            fail("a compiler with %s build ID %s the cache:\n%s"
                 % ("another" if changed else "the same",
                    "used" if changed else "did not use", p.stderr))

    os.environ["UDF_CACHE_DIR"] = "off"
    off_dir_before = sorted(os.listdir(cache))
    _, cached, _ = once("off")
    if cached or sorted(os.listdir(cache)) != off_dir_before:
        fail("UDF_CACHE_DIR=off still used the cache")

    blocked = os.path.join(tmp, "not-a-dir")
    open(blocked, "w").close()
    os.environ["UDF_CACHE_DIR"] = os.path.join(blocked, "cache")
    _, cached, stderr = once("blocked")
    if "kernel cache not written" not in stderr:
        fail("an unwritable cache went unmentioned:\n" + stderr)
print("ok")
