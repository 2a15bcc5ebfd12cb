/* compile.c — chaining the stages; see compile.h. JIT runs, `udfc emit` and
 * `udfc build` share one path: lower every udf for every input type, generate
 * one module, optimise it for the target, emit it. Only the destination of
 * the object differs: a file, or memory that the runtime links into the
 * process (udfrt_module_link). */
#include "compile.h"

#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "objcache.h"
#include "target.h"

CheckedProgram *compile_check(Source *src, Arena *arena)
{
    Program *prog = parse_program(src, arena);
    if (!prog || src->errors)
        return NULL;
    return check_program(prog);
}

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

/* The module as an object file (or assembly) in memory. */
static LLVMMemoryBufferRef emit(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                                int n_variants, const char *cpu, LLVMCodeGenFileType kind,
                                Arena *arena, char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(cpu, why, cap);
    if (!tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, udfs, n, variants, n_variants, tm, arena, why, cap);
    LLVMMemoryBufferRef out = NULL;
    char *msg = NULL;
    if (mod && LLVMTargetMachineEmitToMemoryBuffer(tm, mod, kind, &msg, &out)) {
        snprintf(why, cap, "cannot emit kernels: %s", msg ? msg : "?");
        out = NULL;
    }
    LLVMDisposeMessage(msg);
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return out;
}

unsigned char *compile_jit(CheckedUdf *const *udfs, int n, const KernelVariant *variant,
                           Arena *arena, size_t *size, CompileStats *stats, char *why, size_t cap)
{
    memset(stats, 0, sizeof *stats);
    ObjKey key;
    objcache_key(&key, udfs, n, variant);
    unsigned char *bytes = objcache_load(&key, size);
    stats->cached = bytes != NULL;
    if (bytes)
        return bytes;
    LLVMMemoryBufferRef obj = emit(udfs, n, variant, 1, NULL, LLVMObjectFile, arena, why, cap);
    if (!obj)
        return NULL;
    *size = LLVMGetBufferSize(obj);
    bytes = malloc(*size ? *size : 1);
    if (bytes) {
        memcpy(bytes, LLVMGetBufferStart(obj), *size);
        objcache_store(&key, bytes, *size, stats->cache_note, sizeof stats->cache_note);
    } else {
        snprintf(why, cap, "out of memory for the kernels' object");
    }
    LLVMDisposeMemoryBuffer(obj);
    return bytes;
}

LLVMMemoryBufferRef compile_object(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                                   int n_variants, const char *cpu, Arena *arena, char *why,
                                   size_t cap)
{
    return emit(udfs, n, variants, n_variants, cpu, LLVMObjectFile, arena, why, cap);
}

int compile_emit(FILE *out, CheckedProgram *cp, EmitStage stage, const KernelVariant *variant,
                 char *why, size_t cap)
{
    Arena *arena = cp->program->arena;
    if (stage == EMIT_AST) {
        ast_print(out, cp->program);
        return 1;
    }
    if (stage == EMIT_IR) {
        for (int i = 0; i < cp->n_udfs; i++) {
            LoweredUdf *lu = lower_udf(arena, &cp->udfs[i], variant->input, variant->fused);
            const LFunc *fns[] = {lu->prepare, lu->tile, lu->merge, lu->result};
            for (size_t k = 0; k < sizeof fns / sizeof *fns; k++)
                if (fns[k])
                    lir_print(out, fns[k]);
        }
        return 1;
    }
    CheckedUdf **udfs = ARENA_ARRAY(arena, CheckedUdf *, cp->n_udfs + 1);
    for (int i = 0; i < cp->n_udfs; i++)
        udfs[i] = &cp->udfs[i];
    if (stage == EMIT_ASM) {
        LLVMMemoryBufferRef text =
            emit(udfs, cp->n_udfs, variant, 1, NULL, LLVMAssemblyFile, arena, why, cap);
        if (text) {
            fwrite(LLVMGetBufferStart(text), 1, LLVMGetBufferSize(text), out);
            LLVMDisposeMemoryBuffer(text);
        }
        return text != NULL;
    }
    LLVMTargetMachineRef tm = target_machine_create(NULL, why, cap);
    if (!tm)
        return 0;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, udfs, cp->n_udfs, variant, 1, tm, arena, why, cap);
    if (mod) {
        char *text = LLVMPrintModuleToString(mod);
        fputs(text, out);
        LLVMDisposeMessage(text);
        LLVMDisposeModule(mod);
    }
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return mod != NULL;
}
