/* lower_tile.c — the tile entry point: every frame of the tile, in order,
 * runs the whole frame body (frames outside, pixels inside). Frames are read
 * in place from the page cache (frame_file.h), so each frame streams through
 * once per pass; the sig accumulators of typical frames (up to 512² pixels)
 * stay in L2. A schedule with pixel blocks outside and the tile's frames
 * inside was measured slower in that setting and is not used.
 *
 * Bodies in which a frame depends on no other frame's values — virtual
 * detectors, masks, centre of mass, sums into sig buffers — are jammed:
 * groups of UDF_FRAME_JAM frames go through the body together, each
 * reduction one pass over the pixels for all frames of the group (a mask or
 * a coordinate test is loaded or computed once per group), each elementwise
 * run one pass that updates an accumulator for all frames of the group
 * (loaded and stored once). */
#include "lower_internal.h"
#include "udfrt/config.h"

/* Whether statement s writes buffer kind `kind` (a single's `b += e` is
 * noted apart: it may repeat per frame as long as nothing reads b). */
static const Symbol *written(const Stmt *s)
{
    return s->kind == S_ASSIGN ? s->target->sym : NULL;
}

static int reads_any_written(const Expr *e, const Stmt *body, udf_kind kind)
{
    for (const Stmt *s = body; s; s = s->next) {
        const Symbol *b = written(s);
        if (b && b->buf_kind == kind && expr_reads(e, b))
            return 1;
    }
    return 0;
}

/* Frames can be jammed when each frame's statements only depend on its own
 * earlier statements: lets; assignments to nav buffers (no scatter); `+=`
 * into single buffers nothing reads; and a final run of elementwise
 * statements on sig buffers, which per pixel still see the frames in
 * order. */
static int jammable(const CheckedUdf *cu)
{
    int in_group = 0;
    for (const Stmt *s = cu->frame->stmts; s; s = s->next) {
        Shape domain = lw_fusable(s);
        if (domain == SHAPE_PIXEL) {
            in_group = 1;
        } else if (in_group) {
            return 0; /* the elementwise run must end the body */
        } else if (s->kind == S_ASSIGN) {
            const Symbol *b = s->target->sym;
            int single_sum = b->buf_kind == UDF_KIND_SINGLE && s->assign_op == OP_ADD &&
                             s->target->shape == SHAPE_SCALAR;
            if (!(b->buf_kind == UDF_KIND_NAV && s->target->shape == SHAPE_SCALAR) && !single_sum)
                return 0;
        } else if (s->kind != S_LET) {
            return 0;
        }
        /* Nothing may read a single buffer the body writes, or a sig buffer
         * outside the elementwise run. */
        const Expr *value = s->kind == S_LET || s->kind == S_ASSIGN ? s->value : NULL;
        if (reads_any_written(value, cu->frame->stmts, UDF_KIND_SINGLE) ||
            (domain != SHAPE_PIXEL && reads_any_written(value, cu->frame->stmts, UDF_KIND_SIG)))
            return 0;
    }
    return 1;
}

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

/* Frames [first, first + L->jam) of the tile, jammed; their pointer and
 * nav-index vars are set up first. Frames past the tile's end repeat its
 * last frame, and store nothing. */
static void jammed_group(Lowerer *L, LExpr *first, LBlock *out)
{
    Arena *a = L->arena;
    LExpr *depth = lir_field(a, LX_DEPTH, 0, NULL);
    LExpr *last = lir_bin(a, OP_SUB, UDF_DTYPE_I64, depth, lw_i64(L, 1));
    for (int j = 0; j < L->jam; j++) {
        LExpr *at = lir_bin(a, OP_ADD, UDF_DTYPE_I64, first, lw_i64(L, j));
        LExpr *f = lir_fn(a, LF_MIN, UDF_DTYPE_I64, at, last);
        int nav = lw_tmp(L, "nav", UDF_DTYPE_I64);
        L->jam_frames[j] = lw_tmp(L, "frame", LT_PTR);
        L->jam_pos[j] = lw_var(L, nav);
        L->jam_valid[j] = lir_bin(a, OP_LT, UDF_DTYPE_BOOL, at, depth);
        lir_append(out, lir_set(a, L->jam_frames[j], lir_field(a, LX_FRAME_PTR, 0, f)));
        lir_append(out, lir_set(a, nav, lir_field(a, LX_NAV_INDEX, 0, f)));
        LBlock init;
        lir_block_init(&init);
        lw_nav_init(L, L->jam_pos[j], &init);
        if (init.head)
            lir_append(out, lir_if(a, L->jam_valid[j], init.head, NULL));
    }
    lw_jam_select(L, 0);
    lw_block(L, L->cu->frame->stmts, out);
}

/* Groups of UDF_FRAME_JAM frames, jammed; the last group may be short. */
static LFunc *jammed_tile(Lowerer *L, LFunc *f)
{
    Arena *a = L->arena;
    int g = lir_var(a, f, "group", UDF_DTYPE_I64);
    int jam = UDF_FRAME_JAM;
    LExpr *depth = lir_field(a, LX_DEPTH, 0, NULL);
    LExpr *groups = lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64,
                            lir_bin(a, OP_ADD, UDF_DTYPE_I64, depth, lw_i64(L, jam - 1)),
                            lw_i64(L, jam));
    LBlock group;
    lir_block_init(&group);
    L->jam = jam;
    L->jam_frames = ARENA_ARRAY(a, int, jam);
    L->jam_pos = ARENA_ARRAY(a, LExpr *, jam);
    L->jam_valid = ARENA_ARRAY(a, LExpr *, jam);
    jammed_group(L, lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_var(L, g), lw_i64(L, jam)), &group);
    L->jam = 1;
    lw_jam_select(L, 0);
    f->body = lir_for(a, g, lw_i64(L, 0), groups, group.head);
    return f;
}

LFunc *lw_build_tile(Lowerer *L)
{
    LFunc *f = lw_new_func(L, LFK_TILE, "tile");
    L->place = IN_FRAME;
    if (UDF_FRAME_JAM > 1 && jammable(L->cu))
        return jammed_tile(L, f);
    L->frame_var = lir_var(L->arena, f, "frame", LT_PTR);
    return plain_tile(L, f);
}
