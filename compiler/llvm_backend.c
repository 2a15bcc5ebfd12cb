/* llvm_backend.c — the code generator module (libudfc_llvm.so; backend.h):
 * lower every udf for every input type, generate one module, optimise it
 * for the target, emit it as an object or assembly, or print it. */
#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "codegen.h"
#include "target.h"

/* The optimised module for every udf and kernel variant, in `ctx`, for `tm`. */
static LLVMModuleRef build_module(LLVMContextRef ctx, CheckedUdf *const *udfs, int n,
                                  const KernelVariant *variants, int n_variants,
                                  LLVMTargetMachineRef tm, Arena *arena, char *why, size_t cap)
{
    LoweredUdf **lowered = ARENA_ARRAY(arena, LoweredUdf *, n * n_variants + 1);
    for (int t = 0; t < n_variants; t++)
        for (int i = 0; i < n; i++)
            lowered[t * n + i] = lower_udf(arena, udfs[i], variants[t].input, variants[t].fused);
    LLVMModuleRef hot = codegen_module(ctx, "udf", lowered, n * n_variants, tm, CODEGEN_HOT);
    LLVMModuleRef cold = codegen_module(ctx, "udf.cold", lowered, n * n_variants, tm, CODEGEN_COLD);
    if (!codegen_optimize(hot, CODEGEN_HOT, tm, why, cap) ||
        !codegen_optimize(cold, CODEGEN_COLD, tm, why, cap)) {
        LLVMDisposeModule(hot);
        LLVMDisposeModule(cold);
        return NULL;
    }
    if (LLVMLinkModules2(hot, cold)) { /* disposes of cold */
        snprintf(why, cap, "cannot link the kernels' parts");
        LLVMDisposeModule(hot);
        return NULL;
    }
    return hot;
}

/* A copy of LLVM's buffer in malloc'd memory. */
static unsigned char *copied(LLVMMemoryBufferRef buf, size_t *size, char *why, size_t cap)
{
    *size = LLVMGetBufferSize(buf);
    unsigned char *bytes = malloc(*size ? *size : 1);
    if (bytes)
        memcpy(bytes, LLVMGetBufferStart(buf), *size);
    else
        snprintf(why, cap, "out of memory for the kernels' object");
    LLVMDisposeMemoryBuffer(buf);
    return bytes;
}

static unsigned char *emit(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                           int n_variants, const char *cpu, int assembly, Arena *arena,
                           size_t *size, char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(cpu, why, cap);
    if (!tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, udfs, n, variants, n_variants, tm, arena, why, cap);
    LLVMMemoryBufferRef out = NULL;
    char *msg = NULL;
    if (mod && LLVMTargetMachineEmitToMemoryBuffer(
                   tm, mod, assembly ? LLVMAssemblyFile : LLVMObjectFile, &msg, &out)) {
        snprintf(why, cap, "cannot emit kernels: %s", msg ? msg : "?");
        out = NULL;
    }
    LLVMDisposeMessage(msg);
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return out ? copied(out, size, why, cap) : NULL;
}

static char *llvm_text(CheckedUdf *const *udfs, int n, const KernelVariant *variant, Arena *arena,
                       char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(NULL, why, cap);
    if (!tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, udfs, n, variant, 1, tm, arena, why, cap);
    char *text = NULL;
    if (mod) {
        char *printed = LLVMPrintModuleToString(mod);
        text = strdup(printed);
        LLVMDisposeMessage(printed);
        LLVMDisposeModule(mod);
        if (!text)
            snprintf(why, cap, "out of memory for the module's text");
    }
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return text;
}

__attribute__((visibility("default"))) const CompilerBackend udfc_llvm_backend = {
    .emit = emit, .llvm_text = llvm_text, .cpu_known = target_cpu_known};
