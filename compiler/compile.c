/* compile.c — chaining the stages; see compile.h. */
#include "compile.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Lowers and generates an optimised module for `input` in `ctx`. */
static LLVMModuleRef build_module(LLVMContextRef ctx, CheckedUdf *const *udfs, int n,
                                  udf_dtype input, Arena *arena, char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(NULL, why, cap);
    if (!tm)
        return NULL;
    LoweredUdf **lowered = ARENA_ARRAY(arena, LoweredUdf *, n + 1);
    for (int i = 0; i < n; i++)
        lowered[i] = lower_udf(arena, udfs[i], input);
    LLVMModuleRef mod = codegen_module(ctx, "udf", lowered, n, tm);
    if (!codegen_optimize(mod, tm, why, cap)) {
        LLVMDisposeModule(mod);
        mod = NULL;
    }
    LLVMDisposeTargetMachine(tm);
    return mod;
}

/* The optimised module as an object file for this CPU. */
static LLVMMemoryBufferRef compile_object(CheckedUdf *const *udfs, int n, udf_dtype input,
                                          Arena *arena, char *why, size_t cap)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, udfs, n, input, arena, why, cap);
    LLVMMemoryBufferRef obj = NULL;
    LLVMTargetMachineRef tm = mod ? target_machine_create(NULL, why, cap) : NULL;
    char *msg = NULL;
    if (tm && LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, &obj)) {
        snprintf(why, cap, "cannot emit kernels: %s", msg ? msg : "?");
        obj = NULL;
    }
    LLVMDisposeMessage(msg);
    if (tm)
        LLVMDisposeTargetMachine(tm);
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return obj;
}

const udf_module_desc *compile_jit(Jit *jit, CheckedUdf *const *udfs, int n, udf_dtype input,
                                   Arena *arena, CompileStats *stats, char *why, size_t cap)
{
    double t0 = now();
    memset(stats, 0, sizeof *stats);
    char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    ObjKey key;
    objcache_key(&key, udfs, n, input, cpu, features);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    LLVMMemoryBufferRef obj = objcache_load(&key);
    stats->cached = obj != NULL;
    if (!obj) {
        obj = compile_object(udfs, n, input, arena, why, cap);
        if (obj)
            objcache_store(&key, LLVMGetBufferStart(obj), LLVMGetBufferSize(obj),
                           stats->cache_note, sizeof stats->cache_note);
    }
    const udf_module_desc *desc = obj ? jit_add_object(jit, obj, why, cap) : NULL;
    stats->seconds = now() - t0;
    return desc;
}

int compile_emit(FILE *out, CheckedProgram *cp, EmitStage stage, udf_dtype input, char *why,
                 size_t cap)
{
    Arena *arena = cp->program->arena;
    if (stage == EMIT_AST) {
        ast_print(out, cp->program);
        return 1;
    }
    if (stage == EMIT_IR) {
        for (int i = 0; i < cp->n_udfs; i++) {
            LoweredUdf *lu = lower_udf(arena, &cp->udfs[i], input);
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
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, udfs, cp->n_udfs, input, arena, why, cap);
    int ok = mod != NULL;
    if (ok && stage == EMIT_LLVM) {
        char *text = LLVMPrintModuleToString(mod);
        fputs(text, out);
        LLVMDisposeMessage(text);
    } else if (ok) {
        LLVMTargetMachineRef tm = target_machine_create(NULL, why, cap);
        LLVMMemoryBufferRef buf = NULL;
        char *msg = NULL;
        ok = tm && !LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMAssemblyFile, &msg, &buf);
        if (ok)
            fwrite(LLVMGetBufferStart(buf), 1, LLVMGetBufferSize(buf), out);
        else if (msg)
            snprintf(why, cap, "cannot emit assembly: %s", msg);
        LLVMDisposeMessage(msg);
        if (buf)
            LLVMDisposeMemoryBuffer(buf);
        if (tm)
            LLVMDisposeTargetMachine(tm);
    }
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return ok;
}
