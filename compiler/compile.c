/* compile.c — chaining the stages; see compile.h. JIT runs, `udfc emit` and
 * `udfc build` share one path to an object (the code generator module,
 * backend.h); only its destination differs: a file, or memory that the
 * runtime links into the process (udfrt_module_link). A JIT run looks in the
 * kernel cache first, and loads the code generator only if it must compile. */
#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "objcache.h"

CheckedProgram *compile_check(Source *src, Arena *arena)
{
    Program *prog = parse_program(src, arena);
    if (!prog || src->errors)
        return NULL;
    return check_program(prog);
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
    const CompilerBackend *backend = backend_get(&stats->backend_seconds, why, cap);
    bytes = backend ? backend->emit(udfs, n, variant, 1, NULL, 0, arena, &stats->threads, size, why,
                                    cap)
                    : NULL;
    if (bytes)
        objcache_store(&key, bytes, *size, stats->cache_note, sizeof stats->cache_note);
    return bytes;
}

unsigned char *compile_object(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                              int n_variants, const char *cpu, Arena *arena, size_t *size,
                              char *why, size_t cap)
{
    const CompilerBackend *backend = backend_get(NULL, why, cap);
    return backend
               ? backend->emit(udfs, n, variants, n_variants, cpu, 0, arena, NULL, size, why, cap)
               : NULL;
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
            const LFunc *fns[4 + LIR_MAX_PIECES] = {lu->prepare, lu->tile};
            int n_fns = 2;
            for (int k = 0; k < lu->n_pieces; k++)
                fns[n_fns++] = lu->pieces[k];
            fns[n_fns++] = lu->merge;
            fns[n_fns++] = lu->result;
            for (int k = 0; k < n_fns; k++)
                if (fns[k])
                    lir_print(out, fns[k]);
        }
        return 1;
    }
    CheckedUdf **udfs = ARENA_ARRAY(arena, CheckedUdf *, cp->n_udfs + 1);
    for (int i = 0; i < cp->n_udfs; i++)
        udfs[i] = &cp->udfs[i];
    const CompilerBackend *backend = backend_get(NULL, why, cap);
    if (!backend)
        return 0;
    if (stage == EMIT_ASM) {
        size_t size = 0;
        unsigned char *text =
            backend->emit(udfs, cp->n_udfs, variant, 1, NULL, 1, arena, NULL, &size, why, cap);
        if (text)
            fwrite(text, 1, size, out);
        free(text);
        return text != NULL;
    }
    char *text = backend->llvm_text(udfs, cp->n_udfs, variant, arena, why, cap);
    if (text)
        fputs(text, out);
    free(text);
    return text != NULL;
}
