/* lower_tile.c — the tile entry point: every frame of the tile, in order,
 * runs the whole frame body (frames outside, pixels inside, except in the
 * pixel blocks below). Frames are read
 * in place from the page cache (frame_file.h), so each frame streams through
 * once per pass; the sig accumulators of typical frames (up to 512² pixels)
 * stay in L2. Bodies that only update sig buffers elementwise (sum, max,
 * stddev of integers) go over the pixels in blocks instead, the tile's
 * groups of frames inside each block, so that the accumulators stay in L1.
 *
 * Bodies in which a frame depends on no other frame's values — virtual
 * detectors, masks, centre of mass, sums into sig buffers — are jammed
 * (lower_jam.c decides): groups of UDF_FRAME_JAM frames go through the body
 * together, each reduction one pass over the pixels for all frames of the
 * group (a mask is loaded once per group), each elementwise run one pass
 * that updates an accumulator for all frames of the group (loaded and stored
 * once). Scalar statements that frames depend on in order (a frame counter,
 * a flush every so many frames) run frame by frame before the group's
 * elementwise statements (lower_split.c).
 *
 * Masks and bin indices that are the same in every frame are computed once
 * per partition, in the tile's prologue; sums of values that are the same in
 * every frame (a radial profile's pixel counts, frame counters) once per
 * tile, times its number of frames. */
#include "builtins.h"
#include "lower_internal.h"
#include "udfrt/config.h"

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
static void jammed_group(Lowerer *L, Jam kind, LExpr *first, LBlock *out)
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
    if (kind == JAM_SPLIT)
        lw_split_group(L, out);
    else
        lw_block(L, L->cu->frame->stmts, out);
}

/* Whether every statement of the frame body updates sig buffers (or
 * computes a pixel let) elementwise, with no reduction, and without frame
 * coordinates: then each pixel's updates depend on that pixel alone, and
 * the tile may go over the pixels in blocks. */
static int elementwise_only(const CheckedUdf *cu)
{
    if (cu->n_coords > 0)
        return 0;
    for (const Stmt *s = cu->frame->stmts; s; s = s->next)
        if (lw_fusable(s) != SHAPE_PIXEL ||
            (s->kind == S_ASSIGN && s->target->sym->buf_kind != UDF_KIND_SIG))
            return 0;
    return cu->frame->stmts != NULL;
}

/* Groups of UDF_FRAME_JAM frames, jammed; the last group may be short.
 * Bodies that only update sig buffers elementwise go over the pixels in
 * blocks of UDF_PIXEL_BLOCK, all groups of the tile per block: the block's
 * accumulators stay in L1 while the tile's frames stream through once (each
 * group of four frames otherwise loaded and stored every accumulator of the
 * frame, from L2: stddev's are 768 KiB on 256² frames). */
static LFunc *jammed_tile(Lowerer *L, Jam kind, LFunc *f)
{
    Arena *a = L->arena;
    int g = lir_var(a, f, "group", UDF_DTYPE_I64);
    int jam = UDF_FRAME_JAM;
    LExpr *depth = lir_field(a, LX_DEPTH, 0, NULL);
    LExpr *groups =
        lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64,
                lir_bin(a, OP_ADD, UDF_DTYPE_I64, depth, lw_i64(L, jam - 1)), lw_i64(L, jam));
    LBlock group;
    lir_block_init(&group);
    L->jam = jam;
    L->jam_frames = ARENA_ARRAY(a, int, jam);
    L->jam_pos = ARENA_ARRAY(a, LExpr *, jam);
    L->jam_valid = ARENA_ARRAY(a, LExpr *, jam);
    int blocked = kind == JAM_ALL && elementwise_only(L->cu);
    int blk = blocked ? lir_var(a, f, "pixel_block", UDF_DTYPE_I64) : -1;
    int64_t size = UDF_PIXEL_BLOCK;
    if (blocked) {
        L->block_lo = lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_var(L, blk), lw_i64(L, size));
        L->block_hi =
            lir_fn(a, LF_MIN, UDF_DTYPE_I64,
                   lir_bin(a, OP_ADD, UDF_DTYPE_I64, L->block_lo, lw_i64(L, size)), lw_sig_size(L));
    }
    jammed_group(L, kind, lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_var(L, g), lw_i64(L, jam)), &group);
    L->jam = 1;
    L->block_lo = L->block_hi = NULL;
    lw_jam_select(L, 0);
    f->body = lir_for(a, g, lw_i64(L, 0), groups, group.head);
    if (blocked) {
        LExpr *blocks =
            lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64,
                    lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_sig_size(L), lw_i64(L, size - 1)),
                    lw_i64(L, size));
        f->body = lir_for(a, blk, lw_i64(L, 0), blocks, f->body);
    }
    return f;
}

/* Whether e depends on nothing that changes from frame to frame:
 * coordinates, params other than per-frame ones, dims, shapes, constants
 * and lets of those. */
static int invariant_in(const Expr *e, unsigned long long walk)
{
    for (; e; e = e->next) {
        if (e->kind == E_CALL && e->builtin &&
            (e->builtin->cls == BC_REDUCE || e->builtin->cls == BC_RESULT_ONLY))
            return 0;
        const Symbol *s = e->sym;
        if (s && e->kind != E_CALL) {
            switch (s->kind) {
            case SYM_COORD:
            case SYM_DIMVAR:
            case SYM_SHAPE:
            case SYM_SIZE: break;
            case SYM_PARAM:
                if (s->param_kind == UDF_PARAM_NAV) /* a value per frame */
                    return 0;
                break;
            case SYM_LET: {
                const Symbol *let = expr_walk_enters(e, walk);
                if (let && !invariant_in(let->value, walk))
                    return 0;
                break;
            }
            default: return 0;
            }
        }
        if (!invariant_in(e->lhs, walk) || !invariant_in(e->rhs, walk) ||
            !invariant_in(e->args, walk) || !invariant_in(e->base, walk))
            return 0;
    }
    return 1;
}

static int frame_invariant(const Expr *e) { return invariant_in(e, expr_walk_begin()); }

/* Pixel lets of the frame body that are the same in every frame and are
 * worth keeping — masks and bin indices (bool and integer lets that are
 * more than a coordinate) — are computed once per partition into a private
 * sig buffer, guarded by a private flag; their uses load from it. The
 * statements that fill them go into `fill`, run under the flag, to which
 * the caller may append more (the listing of runs, once it knows which it
 * needs). */
static void cache_invariant_lets(Lowerer *L, LBlock *fill, LBlock *out)
{
    Arena *a = L->arena;
    Symbol *ready = NULL;
    for (const Stmt *s = L->cu->frame->stmts; s; s = s->next) {
        if (s->kind != S_LET || s->sym->shape != SHAPE_PIXEL || type_is_float(s->sym->type) ||
            !frame_invariant(s->value) || (s->value->sym && s->value->sym->kind == SYM_COORD))
            continue;
        if (!ready)
            ready = lw_scratch_buffer(L, ".cached", UDF_KIND_SINGLE, UDF_DTYPE_BOOL);
        Symbol *cache = lw_scratch_buffer(L, arena_printf(a, ".cached.%s", s->name), UDF_KIND_SIG,
                                          s->sym->type);
        cache->uninit = 1; /* filled whole behind the flag */
        Domain d;
        lw_domain_begin(L, SHAPE_PIXEL, &d);
        L->inline_scalar_lets = 1; /* no frame's lets exist yet; these are of params */
        LExpr *value = lw_expr(L, s->value);
        L->inline_scalar_lets = 0;
        LStmt *store = lir_store(a, LB_BUF, cache->slot, cache->type, L->pixel, value);
        lir_append(fill, lw_scalar_loops(lw_domain_end(L, &d, store))); /* once per partition */
        L->let_scratch[s->sym->slot] = cache;
        L->let_cached[s->sym->slot] = 1;
    }
    if (!ready)
        return;
    /* Runs, once every let that a scatter's or a sum's value reads is cached. */
    for (const Stmt *s = L->cu->frame->stmts; s; s = s->next)
        if (s->kind == S_LET && L->let_cached[s->sym->slot])
            lw_build_runs(L, s->sym, L->let_scratch[s->sym->slot], fill);
    LExpr *zero = lw_i64(L, 0);
    lir_append(fill, lir_store(a, LB_BUF, ready->slot, UDF_DTYPE_BOOL, zero,
                               lir_const_int(a, UDF_DTYPE_BOOL, 1)));
    LExpr *filled = lir_load(a, LB_BUF, ready->slot, UDF_DTYPE_BOOL, zero);
    lir_append(out, lir_if(a, lir_un(a, OP_NOT, filled), fill->head, NULL));
}

/* Whether statement list `body` (and the bodies of its ifs) writes or reads
 * buffer b in a statement other than `except`. */
static int touches(const Stmt *body, const Symbol *b, const Stmt *except)
{
    for (const Stmt *t = body; t; t = t->next) {
        if (t == except)
            continue;
        const Expr *args =
            t->kind == S_ASSIGN && t->target->kind == E_INDEX ? t->target->args : NULL;
        if ((t->kind == S_ASSIGN && t->target->sym == b) || expr_reads(t->value, b) ||
            expr_reads(args, b) || expr_reads(t->cond, b) || touches(t->then_body, b, except) ||
            touches(t->else_body, b, except))
            return 1;
    }
    return 0;
}

/* `b += v` (b a sig or single buffer) whose value and indices are the same
 * in every frame, and whose buffer no other statement of the body touches:
 * adding v times the tile's frame count once gives the same sum. Not for
 * bool buffers (`+` toggles them) nor a float v into an integer buffer
 * (each frame's sum is truncated). */
static int per_tile_sum(const Stmt *s, const Stmt *body)
{
    if (s->kind != S_ASSIGN || s->assign_op != OP_ADD)
        return 0;
    const Symbol *b = s->target->sym;
    const Expr *args = s->target->kind == E_INDEX ? s->target->args : NULL;
    udf_dtype step = type_of_update(OP_ADD, b->type, s->value);
    return b->buf_kind != UDF_KIND_NAV && b->type != UDF_DTYPE_BOOL &&
           (type_is_float(b->type) || !type_is_float(step)) && frame_invariant(s->value) &&
           frame_invariant(args) && !touches(body, b, s);
}

/* Lowers the frame body's per-tile sums into `out` and points L->cu at a
 * copy of the udf whose frame body lacks them. */
static void sum_per_tile(Lowerer *L, LBlock *out)
{
    Arena *a = L->arena;
    const Stmt *body = L->cu->frame->stmts;
    Stmt *kept = NULL, **tail = &kept;
    L->sum_scale = lir_field(a, LX_DEPTH, 0, NULL);
    L->inline_scalar_lets = 1; /* no frame's lets exist yet; these are of params */
    for (const Stmt *s = body; s; s = s->next) {
        if (per_tile_sum(s, body)) {
            lw_stmt(L, (Stmt *)s, out);
            continue;
        }
        Stmt *copy = ARENA_NEW(a, Stmt);
        *copy = *s;
        copy->next = NULL;
        *tail = copy;
        tail = &copy->next;
    }
    L->sum_scale = NULL;
    L->inline_scalar_lets = 0;
    CheckedUdf *cu = ARENA_NEW(a, CheckedUdf);
    *cu = *L->cu;
    cu->frame = ARENA_NEW(a, Body);
    *cu->frame = *L->cu->frame;
    cu->frame->stmts = kept;
    L->cu = cu;
}

LFunc *lw_build_tile(Lowerer *L)
{
    LFunc *f = lw_new_func(L, LFK_TILE, "tile");
    L->place = IN_FRAME;
    LBlock body;
    lir_block_init(&body);
    CheckedUdf *whole = L->cu;
    LBlock fill;
    lir_block_init(&fill);
    cache_invariant_lets(L, &fill, &body);
    sum_per_tile(L, &body);
    Jam kind = lw_jam_kind(L->cu);
    if (kind != JAM_NONE) {
        jammed_tile(L, kind, f);
    } else {
        L->frame_var = lir_var(L->arena, f, "frame", LT_PTR);
        plain_tile(L, f);
    }
    lw_list_mask_runs(L, &fill);
    lir_append(&body, f->body);
    f->body = body.head;
    L->cu = whole;
    return f;
}
