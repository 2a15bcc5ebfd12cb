/* lir_outline.h — moves statements of a tile into functions of their own
 * ("pieces"), so that the code generator can compile one tile on two
 * threads (llvm_backend.c); lowering (lower.c) asks for it, per udf. A
 * piece takes the tile's arguments and the addresses of copies of the vars
 * it shares with the rest of the tile: it copies them in when called and
 * the ones it assigns back when it returns. Its caller runs it once per
 * execution of the statement it replaces: at most once per group of frames
 * or of free-index values, never per pixel (lir_outline.c). */
#ifndef UDF_LIR_OUTLINE_H
#define UDF_LIR_OUTLINE_H

#include "lir.h"

/* At most this many pieces per tile. */
#define LIR_MAX_PIECES 2

typedef struct Outlined {
    LFunc *shell; /* the tile, each moved statement replaced by a call */
    LFunc *pieces[LIR_MAX_PIECES];
    int n_pieces;
} Outlined;

/* Chooses the loops and branches of `tile` to move out (one, or two apart
 * from each other) whose sizes (lir_size) and the shell's, shared between two
 * threads, leave the busier thread the least work; fills `out` (in `a`) and
 * returns 1 if that is at most UDF_OUTLINE_MAX_SHARE percent of the tile's
 * work and the tile has UDF_OUTLINE_MIN_WORK, else returns 0. `tile` itself
 * is left unchanged. */
int lir_outline(Arena *a, const LFunc *tile, Outlined *out);

#endif
