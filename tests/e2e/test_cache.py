"""The kernel object cache: a second run of the same udfs on the same data
type loads the compiled object instead of compiling; results are the same;
a damaged entry is compiled again; UDF_CACHE_DIR=off writes nothing; a cache
that cannot be written does not stop the run."""
import os

from udftest import check_equal, fail, read, run, tempdir

with tempdir() as tmp:
    cache = os.path.join(tmp, "cache")
    os.environ["UDF_CACHE_DIR"] = cache
    args = ["run", "stddev", "logsum", "--data", "demo:6,5,16,12", "--stats"]

    def once(name):
        out = os.path.join(tmp, name + ".h5")
        p = run(*args, "-o", out)
        return out, "(from the cache)" in p.stderr, p.stderr

    first, cached, _ = once("first")
    if cached:
        fail("the first run claims a cached kernel")
    entries = [f for f in os.listdir(cache) if f.endswith(".o")]
    if len(entries) != 1:
        fail("expected one cache entry, found %s" % entries)
    second, cached, _ = once("second")
    if not cached:
        fail("the second run compiled again")
    for buffer in ("mean", "var", "std"):
        check_equal(read(second, "stddev", buffer), read(first, "stddev", buffer), buffer)

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
