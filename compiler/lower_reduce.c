/* lower_reduce.c — reductions (sum, mean, min, max, count over the pixels or
 * scan positions) to loop IR: each becomes a pass of its own, or shares one
 * with the reductions of the same domain that a statement needs, hoisted
 * before the statement that uses them. */
#include <math.h>

#include "builtins.h"
#include "lower_internal.h"
#include "range.h"

static LExpr *extreme(Lowerer *L, LType t, int largest)
{
    if (type_is_float((udf_dtype)t))
        return lir_const_float(L->arena, t, largest ? INFINITY : -INFINITY);
    if (t == UDF_DTYPE_BOOL)
        return lir_const_int(L->arena, t, largest);
    int bits = type_bits((udf_dtype)t);
    int is_signed = type_is_signed((udf_dtype)t);
    int64_t hi = bits == 64
                     ? (is_signed ? INT64_MAX : -1)
                     : (is_signed ? ((int64_t)1 << (bits - 1)) - 1 : ((int64_t)1 << bits) - 1);
    int64_t lo = !is_signed ? 0 : bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
    return lir_const_int(L->arena, t, largest ? hi : lo);
}

/* The vars and statements of one reduction, being built. */
typedef struct Reduction {
    Expr *e;
    int summing, blocked;
    LType acc_type;
    int acc, block, comp; /* consecutive per frame: acc + j is frame j's */
    int kahan;            /* per frame, 3 consecutive: y, s, c of the update */
    /* Blocked sums over rows of frame[y, x]: what each pixel adds to the
     * block (e's argument, or the part of it left by a row factor), the
     * factor the row's block sum is multiplied by (or NULL), and whether the
     * block vars are those of an earlier reduction adding the same. */
    const Expr *summand, *row_factor;
    LType summand_type; /* the type the summand is computed in */
    int shares_block;
} Reduction;

/* Whether e has one value along a row of frame[y, x] (of `n_coords`
 * coordinates), and that value is a finite number: integer +, - and * of
 * integer literals and the coordinates before the last, converted. */
static int row_constant(const Expr *e, int n_coords)
{
    switch (e->kind) {
    case E_INT: return 1;
    case E_NAME: return e->sym && e->sym->kind == SYM_COORD && e->sym->slot < n_coords - 1;
    case E_CAST: return !type_is_float(e->args->type) && row_constant(e->args, n_coords);
    case E_BINARY:
        return (e->op == OP_ADD || e->op == OP_SUB || e->op == OP_MUL) &&
               !type_is_float(e->optype) && row_constant(e->lhs, n_coords) &&
               row_constant(e->rhs, n_coords);
    default: return 0;
    }
}

/* Plans how r adds up over rows of `n_coords` coordinates (0: blocks of
 * pixels), after the n_earlier reductions `earlier` of its pass. A product of
 * a bounded integer value and a row constant, `sum(f * float(y))`, adds the
 * value alone along the row and multiplies the row's sum by the constant
 * (the sum of the row's products, rounded at most once per row instead of
 * per pixel; the value's bound keeps the row sum finite, so NaN and infinity
 * come out as they would). A summand that an earlier blocked reduction of the
 * pass adds too (`sum(f)` beside it) reuses that one's block vars: com's
 * Σf·y then costs no work per pixel. */
static void reduction_plan(Lowerer *L, Reduction *r, const Reduction *earlier, int n_earlier,
                           int n_coords)
{
    const Expr *x = r->e->args;
    r->summand = x;
    r->summand_type = x->type;
    r->row_factor = NULL;
    r->shares_block = 0;
    if (!r->blocked)
        return;
    if (n_coords >= 2 && x->kind == E_BINARY && x->op == OP_MUL && type_is_float(x->optype)) {
        for (int side = 0; side < 2 && !r->row_factor; side++) {
            const Expr *factor = side ? x->lhs : x->rhs, *part = side ? x->rhs : x->lhs;
            if (row_constant(factor, n_coords) && range_bounded(part)) {
                r->row_factor = factor;
                r->summand = part;
                r->summand_type = x->optype;
            }
        }
    }
    for (int i = 0; i < n_earlier; i++) {
        const Reduction *o = &earlier[i];
        if (o->blocked && !o->shares_block && o->e->optype == r->e->optype &&
            o->summand_type == r->summand_type && expr_same(o->summand, r->summand)) {
            r->block = o->block;
            r->shares_block = 1;
            return;
        }
    }
    r->block = lw_tmps(L, "block", r->e->optype, lw_copies(L));
}

/* Declares and starts the accumulators of r->e for every frame of the
 * (jammed) group; float sums also get block vars (reduction_plan) and
 * compensation vars. */
static void reduction_begin(Lowerer *L, Reduction *r, const Reduction *earlier, int n_earlier,
                            int n_coords, LBlock *out)
{
    Arena *a = L->arena;
    BuiltinId id = r->e->builtin->id;
    LType t = r->e->optype;
    r->summing = id == BI_SUM || id == BI_MEAN || id == BI_COUNT;
    /* Float sums: the element type within a block (vector lanes), block sums
     * added in f64 with Kahan compensation. */
    r->blocked = r->summing && id != BI_COUNT && type_is_float((udf_dtype)t);
    r->acc_type =
        id == BI_COUNT ? UDF_DTYPE_I64
        : r->blocked   ? UDF_DTYPE_F64
        : r->summing
            ? (type_is_signed((udf_dtype)t) || t == UDF_DTYPE_BOOL ? UDF_DTYPE_I64 : UDF_DTYPE_U64)
            : t;
    int frames = lw_copies(L);
    r->block = r->comp = -1;
    r->acc = lw_tmps(L, id == BI_RMIN ? "min" : id == BI_RMAX ? "max" : "sum", r->acc_type, frames);
    for (int j = 0; j < frames; j++) {
        LExpr *start = r->summing ? lir_const_int(a, r->acc_type, 0) : extreme(L, t, id == BI_RMIN);
        lir_append(out, lir_set(a, r->acc + j, start));
    }
    reduction_plan(L, r, earlier, n_earlier, n_coords);
    if (!r->blocked)
        return;
    r->comp = lw_tmps(L, "comp", UDF_DTYPE_F64, frames);
    for (int j = 0; j < frames; j++)
        lir_append(out, lir_set(a, r->comp + j, lir_const_float(a, UDF_DTYPE_F64, 0)));
    for (int j = 0; j < frames; j++) {
        int y = lw_tmp(L, "y", UDF_DTYPE_F64);
        lw_tmp(L, "s", UDF_DTYPE_F64);
        lw_tmp(L, "c", UDF_DTYPE_F64);
        r->kahan = j == 0 ? y : r->kahan;
    }
}

/* The accumulation steps of r->e at the current pixel, for every frame and
 * free index value. */
static void reduction_steps(Lowerer *L, const Reduction *r, LBlock *steps)
{
    Arena *a = L->arena;
    BuiltinId id = r->e->builtin->id;
    LType t = r->e->optype;
    int current = L->jam_index, current_k = L->fjam_index;
    for (int c = 0; c < lw_copies(L) && !r->shares_block; c++) {
        lw_jam_select(L, c / L->fjam);
        lw_fjam_select(L, c % L->fjam);
        LetBinding lets = {0};
        lw_bind_lets(L, r->summand, steps, &lets);
        LExpr *value = lw_expr_as(L, r->summand, r->summand_type);
        lw_unbind_lets(L, &lets);
        int target = r->blocked ? r->block + c : r->acc + c;
        LType step_type = r->blocked ? t : r->acc_type;
        LExpr *step;
        if (!r->summing) {
            step = lir_fn(a, id == BI_RMIN ? LF_MIN : LF_MAX, t, lw_var(L, target),
                          lir_cast(a, t, value));
        } else {
            if (id == BI_COUNT)
                value = lw_truth(L, value);
            step = lir_bin(a, OP_ADD, step_type, lw_var(L, target), lir_cast(a, step_type, value));
            step->reassoc = type_is_float((udf_dtype)step_type);
        }
        lir_append(steps, lir_set(a, target, step));
    }
    lw_jam_select(L, current);
    lw_fjam_select(L, current_k);
}

/* A blocked sum's block vars start at 0 before each block (unless another
 * reduction's are shared) and are added, times the row factor, into the
 * f64 sum after it. */
static void reduction_flush(Lowerer *L, const Reduction *r, LBlock *before, LBlock *after)
{
    Arena *a = L->arena;
    LType t = r->e->optype;
    LExpr *factor = NULL;
    if (r->row_factor)
        factor = lir_cast(a, UDF_DTYPE_F64, lw_expr_as(L, r->row_factor, r->summand_type));
    for (int j = 0; j < lw_copies(L); j++) {
        if (!r->shares_block)
            lir_append(before, lir_set(a, r->block + j, lir_const_float(a, t, 0)));
        /* Kahan: y = block - comp; s = acc + y; comp = (s - acc) - y; acc = s.
         * An infinite block makes (s - acc) - y NaN, which would turn every
         * later sum NaN where numpy's stays infinite: comp is then 0. */
        int y = r->kahan + 3 * j, sum = y + 1, c = y + 2;
        LExpr *b64 = lir_cast(a, UDF_DTYPE_F64, lw_var(L, r->block + j));
        if (factor)
            b64 = lir_bin(a, OP_MUL, UDF_DTYPE_F64, b64, factor);
        lir_append(after,
                   lir_set(a, y, lir_bin(a, OP_SUB, UDF_DTYPE_F64, b64, lw_var(L, r->comp + j))));
        lir_append(after,
                   lir_set(a, sum,
                           lir_bin(a, OP_ADD, UDF_DTYPE_F64, lw_var(L, r->acc + j), lw_var(L, y))));
        lir_append(after, lir_set(a, c,
                                  lir_bin(a, OP_SUB, UDF_DTYPE_F64,
                                          lir_bin(a, OP_SUB, UDF_DTYPE_F64, lw_var(L, sum),
                                                  lw_var(L, r->acc + j)),
                                          lw_var(L, y))));
        LExpr *is_number = lir_bin(a, OP_EQ, UDF_DTYPE_BOOL, lw_var(L, c), lw_var(L, c));
        lir_append(after, lir_set(a, r->comp + j,
                                  lir_select(a, is_number, lw_var(L, c),
                                             lir_const_float(a, UDF_DTYPE_F64, 0))));
        lir_append(after, lir_set(a, r->acc + j, lw_var(L, sum)));
    }
}

/* The value per frame (and free index value), in consecutive vars; marks
 * r->e hoisted. */
static void reduction_end(Lowerer *L, Reduction *r, LBlock *out)
{
    Arena *a = L->arena;
    Expr *e = r->e;
    int result = lw_tmps(L, "r", e->type, lw_copies(L));
    for (int j = 0; j < lw_copies(L); j++) {
        LExpr *value = lw_var(L, r->acc + j);
        if (e->builtin->id == BI_MEAN) {
            LExpr *n =
                e->args->shape == SHAPE_NAV ? lir_field(a, LX_NAV_SIZE, 0, NULL) : lw_sig_size(L);
            value =
                lir_bin(a, OP_DIV, e->type, lir_cast(a, e->type, value), lir_cast(a, e->type, n));
        }
        lir_append(out, lir_set(a, result + j, lir_cast(a, e->type, value)));
    }
    e->hoisted = result + 1;
    e->hoisted_k = L->fjam;
}

void lw_reduce(Lowerer *L, Expr **reductions, int n, LBlock *out)
{
    Reduction r[n + 1];
    LBlock before, after, steps;
    lir_block_init(&before);
    lir_block_init(&after);
    lir_block_init(&steps);
    Shape shape = reductions[0]->args->shape;
    int n_coords = lw_domain_coords(L, shape);
    for (int i = 0; i < n; i++) {
        r[i].e = reductions[i];
        reduction_begin(L, &r[i], r, i, n_coords, out);
    }
    Domain d;
    lw_domain_begin(L, shape, &d);
    for (int i = 0; i < n; i++)
        reduction_steps(L, &r[i], &steps);
    /* With a mask whose runs serve the pass: also over its runs of true. */
    const Symbol *mask = lw_pass_mask(L, reductions, n);
    LBlock run_steps;
    lir_block_init(&run_steps);
    L->mask_true = mask;
    for (int i = 0; i < n && mask; i++)
        reduction_steps(L, &r[i], &run_steps);
    L->mask_true = NULL;
    for (int i = 0; i < n; i++)
        if (r[i].blocked)
            reduction_flush(L, &r[i], &before, &after);
    LStmt *all = lw_domain_end_blocked(L, &d, steps.head, before.head, after.head);
    lir_append(out, mask ? lw_run_pass(L, &d, mask, run_steps.head, all) : all);
    for (int i = 0; i < n; i++)
        reduction_end(L, &r[i], out);
}

/* Which reductions a hoist computes: all, or (invariant) those that read
 * none of `frees` and not buffer `written`. */
typedef struct HoistFilter {
    int invariant;
    const Symbol *const *frees;
    int n_free;
    const Symbol *written;
} HoistFilter;

static int passes(const Expr *e, const HoistFilter *f)
{
    if (!f->invariant)
        return 1;
    if (expr_reads(e, f->written))
        return 0;
    for (int i = 0; i < f->n_free; i++)
        if (expr_reads(e, f->frees[i]))
            return 0;
    return 1;
}

static void hoist(Lowerer *L, Expr *e, const HoistFilter *f, LBlock *out, unsigned long long walk)
{
    for (; e; e = e->next) {
        Symbol *let = e->sym && e->sym->shape != SHAPE_SCALAR ? expr_walk_enters(e, walk) : NULL;
        if (let)
            hoist(L, let->value, f, out, walk);
        hoist(L, e->lhs, f, out, walk);
        hoist(L, e->rhs, f, out, walk);
        hoist(L, e->args, f, out, walk);
        hoist(L, e->base, f, out, walk);
        if (e->kind == E_CALL && e->builtin->cls == BC_REDUCE && !e->hoisted && passes(e, f))
            lw_reduce(L, &e, 1, out);
    }
}

void lw_hoist(Lowerer *L, Expr *e, LBlock *out)
{
    HoistFilter all = {0};
    hoist(L, e, &all, out, expr_walk_begin());
}

void lw_hoist_invariant(Lowerer *L, Expr *e, const Symbol *const *frees, int n_free,
                        const Symbol *written, LBlock *out)
{
    HoistFilter invariant = {1, frees, n_free, written};
    hoist(L, e, &invariant, out, expr_walk_begin());
}

/* Forgets the hoisted values in e that are not pinned — all, or only those
 * with a var per free-index value. */
static void unhoist(Expr *e, int only_free_jammed, unsigned long long walk)
{
    for (; e; e = e->next) {
        if (!e->pinned && (!only_free_jammed || e->hoisted_k > 1))
            e->hoisted = 0;
        Symbol *let = e->sym && e->sym->shape != SHAPE_SCALAR ? expr_walk_enters(e, walk) : NULL;
        if (let)
            unhoist(let->value, only_free_jammed, walk);
        unhoist(e->lhs, only_free_jammed, walk);
        unhoist(e->rhs, only_free_jammed, walk);
        unhoist(e->args, only_free_jammed, walk);
        unhoist(e->base, only_free_jammed, walk);
    }
}

void lw_unhoist(Expr *e) { unhoist(e, 0, expr_walk_begin()); }

void lw_unhoist_free_jammed(Expr *e) { unhoist(e, 1, expr_walk_begin()); }
