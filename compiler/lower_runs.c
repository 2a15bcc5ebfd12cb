/* lower_runs.c — scatters by runs: `b[bin] += v` with `bin` a pixel let that
 * is the same in every frame (a cached let, lower_tile.c), as in a radial
 * profile. Pixels in flat order form runs of equal `bin`: rings cross each
 * row in a few stretches. Once per partition the run lengths are listed;
 * then each frame sums v over each run in a var per jammed frame (in
 * vectors, or pixel by pixel for short runs) and adds the sum to its bin
 * once, instead of a load and a store into the bin per pixel, whose chain
 * through memory serialises neighbours in the same bin. Integer values (u16
 * frames) are summed in integers, exactly, and converted once per run. Runs of one pixel (bins
 * that change at every pixel) cost more than the per-pixel way, all longer
 * ones less. A scatter of a value that is the same in every frame, added
 * once per tile times its frame count (lower_tile.c), goes by the runs too:
 * radial_profile's pixel counts took a third of its time pixel by pixel. Integer sums masked by a
 * cached bool let (the disk of a virtual detector: `sum(select(inside, frame, 0))`) go over the
 * runs of pixels inside only, and never load the others, where the mask is sparse. See
 * lower_internal.h. */
#include "builtins.h"
#include "lower_internal.h"
#include "range.h"
#include "udfrt/config.h"

/* Runs of fewer pixels are summed pixel by pixel, longer ones in vectors. */
#define MIN_VECTOR_RUN 8

/* Sums over a mask's runs of true pay when it is true at most at this
 * fraction (1 / MAX_SPARSE_SHARE) of the pixels, such as a virtual
 * detector's small disk: the pixels outside are never loaded, and each run
 * costs a horizontal vector sum per frame. A thin ring (a third of the
 * pixels, in two short runs per row) was 1.35x slower by runs; a disk of
 * 7 % 1.7-1.9x faster. */
#define MAX_SPARSE_SHARE 4

/* Sums over a mask's runs are taken only where partitions are likely to hold
 * this many frames: listing the runs costs about as much as a dozen passes
 * of a sum over all pixels (a 2048² disk with 8 frames per partition was
 * 1.35x slower by runs, a 1024² one with 32 frames 1.8x faster). */
#define MIN_MASK_FRAMES 32

/* The most pixels in one run: its length is a u8, one byte per pixel at most
 * (as a cached mask), and integer sums of up to 16-bit values over a run fit
 * 32 bits. A detector of 4096² pixels with a table of i64 ends per pixel
 * (128 MiB per partition, filled for each) ran 2x slower than without runs
 * (found by review). */
#define MAX_RUN 255

/* Whether e reads a coordinate other than through a cached let (whose
 * values load at the pixel: the runs' loops have no coordinates). */
static int reads_coordinate(const Lowerer *L, const Expr *e, unsigned long long walk)
{
    for (; e; e = e->next) {
        if (e->kind == E_NAME && e->sym && e->sym->kind == SYM_COORD)
            return 1;
        const Symbol *let =
            e->kind == E_NAME && e->sym && e->sym->kind == SYM_LET && !L->let_cached[e->sym->slot]
                ? expr_walk_enters(e, walk)
                : NULL;
        if ((let && reads_coordinate(L, let->value, walk)) || reads_coordinate(L, e->lhs, walk) ||
            reads_coordinate(L, e->rhs, walk) || reads_coordinate(L, e->args, walk) ||
            reads_coordinate(L, e->base, walk))
            return 1;
    }
    return 0;
}

static int reads_coordinates(const Lowerer *L, const Expr *e)
{
    return reads_coordinate(L, e, expr_walk_begin());
}

/* The cached let that indexes statement s's target alone, if s is a scatter
 * the runs can serve: `+=` into a nav or single buffer, a value that reads
 * no coordinate (the runs' loop has none) and not the target. Not into bool
 * targets (`+` toggles them) nor a float step into an integer target (each
 * pixel's step is truncated, saturated, NaN made 0): what those do per pixel
 * a sum per run cannot. Integer steps wrap the same either way. */
static const Symbol *run_index(const Lowerer *L, const Stmt *s)
{
    if (s->kind != S_ASSIGN || s->assign_op != OP_ADD || s->target->kind != E_INDEX)
        return NULL;
    const Symbol *b = s->target->sym;
    const Expr *arg = s->target->args;
    if ((b->buf_kind != UDF_KIND_NAV && b->buf_kind != UDF_KIND_SINGLE) || b->rank != 1 ||
        arg->next || arg->kind != E_NAME || !arg->sym || arg->sym->kind != SYM_LET ||
        arg->sym->shape != SHAPE_PIXEL || !L->let_cached[arg->sym->slot] || expr_reads(s->value, b))
        return NULL;
    if (b->type == UDF_DTYPE_BOOL ||
        (!type_is_float(b->type) && type_is_float(type_of_update(OP_ADD, b->type, s->value))))
        return NULL;
    return reads_coordinates(L, s->value) ? NULL : arg->sym;
}

/* The cached bool let that masks reduction e, if the runs can serve it:
 * an integer `sum(select(mask, v, 0))` (exact in any order, so leaving out
 * the pixels outside, which add 0, changes nothing) whose v reads no
 * coordinate, or `count(mask)`. */
static const Symbol *sum_mask(const Lowerer *L, const Expr *e)
{
    if (e->kind != E_CALL || !e->builtin || e->args->shape != SHAPE_PIXEL)
        return NULL;
    const Expr *m = e->args, *v = NULL;
    if (e->builtin->id == BI_SUM && !type_is_float(e->optype) && m->kind == E_CALL && m->builtin &&
        m->builtin->id == BI_SELECT) {
        v = m->args->next;
        const Expr *other = v->next;
        if (other->kind != E_INT || other->ival != 0 || reads_coordinates(L, v))
            return NULL;
        m = m->args;
    } else if (e->builtin->id != BI_COUNT) {
        return NULL;
    }
    return m->kind == E_NAME && m->sym && m->sym->kind == SYM_LET && m->sym->shape == SHAPE_PIXEL &&
                   m->sym->type == UDF_DTYPE_BOOL && L->let_cached[m->sym->slot]
               ? m->sym
               : NULL;
}

/* Whether e (following lets) has a reduction that let `let` masks. */
static int masks_any(const Lowerer *L, const Symbol *let, const Expr *e, unsigned long long walk)
{
    for (; e; e = e->next) {
        if (sum_mask(L, e) == let)
            return 1;
        const Symbol *in = e->kind == E_NAME && e->sym && e->sym->kind == SYM_LET
                               ? expr_walk_enters(e, walk)
                               : NULL;
        if ((in && masks_any(L, let, in->value, walk)) || masks_any(L, let, e->lhs, walk) ||
            masks_any(L, let, e->rhs, walk) || masks_any(L, let, e->args, walk) ||
            masks_any(L, let, e->base, walk))
            return 1;
    }
    return 0;
}

/* Whether a statement of list s (or of its ifs) is a scatter by `let`'s runs
 * (masks 0) or has a sum masked by `let` (masks 1). */
static int serves(const Lowerer *L, const Symbol *let, const Stmt *s, int masks)
{
    for (; s; s = s->next) {
        const Expr *args =
            s->kind == S_ASSIGN && s->target->kind == E_INDEX ? s->target->args : NULL;
        unsigned long long walk = expr_walk_begin();
        int here = masks ? masks_any(L, let, s->value, walk) || masks_any(L, let, s->cond, walk) ||
                               masks_any(L, let, args, walk)
                         : run_index(L, s) == let;
        if (here || serves(L, let, s->then_body, masks) || serves(L, let, s->else_body, masks))
            return 1;
    }
    return 0;
}

/* Appends to `fill`: sparse = whether bool let `let` (its values in `cache`)
 * holds at no more than a MAX_SPARSE_SHARE-th of the pixels, and partitions
 * are likely to hold MIN_MASK_FRAMES frames or more (by the runtime's rule,
 * udfrt/config.h: UDF_PARTITION_BYTES each, at least UDF_MIN_PARTITIONS). */
static void tally_sparse(Lowerer *L, const LetRuns *runs, const Symbol *cache, LBlock *fill)
{
    Arena *a = L->arena;
    int inside = lw_tmp(L, "inside", UDF_DTYPE_I64), p = lw_tmp(L, "p", UDF_DTYPE_I64);
    LExpr *size = lw_sig_size(L);
    lir_append(fill, lir_set(a, inside, lw_i64(L, 0)));
    LExpr *here =
        lir_cast(a, UDF_DTYPE_I64, lir_load(a, LB_BUF, cache->slot, UDF_DTYPE_BOOL, lw_var(L, p)));
    lir_append(fill, lir_for(a, p, lw_i64(L, 0), size,
                             lir_set(a, inside,
                                     lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_var(L, inside), here))));
    LExpr *share =
        lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_var(L, inside), lw_i64(L, MAX_SPARSE_SHARE));
    udf_dtype stored = L->fused ? (udf_dtype)UDF_FUSED_STORED(L->fused) : L->input;
    int64_t frame_bytes_per_pixel = (type_bits(stored) + 7) / 8; /* bool: a byte */
    LExpr *by_size =
        lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64, lw_i64(L, UDF_PARTITION_BYTES),
                lir_bin(a, OP_MUL, UDF_DTYPE_I64, size, lw_i64(L, frame_bytes_per_pixel)));
    LExpr *by_count = lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64, lir_field(a, LX_NAV_SIZE, 0, NULL),
                              lw_i64(L, UDF_MIN_PARTITIONS));
    LExpr *frames = lir_fn(a, LF_MIN, UDF_DTYPE_I64, by_size, by_count);
    LExpr *sparse =
        lir_bin(a, OP_AND, UDF_DTYPE_BOOL, lir_bin(a, OP_LE, UDF_DTYPE_BOOL, share, size),
                lir_bin(a, OP_GE, UDF_DTYPE_BOOL, frames, lw_i64(L, MIN_MASK_FRAMES)));
    lir_append(fill,
               lir_store(a, LB_BUF, runs->sparse->slot, UDF_DTYPE_BOOL, lw_i64(L, 0), sparse));
}

/* Appends to `fill` the listing of the runs of `cache`'s values; where
 * `sparse`, only where it holds. */
static void list_runs(Lowerer *L, const LetRuns *runs, const Symbol *cache, LExpr *sparse,
                      LBlock *fill)
{
    Arena *a = L->arena;
    LBlock list;
    lir_block_init(&list);
    /* count = 0; first = 0; for p in 1 .. sig_size: if cache[p] != cache[p - 1]
     * or p - first == MAX_RUN: lengths[count++] = p - first, first = p; then,
     * if there are pixels, lengths[count++] = sig_size - first. */
    int count = lw_tmp(L, "runs", UDF_DTYPE_I64), first = lw_tmp(L, "first", UDF_DTYPE_I64);
    int p = lw_tmp(L, "p", UDF_DTYPE_I64);
    LExpr *one = lw_i64(L, 1), *size = lw_sig_size(L);
    lir_append(&list, lir_set(a, count, lw_i64(L, 0)));
    lir_append(&list, lir_set(a, first, lw_i64(L, 0)));
    LExpr *here = lir_load(a, LB_BUF, cache->slot, cache->type, lw_var(L, p));
    LExpr *before = lir_load(a, LB_BUF, cache->slot, cache->type,
                             lir_bin(a, OP_SUB, UDF_DTYPE_I64, lw_var(L, p), one));
    LExpr *length = lir_bin(a, OP_SUB, UDF_DTYPE_I64, lw_var(L, p), lw_var(L, first));
    LExpr *ends_here =
        lir_bin(a, OP_OR, UDF_DTYPE_BOOL, lir_bin(a, OP_NE, UDF_DTYPE_BOOL, here, before),
                lir_bin(a, OP_EQ, UDF_DTYPE_BOOL, length, lw_i64(L, MAX_RUN)));
    LBlock end;
    lir_block_init(&end);
    lir_append(&end, lir_store(a, LB_BUF, runs->lengths->slot, UDF_DTYPE_U8, lw_var(L, count),
                               lir_cast(a, UDF_DTYPE_U8, length)));
    lir_append(&end, lir_set(a, count, lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_var(L, count), one)));
    lir_append(&end, lir_set(a, first, lw_var(L, p)));
    LStmt *scan = lir_for(a, p, one, size, lir_if(a, ends_here, end.head, NULL));
    scan->scalar = 1; /* once per partition */
    lir_append(&list, scan);
    LExpr *rest = lir_bin(a, OP_SUB, UDF_DTYPE_I64, size, lw_var(L, first));
    LStmt *last = lir_store(a, LB_BUF, runs->lengths->slot, UDF_DTYPE_U8, lw_var(L, count),
                            lir_cast(a, UDF_DTYPE_U8, rest));
    last->next = lir_set(a, count, lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_var(L, count), one));
    lir_append(&list, lir_if(a, lir_bin(a, OP_GT, UDF_DTYPE_BOOL, size, lw_i64(L, 0)), last, NULL));
    lir_append(&list, lir_store(a, LB_BUF, runs->count->slot, UDF_DTYPE_I64, lw_i64(L, 0),
                                lw_var(L, count)));
    lir_append(fill, sparse ? lir_if(a, sparse, list.head, NULL) : list.head);
}

/* The sparse flag's load. */
static LExpr *sparse_flag(Lowerer *L, const LetRuns *runs)
{
    return lir_load(L->arena, LB_BUF, runs->sparse->slot, UDF_DTYPE_BOOL, lw_i64(L, 0));
}

void lw_build_runs(Lowerer *L, const Symbol *let, const Symbol *cache, LBlock *fill)
{
    const Stmt *stmts = L->cu->frame->stmts;
    int scatters = serves(L, let, stmts, 0);
    int masks = let->type == UDF_DTYPE_BOOL && serves(L, let, stmts, 1);
    if (!scatters && !masks)
        return;
    Arena *a = L->arena;
    LetRuns *runs = &L->let_runs[let->slot];
    runs->lengths =
        lw_scratch_buffer(L, arena_printf(a, ".runs.%s", let->name), UDF_KIND_SIG, UDF_DTYPE_U8);
    runs->lengths->uninit = 1; /* read only up to the count listed */
    runs->count = lw_scratch_buffer(L, arena_printf(a, ".runs.%s.count", let->name),
                                    UDF_KIND_SINGLE, UDF_DTYPE_I64);
    if (masks)
        runs->sparse = lw_scratch_buffer(L, arena_printf(a, ".runs.%s.sparse", let->name),
                                         UDF_KIND_SINGLE, UDF_DTYPE_BOOL);
    if (!scatters) { /* listed once a pass takes them (lw_list_mask_runs) */
        runs->cache = cache;
        return;
    }
    if (masks)
        tally_sparse(L, runs, cache, fill);
    list_runs(L, runs, cache, NULL, fill);
}

void lw_list_mask_runs(Lowerer *L, LBlock *fill)
{
    for (int slot = 0; slot < L->cu->n_lets; slot++) {
        const LetRuns *runs = &L->let_runs[slot];
        if (runs->cache && runs->taken) {
            tally_sparse(L, runs, runs->cache, fill);
            list_runs(L, runs, runs->cache, sparse_flag(L, runs), fill);
        }
    }
}

/* start = 0; for each listed run: stop = start + its length; `body` where
 * `when` holds (or always, if NULL); start = stop. `body` sees the run as
 * [start, stop) in vars start and stop. */
static LStmt *over_runs(Lowerer *L, const LetRuns *runs, int start, int stop, LExpr *when,
                        LStmt *body)
{
    Arena *a = L->arena;
    int r = lw_tmp(L, "run", UDF_DTYPE_I64);
    LExpr *length = lir_load(a, LB_BUF, runs->lengths->slot, UDF_DTYPE_U8, lw_var(L, r));
    LBlock run;
    lir_block_init(&run);
    lir_append(&run, lir_set(a, stop,
                             lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_var(L, start),
                                     lir_cast(a, UDF_DTYPE_I64, length))));
    lir_append(&run, when ? lir_if(a, when, body, NULL) : body);
    lir_append(&run, lir_set(a, start, lw_var(L, stop)));
    LExpr *count = lir_load(a, LB_BUF, runs->count->slot, UDF_DTYPE_I64, lw_i64(L, 0));
    LStmt *loop = lir_for(a, r, lw_i64(L, 0), count, run.head);
    loop->scalar = 1; /* the loops over each run's pixels are the ones to vectorise */
    LStmt *init = lir_set(a, start, lw_i64(L, 0));
    init->next = loop;
    return init;
}

/* The type a run's values are summed in: for integer values of a known
 * range, an integer type that holds any run's sum (MAX_RUN values), so the
 * sum is exact and converts once; else the update's own type t. */
static udf_dtype run_sum_type(const Expr *value, udf_dtype t)
{
    double lo, hi;
    if (type_is_float(value->type) || !range_integers(value, &lo, &hi))
        return t;
    if (lo >= 0 && hi * MAX_RUN <= 0x1p32 - 1)
        return UDF_DTYPE_U32;
    if (-lo * MAX_RUN <= 0x1p31 && hi * MAX_RUN <= 0x1p31 - 1)
        return UDF_DTYPE_I32;
    if (-lo * MAX_RUN <= 0x1p63 && hi * MAX_RUN < 0x1p63)
        return UDF_DTYPE_I64;
    return t;
}

LStmt *lw_run_update(Lowerer *L, const Stmt *s)
{
    const Symbol *let = run_index(L, s);
    const LetRuns *runs = let ? &L->let_runs[let->slot] : NULL;
    if (!runs || !runs->lengths || L->fjam > 1)
        return NULL;
    Arena *a = L->arena;
    LBlock out;
    lir_block_init(&out);
    const Symbol *b = s->target->sym;
    const Expr *args = s->target->args;
    Expr *value = s->value;
    lw_hoist(L, value, &out); /* its reductions: one value per frame */
    udf_dtype t = type_of_update(OP_ADD, b->type, value);
    int current = L->jam_index, from, to;
    lw_jam_frames(L, &from, &to);
    int n = to - from;
    int start = lw_tmp(L, "start", UDF_DTYPE_I64), stop = lw_tmp(L, "stop", UDF_DTYPE_I64);
    int p = lw_tmp(L, "p", UDF_DTYPE_I64);
    udf_dtype sum_type = run_sum_type(value, t);
    int sums = lw_tmps(L, "runsum", sum_type, n);
    LExpr *saved_pixel = L->pixel;
    /* Per run in the target's range: the sums over its pixels, frame by
     * frame of the group, then each added to the run's bin. */
    LBlock sum;
    lir_block_init(&sum);
    for (int j = from; j < to; j++)
        lir_append(&sum, lir_set(a, sums + j - from, lir_cast(a, sum_type, lw_i64(L, 0))));
    /* A long run in vectors, a short one pixel by pixel: each vector sum
     * ends in a horizontal sum per frame, which a few pixels do not pay. */
    L->pixel = lw_var(L, p);
    LStmt *loops[2];
    for (int k = 0; k < 2; k++) {
        LBlock pixel;
        lir_block_init(&pixel);
        for (int j = from; j < to; j++) {
            lw_jam_select(L, j);
            LetBinding lets = {0};
            lw_bind_lets(L, value, &pixel, &lets);
            LExpr *step = lir_bin(a, OP_ADD, sum_type, lw_var(L, sums + j - from),
                                  lw_expr_as(L, value, sum_type));
            step->reassoc = type_is_float(sum_type);
            lir_append(&pixel, lir_set(a, sums + j - from, step));
            lw_unbind_lets(L, &lets);
        }
        loops[k] = lir_for(a, p, lw_var(L, start), lw_var(L, stop), pixel.head);
    }
    loops[0]->short_trips = 1;
    loops[1]->scalar = 1;
    LExpr *length = lir_bin(a, OP_SUB, UDF_DTYPE_I64, lw_var(L, stop), lw_var(L, start));
    LExpr *long_run = lir_bin(a, OP_GE, UDF_DTYPE_BOOL, length, lw_i64(L, MIN_VECTOR_RUN));
    lir_append(&sum, lir_if(a, long_run, loops[0], loops[1]));
    L->pixel = lw_var(L, start); /* the run's first pixel names its bin */
    LExpr *in_range = NULL;      /* the same for every frame: it tests the bin */
    for (int j = from; j < to; j++) {
        lw_jam_select(L, j);
        LExpr *index = lw_element(L, b, args, &in_range);
        LExpr *old = lir_cast(a, t, lir_load(a, LB_BUF, b->slot, b->type, index));
        LExpr *step = lir_cast(a, t, lw_var(L, sums + j - from));
        if (L->sum_scale) /* a sum once per tile, for all its frames (lower_tile.c) */
            step = lir_bin(a, OP_MUL, t, step, lir_cast(a, t, L->sum_scale));
        LExpr *total = lir_bin(a, OP_ADD, t, old, step);
        LStmt *store = lir_store(a, LB_BUF, b->slot, b->type, index, lir_cast(a, b->type, total));
        if (L->jam > 1)
            store = lir_if(a, L->jam_valid[j], store, NULL);
        lir_append(&sum, store);
    }
    lw_jam_select(L, current);
    L->pixel = saved_pixel;
    lir_append(&out, over_runs(L, runs, start, stop, in_range, sum.head));
    lw_unhoist(value);
    return out.head;
}

const Symbol *lw_pass_mask(const Lowerer *L, Expr *const *reductions, int n)
{
    const Symbol *mask =
        n == 1 && reductions[0]->args->shape == SHAPE_PIXEL ? sum_mask(L, reductions[0]) : NULL;
    return mask && L->let_runs[mask->slot].lengths ? mask : NULL;
}

LStmt *lw_run_pass(Lowerer *L, const Domain *d, const Symbol *mask, LStmt *steps, LStmt *all)
{
    Arena *a = L->arena;
    LetRuns *runs = &L->let_runs[mask->slot];
    runs->taken = 1;
    int start = lw_tmp(L, "start", UDF_DTYPE_I64), stop = lw_tmp(L, "stop", UDF_DTYPE_I64);
    LStmt *pixels = lir_for(a, d->var, lw_var(L, start), lw_var(L, stop), steps);
    pixels->short_trips = 1;
    const Symbol *cache = L->let_scratch[mask->slot];
    LExpr *inside = lir_load(a, LB_BUF, cache->slot, UDF_DTYPE_BOOL, lw_var(L, start));
    return lir_if(a, sparse_flag(L, runs), over_runs(L, runs, start, stop, inside, pixels), all);
}
