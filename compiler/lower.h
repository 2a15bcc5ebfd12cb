/* lower.h — from a checked udf to loop IR, for one input element type.
 *
 * The frame body runs inside a loop over the frames of a tile. Statements on
 * one number per frame are plain code; statements on detector-shaped values
 * become loops over the pixels; reductions become passes of their own, placed
 * before the statement that needs them; free indices become loops over the
 * dims they index. Merge and result bodies lower the same way over whole
 * buffers. */
#ifndef UDF_LOWER_H
#define UDF_LOWER_H

#include "check.h"
#include "lir.h"
#include "lir_outline.h"

typedef struct LoweredUdf {
    CheckedUdf *cu;
    udf_dtype input;
    int fused; /* corrections in the frame loads (kernel_abi.h UDF_FUSED), or 0 */
    LFunc *tile;
    /* Loops or branches of a large tile moved into functions of their own,
     * which the code generator can compile on another thread (lir_outline.h),
     * or none. Decided by the tile alone, so that its code is the same in
     * every compile (JIT, ahead of time, with other udfs or without). */
    LFunc *pieces[LIR_MAX_PIECES];
    int n_pieces;
    LFunc *merge;     /* NULL when no buffer needs merging */
    LFunc *result;    /* NULL without a result body */
    LFunc *prepare;   /* NULL without param defaults */
    Symbol **buffers; /* the udf's buffers, then scratch buffers lowering made */
    int n_buffers;
    /* Element types for this input type (symbols are retyped per input). */
    udf_dtype *buffer_types, *param_types;
    char *buffer_used; /* per buffer: some entry point loads or stores it */
} LoweredUdf;

/* The work of compiling the udf's hot entry points (tile, merge; pieces
 * apart) and its cold ones (prepare, result): their size in loop IR
 * (lir_size), the cold part's divided by UDF_COLD_WORK_DIVISOR (its light
 * pipeline and quick instruction selection). The code generator shares
 * parts between two threads by it (llvm_backend.c). */
size_t lower_hot_work(const LoweredUdf *lu);
size_t lower_cold_work(const LoweredUdf *lu);

/* One kernel of each udf: for frames of type `input`, with `fused`
 * corrections in its loads (kernel_abi.h UDF_FUSED) or 0. */
typedef struct KernelVariant {
    udf_dtype input;
    int fused;
} KernelVariant;

/* Frames of type `input`; with `fused` (kernel_abi.h UDF_FUSED, or 0) they
 * hold elements of the stored type, corrected as they are loaded. */
LoweredUdf *lower_udf(Arena *a, CheckedUdf *cu, udf_dtype input, int fused);

#endif
