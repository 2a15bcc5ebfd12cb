/* target.c — TargetMachine creation; see target.h. */
#include "target.h"

#include <llvm-c/Core.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void init_once(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser();
    /* Let the loop vectoriser call glibc's vector math library (libmvec:
     * _ZGVdN8v_logf, ...) for log, exp, sin, ...; loaded here so that the
     * JIT finds its symbols in the process. */
    if (dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL)) {
        const char *args[] = {"udfc", "-vector-library=LIBMVEC-X86"};
        LLVMParseCommandLineOptions(2, args, NULL);
    }
}

LLVMTargetMachineRef target_machine_create(const char *cpu, char *why, size_t cap)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        snprintf(why, cap, "no LLVM target for '%s': %s", triple, msg);
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    int native = !cpu || strcmp(cpu, "native") == 0;
    char *host_cpu = native ? LLVMGetHostCPUName() : NULL;
    char *features = native ? LLVMGetHostCPUFeatures() : NULL;
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
        target, triple, native ? host_cpu : cpu, native ? features : "",
        LLVMCodeGenLevelAggressive, LLVMRelocPIC, LLVMCodeModelDefault);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(features);
    LLVMDisposeMessage(triple);
    if (!tm)
        snprintf(why, cap, "cannot create a target machine for CPU '%s'", cpu ? cpu : "native");
    return tm;
}
