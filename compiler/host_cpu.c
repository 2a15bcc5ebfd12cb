/* host_cpu.c — this CPU's identity from cpuid; see host_cpu.h. */
#include "host_cpu.h"

#include <cpuid.h>

/* Appends leaf `leaf`/`sub` if the CPU has it; `skip_ebx` for leaf 1, whose
 * EBX holds the APIC ID of the core the thread happens to run on. */
static size_t add_leaf(uint32_t *out, size_t n, size_t cap, uint32_t max, uint32_t leaf,
                       uint32_t sub, int skip_ebx)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (leaf <= max)
        __cpuid_count(leaf, sub, a, b, c, d);
    uint32_t regs[4] = {a, skip_ebx ? 0 : b, c, d};
    for (int i = 0; i < 4 && n < cap; i++)
        out[n++] = regs[i];
    return n;
}

size_t host_cpu_identity(uint32_t *out, size_t cap)
{
    unsigned max = 0, ext_max = 0, b, c, d;
    __cpuid(0, max, b, c, d);
    __cpuid(0x80000000u, ext_max, b, c, d);
    size_t n = add_leaf(out, 0, cap, max, 0, 0, 0); /* vendor */
    n = add_leaf(out, n, cap, max, 1, 0, 1);        /* family, model, stepping; features */
    n = add_leaf(out, n, cap, max, 7, 0, 0);        /* extended features */
    n = add_leaf(out, n, cap, max, 7, 1, 0);
    n = add_leaf(out, n, cap, max, 0xd, 1, 0);  /* XSAVE features */
    n = add_leaf(out, n, cap, max, 0x14, 0, 0); /* processor trace */
    n = add_leaf(out, n, cap, max, 0x19, 0, 0); /* key locker */
    n = add_leaf(out, n, cap, max, 0x24, 0, 0); /* AVX10 version and vector widths */
    n = add_leaf(out, n, cap, ext_max, 0x80000001u, 0, 0);
    n = add_leaf(out, n, cap, ext_max, 0x80000008u, 0, 0);
    uint32_t xcr0 = 0;
    unsigned a1, b1, c1 = 0, d1;
    __cpuid(1, a1, b1, c1, d1);
    if (c1 & bit_OSXSAVE) {
        uint32_t lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = lo;
    }
    if (n < cap)
        out[n++] = xcr0;
    return n;
}
