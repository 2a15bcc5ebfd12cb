/* compile.h — the compiler's stages chained, for the command line tools:
 * source → tokens → AST → checked AST → loop IR → LLVM IR → object. */
#ifndef UDF_COMPILE_H
#define UDF_COMPILE_H

#include <stdio.h>

#include "check.h"
#include "lower.h"

/* Parses and checks a whole source; NULL once errors were reported on src. */
CheckedProgram *compile_check(Source *src, Arena *arena);

/* What compile_jit did. */
typedef struct CompileStats {
    int cached;             /* the object came from the cache */
    double backend_seconds; /* loading the code generator (LLVM), or 0 */
    int threads;            /* compiling it on (1 or 2), 0 if from the cache */
    char cache_note[512];   /* why the cache could not be written, or "" */
} CompileStats;

/* `udfs` lowered as kernel `variant`, as an object file for this CPU: taken
 * from the cache (objcache.h), or generated, optimised, emitted and cached.
 * The object, *size bytes, is the caller's to free (after linking it into
 * the process: udfrt_module_link). NULL with an internal-error message in
 * why[cap] on failure. */
unsigned char *compile_jit(CheckedUdf *const *udfs, int n, const KernelVariant *variant,
                           Arena *arena, size_t *size, CompileStats *stats, char *why, size_t cap);

/* Every udf compiled as every variant into one object file for `cpu`
 * (NULL: this machine), with one udf_module_desc listing all the kernels:
 * *size bytes, malloc'd. NULL with a message in why[cap] on failure. */
unsigned char *compile_object(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                              int n_variants, const char *cpu, Arena *arena, size_t *size,
                              char *why, size_t cap);

/* A C header for a built object: the descriptor symbol, the variants, and
 * each udf's doc, params and buffers. */
void compile_header(FILE *out, CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                    int n_variants, const char *cpu, const char *guard);

typedef enum EmitStage { EMIT_AST, EMIT_IR, EMIT_LLVM, EMIT_ASM } EmitStage;
/* Prints a stage of every udf of `cp` as kernel `variant`. */
int compile_emit(FILE *out, CheckedProgram *cp, EmitStage stage, const KernelVariant *variant,
                 char *why, size_t cap);

#endif
