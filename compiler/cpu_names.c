/* cpu_names.c — the CPU names `udfc build --cpu` takes; see cpu_names.h. */
#include "cpu_names.h"

#include <stddef.h>
#include <string.h>

/* The CPUs of LLVM 19's x86 target that run 64-bit code: `llc-19 -mcpu=help`
 * less those for which llc-19 -mtriple=x86_64-pc-linux-gnu aborts ("64-bit
 * code requested on a subtarget that doesn't support it"), as LLVM's C API
 * would too. LLVM itself only warns about an unknown name and then aborts. */
/* clang-format off */
static const char *const x86_64_cpus[] = {
    "alderlake", "amdfam10", "arrowlake", "arrowlake-s", "arrowlake_s", "athlon-fx", "athlon64",
    "athlon64-sse3", "atom", "atom_sse4_2", "atom_sse4_2_movbe", "barcelona", "bdver1", "bdver2",
    "bdver3", "bdver4", "bonnell", "broadwell", "btver1", "btver2", "cannonlake", "cascadelake",
    "clearwaterforest", "cooperlake", "core-avx-i", "core-avx2", "core2", "core_2_duo_sse4_1",
    "core_2_duo_ssse3", "core_2nd_gen_avx", "core_3rd_gen_avx", "core_4th_gen_avx",
    "core_4th_gen_avx_tsx", "core_5th_gen_avx", "core_5th_gen_avx_tsx", "core_aes_pclmulqdq",
    "core_i7_sse4_2", "corei7", "corei7-avx", "emeraldrapids", "generic", "goldmont",
    "goldmont-plus", "goldmont_plus", "gracemont", "grandridge", "graniterapids",
    "graniterapids-d", "graniterapids_d", "haswell", "icelake-client", "icelake-server",
    "icelake_client", "icelake_server", "ivybridge", "k8", "k8-sse3", "knl", "knm", "lunarlake",
    "meteorlake", "mic_avx512", "nehalem", "nocona", "opteron", "opteron-sse3", "pantherlake",
    "penryn", "raptorlake", "rocketlake", "sandybridge", "sapphirerapids", "sierraforest",
    "silvermont", "skx", "skylake", "skylake-avx512", "skylake_avx512", "slm", "tigerlake",
    "tremont", "westmere", "x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4", "znver1", "znver2",
    "znver3", "znver4", "znver5", NULL};
/* clang-format on */

int cpu_name_known(const char *cpu)
{
    if (strcmp(cpu, "native") == 0)
        return 1;
    for (const char *const *c = x86_64_cpus; *c; c++)
        if (strcmp(*c, cpu) == 0)
            return 1;
    return 0;
}
