/* target.c — TargetMachine creation; see target.h. */
#include "target.h"

#include <llvm-c/Core.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cpu_names.h"

static void init_targets(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser();
}

/* Whether code for `cpu` (NULL: this machine) has AVX2, or with
 * `avx512` AVX-512F, for glibc's vector math functions of that width. */
static int has_vector_isa(const char *cpu, int avx512)
{
    if (!cpu) {
        char *features = LLVMGetHostCPUFeatures();
        int yes = strstr(features, avx512 ? "+avx512f" : "+avx2") != NULL;
        LLVMDisposeMessage(features);
        return yes;
    }
    return (!avx512 && strcmp(cpu, "x86-64-v3") == 0) || strcmp(cpu, "x86-64-v4") == 0;
}

/* LLVM's process-wide options, decided by the first target machine (udfc
 * compiles for one CPU per process):
 * - the loop vectoriser may call glibc's vector math library (libmvec:
 *   _ZGVdN8v_logf, ...) for log, exp, sin, ... LLVM 19 picks the variant by
 *   vector width alone, so this is enabled only for targets with AVX2, whose
 *   variants those are; the library is loaded here so the JIT finds its
 *   symbols in the process; AVX-512 targets are offered libmvec's 512-bit
 *   variants too (vecmath.h);
 * - no vectorised epilogues: rows of typical detectors are whole vectors, and
 *   a second vector loop per loop costs compile time (~25% of the code
 *   generation of a jammed tile) for the few pixels a remainder has;
 * - no loop strength reduction: kernels index with a few simple induction
 *   variables already, and LSR was a fifth of the compile work of a masks
 *   tile for no measurable speed (bench/). */
static int vector_libm, vector_libm_512;

static void init_llvm_options(const char *cpu)
{
    const char *args[4] = {"udfc", "-enable-epilogue-vectorization=false", "-disable-lsr"};
    int n = 3;
    vector_libm = has_vector_isa(cpu, 0) && dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL);
    vector_libm_512 = vector_libm && has_vector_isa(cpu, 1);
    if (vector_libm)
        args[n++] = "-vector-library=LIBMVEC-X86";
    LLVMParseCommandLineOptions(n, args, NULL);
}

int target_vector_libm(void) { return vector_libm; }

int target_vector_libm_512(void) { return vector_libm_512; }

LLVMTargetMachineRef target_machine_create(const char *cpu, char *why, size_t cap)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    /* Set by the first call, which comes before any second compile thread
     * starts (llvm_backend.c), so later calls on any thread see it set. */
    static int options_decided;
    pthread_once(&once, init_targets);
    if (!options_decided) {
        options_decided = 1;
        init_llvm_options(cpu && strcmp(cpu, "native") != 0 ? cpu : NULL);
    }
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        snprintf(why, cap, "no LLVM target for '%s': %s", triple, msg);
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    if (cpu && !cpu_name_known(cpu)) {
        snprintf(why, cap, "'%s' is not an x86-64 CPU that LLVM knows", cpu);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    int native = !cpu || strcmp(cpu, "native") == 0;
    char *host_cpu = native ? LLVMGetHostCPUName() : NULL;
    char *features = native ? LLVMGetHostCPUFeatures() : NULL;
    LLVMTargetMachineRef tm =
        LLVMCreateTargetMachine(target, triple, native ? host_cpu : cpu, native ? features : "",
                                LLVMCodeGenLevelDefault, LLVMRelocPIC, LLVMCodeModelDefault);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(features);
    LLVMDisposeMessage(triple);
    if (!tm)
        snprintf(why, cap, "cannot create a target machine for CPU '%s'", cpu ? cpu : "native");
    return tm;
}
