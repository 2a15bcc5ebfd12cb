/* llvm_backend.c — the code generator module (libudfc_llvm.so; backend.h):
 * lower every udf for every input type, generate the hot and the cold part
 * of the kernels (codegen.h), optimise them for the target, and emit them as
 * an object or assembly, or print them as LLVM IR.
 *
 * A compile is LLVM's work on one thread. An object's parts (the hot and
 * the cold part of each udf and input type) are shared out between two jobs
 * by size (lir_size); where the second job has enough work
 * (UDF_SECOND_THREAD_SHARE: com's result body, several udfs in one run), the
 * jobs run on two threads, each in an LLVM context of its own, and their
 * objects are merged (object_merge.h). The pieces of large tiles (loops
 * or branches moved into functions of their own by lowering, lir_outline.h)
 * are parts too, so one large udf (fem, disk, masks, ...) can fill both
 * threads. Otherwise one job holds everything on this thread, as it always
 * does for assembly and IR text. */
#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <llvm-c/TargetMachine.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "codegen.h"
#include "heap_pages.h"
#include "object_merge.h"
#include "target.h"
#include "udfrt/config.h"

/* The second thread's stack: the main thread's usual 8 MiB and more (glibc
 * gives threads 2 MiB under `ulimit -s unlimited`); the second job may hold
 * any part, com's large result body too, over which LLVM and codegen.c
 * recurse. */
#define JOB_THREAD_STACK ((size_t)32 << 20)

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

/* What one thread compiles and emits: the hot and the cold parts of the
 * lowered udfs it owns (linked into one module), the descriptor if it holds
 * it. */
typedef struct Job {
    Lowered lowered;
    unsigned char *own[2];     /* per part (hot, cold), per lowered udf */
    unsigned char *own_pieces; /* per lowered udf: bit k, piece k of its tile */
    size_t work;               /* of the parts it owns (part_work) */
    int descriptor;
    const char *cpu;
    LLVMTargetMachineRef tm; /* made by run_job if NULL; one serves one thread */
    LLVMCodeGenFileType kind;
    int own_thread;         /* runs on the second thread */
    unsigned char *emitted; /* the result, malloc'd; NULL with a message in why */
    size_t size;
    char why[512];
} Job;

/* One part of one lowered udf, or one piece of its tile, and the work of
 * compiling it. */
typedef struct Part {
    int udf;
    CodegenPart part;
    int piece; /* -1: the part's entry points */
    size_t work;
} Part;

/* Whether the udf has entry points in the part. */
static int part_exists(const LoweredUdf *lu, CodegenPart part)
{
    return part == CODEGEN_HOT ? lu->tile || lu->merge : lu->prepare || lu->result;
}

/* The work of compiling a part (lower.h). */
static size_t part_work(const LoweredUdf *lu, CodegenPart part)
{
    return part == CODEGEN_HOT ? lower_hot_work(lu) : lower_cold_work(lu);
}

static void job_init(Job *job, Lowered l, const char *cpu, LLVMCodeGenFileType kind, Arena *arena)
{
    *job = (Job){.lowered = l, .cpu = cpu, .kind = kind};
    for (int part = 0; part < 2; part++)
        job->own[part] = ARENA_ARRAY(arena, unsigned char, l.n + 1);
    job->own_pieces = ARENA_ARRAY(arena, unsigned char, l.n + 1);
}

/* A job holding every part and the descriptor. */
static void job_whole(Job *job, Lowered l, const char *cpu, LLVMCodeGenFileType kind, Arena *arena)
{
    job_init(job, l, cpu, kind, arena);
    job->descriptor = 1;
    for (int i = 0; i < l.n; i++) {
        for (int part = 0; part < 2; part++)
            job->own[part][i] = (unsigned char)part_exists(l.udfs[i], (CodegenPart)part);
        job->own_pieces[i] = (unsigned char)((1u << l.udfs[i]->n_pieces) - 1);
    }
}

static int by_work_descending(const void *a, const void *b)
{
    const Part *x = a, *y = b;
    return (y->work > x->work) - (y->work < x->work);
}

/* The parts shared out between jobs[0] (which holds the descriptor) and
 * jobs[1]: largest first, each to the job with less work so far; parts of no
 * work go with the descriptor. Returns whether jobs[1] has enough work to be
 * worth a thread of its own. */
static int share_out(Job jobs[2], Lowered l, const char *cpu, Arena *arena)
{
    for (int k = 0; k < 2; k++)
        job_init(&jobs[k], l, cpu, LLVMObjectFile, arena);
    jobs[0].descriptor = 1;
    Part *parts = ARENA_ARRAY(arena, Part, (2 + LIR_MAX_PIECES) * l.n + 1);
    int n = 0;
    for (int i = 0; i < l.n; i++) {
        for (int part = 0; part < 2; part++)
            if (part_exists(l.udfs[i], (CodegenPart)part))
                parts[n++] =
                    (Part){i, (CodegenPart)part, -1, part_work(l.udfs[i], (CodegenPart)part)};
        for (int k = 0; k < l.udfs[i]->n_pieces; k++)
            parts[n++] = (Part){i, CODEGEN_PIECES, k, lir_size(l.udfs[i]->pieces[k])};
    }
    qsort(parts, (size_t)n, sizeof *parts, by_work_descending);
    for (int k = 0; k < n; k++) {
        Job *to = parts[k].work > 0 && jobs[1].work < jobs[0].work ? &jobs[1] : &jobs[0];
        if (parts[k].piece < 0)
            to->own[parts[k].part][parts[k].udf] = 1;
        else
            to->own_pieces[parts[k].udf] |= (unsigned char)(1u << parts[k].piece);
        to->work += parts[k].work;
    }
    return jobs[1].work > 0 && jobs[1].work * UDF_SECOND_THREAD_SHARE >= jobs[0].work;
}

/* The optimised module of the job's `part`, in `ctx`; NULL with a
 * message. */
static LLVMModuleRef build_part(LLVMContextRef ctx, const Job *job, CodegenPart part,
                                LLVMTargetMachineRef tm, char *why, size_t cap)
{
    int descriptor = job->descriptor && part == CODEGEN_HOT;
    static const char *const names[CODEGEN_PARTS] = {"udf", "udf.cold", "udf.pieces"};
    LLVMModuleRef mod = codegen_module(ctx, names[part], job->lowered.udfs, job->lowered.n,
                                       part == CODEGEN_PIECES ? NULL : job->own[part],
                                       job->own_pieces, descriptor, tm, part);
    if (codegen_optimize(mod, part, tm, why, cap))
        return mod;
    LLVMDisposeModule(mod);
    return NULL;
}

/* The job's parts optimised and linked into one module, in `ctx`; NULL
 * with a message. */
static LLVMModuleRef build_module(LLVMContextRef ctx, const Job *job, LLVMTargetMachineRef tm,
                                  char *why, size_t cap)
{
    LLVMModuleRef linked = NULL;
    for (int part = 0; part < CODEGEN_PARTS; part++) {
        int defines = 0;
        for (int i = 0; i < job->lowered.n; i++)
            defines |= part == CODEGEN_PIECES ? job->own_pieces[i] : job->own[part][i];
        if (!defines && !(job->descriptor && part == CODEGEN_HOT))
            continue;
        LLVMModuleRef mod = build_part(ctx, job, (CodegenPart)part, tm, why, cap);
        if (!mod || (linked && LLVMLinkModules2(linked, mod))) { /* disposes of mod */
            if (mod)
                snprintf(why, cap, "cannot link the kernels' parts");
            if (linked)
                LLVMDisposeModule(linked);
            return NULL;
        }
        if (!linked)
            linked = mod;
    }
    return linked;
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

/* The job compiled and emitted, in an LLVM context of its own. */
static void *run_job(void *arg)
{
    Job *job = arg;
    if (job->own_thread)
        thread_heap_on_huge_pages();
    if (!job->tm)
        job->tm = target_machine_create(job->cpu, job->why, sizeof job->why);
    if (!job->tm)
        return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, job, job->tm, job->why, sizeof job->why);
    LLVMMemoryBufferRef out = NULL;
    char *msg = NULL;
    if (mod && LLVMTargetMachineEmitToMemoryBuffer(job->tm, mod, job->kind, &msg, &out))
        snprintf(job->why, sizeof job->why, "cannot emit kernels: %s", msg ? msg : "?");
    else if (out)
        job->emitted = copied(out, &job->size, job->why, sizeof job->why);
    LLVMDisposeMessage(msg);
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return NULL;
}

/* jobs[0] on this thread, jobs[1] on a second (or after jobs[0], if no
 * thread can be started: *threads tells), their objects merged. */
static unsigned char *run_two_jobs(Job jobs[2], int *threads, size_t *size, char *why, size_t cap)
{
    unsigned char *object = NULL;
    /* The first target machine decides LLVM's process-wide options (target.c):
     * made here, before the second thread starts. */
    jobs[0].tm = target_machine_create(jobs[0].cpu, why, cap);
    if (jobs[0].tm) {
        pthread_t second;
        pthread_attr_t attr;
        int threaded = pthread_attr_init(&attr) == 0;
        if (threaded) {
            jobs[1].own_thread = 1;
            threaded = pthread_attr_setstacksize(&attr, JOB_THREAD_STACK) == 0 &&
                       pthread_create(&second, &attr, run_job, &jobs[1]) == 0;
            pthread_attr_destroy(&attr);
        }
        *threads = threaded ? 2 : 1;
        if (!threaded)
            jobs[1].own_thread = 0; /* runs on this thread after all */
        run_job(&jobs[0]);
        if (threaded)
            pthread_join(second, NULL);
        else
            run_job(&jobs[1]);
        if (!jobs[0].emitted || !jobs[1].emitted)
            snprintf(why, cap, "%s", jobs[jobs[0].emitted ? 1 : 0].why);
        else
            object = object_merge(jobs[0].emitted, jobs[0].size, jobs[1].emitted, jobs[1].size,
                                  size, why, cap);
    }
    for (int k = 0; k < 2; k++) {
        free(jobs[k].emitted);
        if (jobs[k].tm)
            LLVMDisposeTargetMachine(jobs[k].tm);
    }
    return object;
}

/* Everything in one job on this thread, emitted as `kind`. */
static unsigned char *run_one_job(Job *job, size_t *size, char *why, size_t cap)
{
    run_job(job);
    if (job->tm)
        LLVMDisposeTargetMachine(job->tm);
    *size = job->size;
    if (!job->emitted)
        snprintf(why, cap, "%s", job->why);
    return job->emitted;
}

static unsigned char *emit(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                           int n_variants, const char *cpu, int assembly, Arena *arena,
                           int *threads, size_t *size, char *why, size_t cap)
{
    Lowered l = lower_all(udfs, n, variants, n_variants, arena);
    Job jobs[2];
    int used = 1;
    if (threads)
        *threads = used;
    if (!assembly && share_out(jobs, l, cpu, arena))
        return run_two_jobs(jobs, threads ? threads : &used, size, why, cap);
    job_whole(&jobs[0], l, cpu, assembly ? LLVMAssemblyFile : LLVMObjectFile, arena);
    return run_one_job(&jobs[0], size, why, cap);
}

static char *llvm_text(CheckedUdf *const *udfs, int n, const KernelVariant *variant, Arena *arena,
                       char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(NULL, why, cap);
    if (!tm)
        return NULL;
    Job job;
    job_whole(&job, lower_all(udfs, n, variant, 1, arena), NULL, LLVMObjectFile, arena);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(ctx, &job, tm, why, cap);
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
