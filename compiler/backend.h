/* backend.h — the LLVM code generator, a module of its own
 * (libudfc_llvm.so, llvm_backend.c) that udfc loads only when it compiles:
 * loading LLVM takes ~70 ms (its relocations and static constructors), so
 * runs that find their kernels in the cache, `udfc check` and `udfc info`
 * start without it. The module calls the front end's functions (lowering)
 * in the udfc executable, which exports them. */
#ifndef UDF_BACKEND_H
#define UDF_BACKEND_H

#include <stddef.h>

#include "lower.h"

#define UDF_BACKEND_FILE "libudfc_llvm.so"
#define UDF_BACKEND_SYMBOL "udfc_llvm_backend"

typedef struct CompilerBackend {
    /* Every udf lowered as every variant, generated, optimised and emitted
     * for `cpu` (NULL: this machine) as one object file (its parts compiled
     * on one or two threads: *threads, if not NULL), or as assembly text if
     * `assembly`; *size bytes, malloc'd. NULL with an internal-error message
     * in why[cap]. */
    unsigned char *(*emit)(CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                           int n_variants, const char *cpu, int assembly, Arena *arena,
                           int *threads, size_t *size, char *why, size_t cap);
    /* The optimised module of `udfs` as `variant` for this machine, as LLVM IR
     * text (malloc'd), or NULL with a message. */
    char *(*llvm_text)(CheckedUdf *const *udfs, int n, const KernelVariant *variant, Arena *arena,
                       char *why, size_t cap);
} CompilerBackend;

/* The SHA-256 of the module udfc was built with (hex; generated into udfc,
 * cmake/backend_id.cmake): part of the kernel cache's key. */
extern const char udfc_backend_id[];

/* The backend, loaded on first use (installed: from udfc's ../LIBDIR; else
 * from the build tree that made this udfc), and in *load_seconds (if not
 * NULL) the seconds loading it took, 0 if it was loaded before; NULL with a
 * message in why[cap] if the module cannot be loaded. */
const CompilerBackend *backend_get(double *load_seconds, char *why, size_t cap);

#endif
