/* llvm_backend.c — the code generator module (libudfc_llvm.so; backend.h):
 * lower every udf for every input type, generate the hot and the cold part
 * of the kernels (codegen.h), optimise them for the target, and emit them as
 * an object or assembly, or print them as LLVM IR.
 *
 * A compile is LLVM's work on one thread per part. Where the cold parts are
 * large (com's result body: a third of its compile; UDF_COLD_THREAD_SHARE),
 * the object's two parts are compiled on two threads, each in an LLVM
 * context of its own, and their objects merged (object_merge.h); otherwise
 * the parts are linked into one module and emitted on this thread, as
 * assembly and IR text always are. */
#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <llvm-c/TargetMachine.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "codegen.h"
#include "object_merge.h"
#include "target.h"
#include "udfrt/config.h"

/* The second thread's stack: the main thread's usual 8 MiB and more (glibc
 * gives threads 2 MiB under `ulimit -s unlimited`); LLVM and codegen.c
 * recurse over large result bodies. */
#define PART_THREAD_STACK ((size_t)32 << 20)

/* The udfs lowered as every kernel variant, in `arena`. */
typedef struct Lowered {
    LoweredUdf **udfs;
    int n; /* udfs x variants */
} Lowered;

static Lowered lower_all(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                         int n_variants, Arena *arena)
{
    Lowered l = {ARENA_ARRAY(arena, LoweredUdf *, n * n_variants + 1), n * n_variants};
    for (int t = 0; t < n_variants; t++)
        for (int i = 0; i < n; i++)
            l.udfs[t * n + i] = lower_udf(arena, udfs[i], variants[t].input, variants[t].fused);
    return l;
}

/* The optimised module of one part, in `ctx`, for `tm`; NULL with a
 * message. */
static LLVMModuleRef build_part(LLVMContextRef ctx, Lowered l, CodegenPart part,
                                LLVMTargetMachineRef tm, char *why, size_t cap)
{
    LLVMModuleRef mod =
        codegen_module(ctx, part == CODEGEN_HOT ? "udf" : "udf.cold", l.udfs, l.n, tm, part);
    if (codegen_optimize(mod, part, tm, why, cap))
        return mod;
    LLVMDisposeModule(mod);
    return NULL;
}

/* Both parts optimised and linked into one module, in `ctx`, for `tm`. */
static LLVMModuleRef build_module(LLVMContextRef ctx, Lowered l, LLVMTargetMachineRef tm, char *why,
                                  size_t cap)
{
    LLVMModuleRef hot = build_part(ctx, l, CODEGEN_HOT, tm, why, cap);
    LLVMModuleRef cold = hot ? build_part(ctx, l, CODEGEN_COLD, tm, why, cap) : NULL;
    if (!cold) {
        if (hot)
            LLVMDisposeModule(hot);
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

/* `mod` emitted by `tm` as an object or assembly file (malloc'd, *size
 * bytes), or NULL with a message. */
static unsigned char *emit_module(LLVMTargetMachineRef tm, LLVMModuleRef mod,
                                  LLVMCodeGenFileType kind, size_t *size, char *why, size_t cap)
{
    LLVMMemoryBufferRef out = NULL;
    char *msg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, kind, &msg, &out)) {
        snprintf(why, cap, "cannot emit kernels: %s", msg ? msg : "?");
        out = NULL;
    }
    LLVMDisposeMessage(msg);
    return out ? copied(out, size, why, cap) : NULL;
}

/* Both parts in one module, emitted as `kind` on this thread. */
static unsigned char *emit_linked(Lowered l, const char *cpu, LLVMCodeGenFileType kind,
                                  size_t *size, char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(cpu, why, cap);
    if (!tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, l, tm, why, cap);
    unsigned char *bytes = mod ? emit_module(tm, mod, kind, size, why, cap) : NULL;
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return bytes;
}

/* One part of the kernels compiled to an object, in an LLVM context and with
 * a target machine of its own (neither serves two threads at once). */
typedef struct PartJob {
    Lowered lowered;
    CodegenPart part;
    const char *cpu;
    LLVMTargetMachineRef tm; /* created by compile_part if NULL */
    unsigned char *object;   /* the result, malloc'd; NULL with a message in why */
    size_t size;
    char why[512];
} PartJob;

static void *compile_part(void *arg)
{
    PartJob *job = arg;
    if (!job->tm)
        job->tm = target_machine_create(job->cpu, job->why, sizeof job->why);
    if (!job->tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod =
        build_part(ctx, job->lowered, job->part, job->tm, job->why, sizeof job->why);
    if (mod) {
        job->object =
            emit_module(job->tm, mod, LLVMObjectFile, &job->size, job->why, sizeof job->why);
        LLVMDisposeModule(mod);
    }
    LLVMContextDispose(ctx);
    return NULL;
}

/* The hot part compiled on this thread, the cold one on a second (or after
 * the hot one, if no thread can be started), their objects merged. */
static unsigned char *emit_two_threads(Lowered l, const char *cpu, size_t *size, char *why,
                                       size_t cap)
{
    PartJob jobs[2] = {{.lowered = l, .part = CODEGEN_HOT, .cpu = cpu},
                       {.lowered = l, .part = CODEGEN_COLD, .cpu = cpu}};
    unsigned char *object = NULL;
    /* The first target machine decides LLVM's process-wide options (target.c):
     * made here, before the second thread starts. */
    jobs[0].tm = target_machine_create(cpu, why, cap);
    if (jobs[0].tm) {
        pthread_t cold_thread;
        pthread_attr_t attr;
        int threaded = pthread_attr_init(&attr) == 0;
        if (threaded) {
            threaded = pthread_attr_setstacksize(&attr, PART_THREAD_STACK) == 0 &&
                       pthread_create(&cold_thread, &attr, compile_part, &jobs[1]) == 0;
            pthread_attr_destroy(&attr);
        }
        compile_part(&jobs[0]);
        if (threaded)
            pthread_join(cold_thread, NULL);
        else
            compile_part(&jobs[1]);
        if (!jobs[0].object || !jobs[1].object)
            snprintf(why, cap, "%s", jobs[jobs[0].object ? 1 : 0].why);
        else
            object = object_merge(jobs[0].object, jobs[0].size, jobs[1].object, jobs[1].size, size,
                                  why, cap);
    }
    for (int k = 0; k < 2; k++) {
        free(jobs[k].object);
        if (jobs[k].tm)
            LLVMDisposeTargetMachine(jobs[k].tm);
    }
    return object;
}

static unsigned char *emit(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                           int n_variants, const char *cpu, int assembly, Arena *arena,
                           size_t *size, char *why, size_t cap)
{
    Lowered l = lower_all(udfs, n, variants, n_variants, arena);
    size_t hot = 0, cold = 0;
    for (int i = 0; i < l.n; i++) {
        hot += lir_size(l.udfs[i]->tile) + lir_size(l.udfs[i]->merge);
        cold += lir_size(l.udfs[i]->prepare) + lir_size(l.udfs[i]->result);
    }
    if (!assembly && cold > 0 && cold * UDF_COLD_THREAD_SHARE >= hot)
        return emit_two_threads(l, cpu, size, why, cap);
    return emit_linked(l, cpu, assembly ? LLVMAssemblyFile : LLVMObjectFile, size, why, cap);
}

static char *llvm_text(CheckedUdf *const *udfs, int n, const KernelVariant *variant, Arena *arena,
                       char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(NULL, why, cap);
    if (!tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, lower_all(udfs, n, variant, 1, arena), tm, why, cap);
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

__attribute__((visibility("default")))
const CompilerBackend udfc_llvm_backend = {.emit = emit, .llvm_text = llvm_text};
