"""Kernels from object files, linked by the runtime itself (the JIT's path
since the kernel cache holds objects): `udfc build -o KERNELS.o` run by
udfrun gives bit-identical results to `udfc run` for this CPU (the same
code), and within rounding for any x86-64-v2 CPU; damaged objects are
refused with a message naming what is wrong, exit 3 and no output file:
truncated, for another machine, without section names, with an unknown
relocation type, a relocation outside its section, a call to a function the
process lacks, or no udf_module symbol."""
import os
import struct

from udftest import STDLIB, compare_files, fail, run, stdlib_scan, tempdir, udfrun



def sections(blob):
    """{name: (offset, size, type, info)} of an ELF64 object's sections."""
    shoff, = struct.unpack_from("<Q", blob, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", blob, 0x3C)
    heads = [struct.unpack_from("<IIQQQQIIQQ", blob, shoff + 64 * i) for i in range(shnum)]
    names_at = heads[shstrndx][4]
    out = {}
    for h in heads:
        name = blob[names_at + h[0]:blob.index(b"\0", names_at + h[0])].decode()
        out[name] = (h[4], h[5], h[1], h[7])
    return out


def patched(src, dst, change):
    blob = bytearray(open(src, "rb").read())
    change(blob)
    open(dst, "wb").write(bytes(blob))
    return dst


def rename_symbol(old, new):
    def change(blob):
        at, size, _, _ = sections(blob)[".strtab"]
        k = blob.index(b"\0" + old + b"\0", at, at + size) + 1
        blob[k:k + len(new)] = new
    return change


def first_rela(blob):
    at, _, _, _ = sections(blob)[".rela.text"]
    return at


def set_first_rela_type(kind):
    def change(blob):
        at = first_rela(blob)
        _, info, _ = struct.unpack_from("<QQq", blob, at)
        struct.pack_into("<Q", blob, at + 8, (info & ~0xffffffff) | kind)
    return change


def first_rela_offset_out(blob):
    struct.pack_into("<Q", blob, first_rela(blob), 1 << 40)


with tempdir() as tmp:
    path, params, reference = stdlib_scan(tmp, 7)
    for cpu, exact in (("native", True), ("x86-64-v2", False)):
        objects = os.path.join(tmp, "kernels-%s.o" % cpu)
        run("build", *STDLIB, "-o", objects, "--cpu", cpu)
        out = os.path.join(tmp, "object-%s.h5" % cpu)
        udfrun(objects, "--data", path, "-o", out, *params)
        compare_files(out, reference, exact, "udfrun of a %s object vs udfc run" % cpu)

    # com calls cos and sin (through stubs: libm lies beyond 32-bit reach).
    com = os.path.join(tmp, "com.o")
    run("build", "com", "-o", com, "--dtype", "u16", "--cpu", "native")
    refused = os.path.join(tmp, "refused.h5")
    cases = [
        ("truncated.o", lambda b: b.__delitem__(slice(200, None)),
         "its section headers lie outside the file"),
        ("i386.o", lambda b: struct.pack_into("<H", b, 0x12, 3), "not an x86-64 object"),
        ("nonames.o", lambda b: struct.pack_into("<H", b, 0x3E, 0),
         "it has no table of section names"),
        ("reloc37.o", set_first_rela_type(37),
         "relocation type 37, which this linker does not know"),
        ("far.o", first_rela_offset_out, "a relocation lies outside its section"),
        ("nocos.o", rename_symbol(b"cos", b"cOs"), "calls 'cOs', which this process does not have"),
        ("nomodule.o", rename_symbol(b"udf_module", b"udf_modulX"), "has no udf_module symbol"),
    ]
    for name, change, message in cases:
        bad = patched(com, os.path.join(tmp, name), change)
        p = udfrun(bad, "--data", path, "-o", refused, expect=3)
        if message not in p.stderr or ("'%s'" % bad) not in p.stderr:
            fail("%s: no clear message (%r, naming the file):\n%s" % (name, message, p.stderr))
        if os.path.exists(refused):
            fail("%s: a refused run left an output file" % name)
    udfrun(com, "--data", path, "-o", refused)
