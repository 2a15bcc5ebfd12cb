/* lower_tile.c — the tile entry point: every frame of the tile, in order,
 * runs the whole frame body (frames outside, pixels inside). Frames are read
 * in place from the page cache (frame_file.h), so each frame streams through
 * once per pass; the sig accumulators of typical frames (up to 512² pixels)
 * stay in L2. A schedule with pixel blocks outside and the tile's frames
 * inside was measured slower in that setting (bench/README.md) and is not
 * used. */
#include "lower_internal.h"

static LFunc *plain_tile(Lowerer *L, LFunc *f)
{
    Arena *a = L->arena;
    int frame_index = lir_var(a, f, "f", UDF_DTYPE_I64);
    int nav = lir_var(a, f, "nav", UDF_DTYPE_I64);
    LBlock body;
    lir_block_init(&body);
    LExpr *fi = lw_var(L, frame_index);
    lir_append(&body, lir_set(a, L->frame_var, lir_field(a, LX_FRAME_PTR, 0, fi)));
    lir_append(&body, lir_set(a, nav, lir_field(a, LX_NAV_INDEX, 0, fi)));
    L->pos = lw_var(L, nav);
    lw_nav_init(L, L->pos, &body);
    lw_block(L, L->cu->frame->stmts, &body);
    f->body = lir_for(a, frame_index, lw_i64(L, 0), lir_field(a, LX_DEPTH, 0, NULL), body.head);
    return f;
}

LFunc *lw_build_tile(Lowerer *L)
{
    LFunc *f = lw_new_func(L, LFK_TILE, "tile");
    L->place = IN_FRAME;
    L->frame_var = lir_var(L->arena, f, "frame", LT_PTR);
    return plain_tile(L, f);
}
