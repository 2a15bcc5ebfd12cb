/* lower_expr.c — expressions to loop IR: names and indexing resolve to loads
 * at the current frame, pixel or scan position (reductions: lower_reduce.c);
 * gradients read the neighbouring positions; the loops over pixels and
 * positions are built here. */
#include <string.h>

#include "builtins.h"
#include "lower_internal.h"
#include "range.h"
#include "udfrt/config.h"

int lw_tmp(Lowerer *L, const char *what, LType type)
{
    return lir_var(L->arena, L->fn, arena_printf(L->arena, "%s%d", what, L->n_tmp++), type);
}

int lw_tmps(Lowerer *L, const char *what, LType type, int n)
{
    int first = lw_tmp(L, what, type);
    for (int j = 1; j < n; j++)
        lw_tmp(L, what, type);
    return first;
}

LExpr *lw_i64(Lowerer *L, int64_t v) { return lir_const_int(L->arena, UDF_DTYPE_I64, v); }
LExpr *lw_var(Lowerer *L, int var) { return lir_varref(L->arena, L->fn, var); }
LExpr *lw_sig_size(Lowerer *L) { return lir_field(L->arena, LX_SIG_SIZE, 0, NULL); }

LExpr *lw_dim(Lowerer *L, const Dim *d)
{
    switch (d->kind) {
    case DIM_VAR: return lir_field(L->arena, LX_DIM, d->var->slot, NULL);
    case DIM_NAV_SHAPE: return lir_field(L->arena, LX_NAV_SHAPE, d->value, NULL);
    case DIM_SIG_SHAPE: return lir_field(L->arena, LX_SIG_SHAPE, d->value, NULL);
    case DIM_LITERAL: break;
    }
    return lw_i64(L, d->value);
}

static LExpr *mul(Lowerer *L, LExpr *a, LExpr *b)
{
    return lir_bin(L->arena, OP_MUL, UDF_DTYPE_I64, a, b);
}
static LExpr *add(Lowerer *L, LExpr *a, LExpr *b)
{
    return lir_bin(L->arena, OP_ADD, UDF_DTYPE_I64, a, b);
}

static LExpr *and_also(Lowerer *L, LExpr *a, LExpr *b)
{
    return a ? lir_bin(L->arena, OP_AND, UDF_DTYPE_BOOL, a, b) : b;
}

LExpr *lw_truth(Lowerer *L, LExpr *x)
{
    if (x->type == UDF_DTYPE_BOOL)
        return x;
    return lir_bin(L->arena, OP_NE, UDF_DTYPE_BOOL, x, lir_cast(L->arena, x->type, lw_i64(L, 0)));
}

static LExpr *block_size(Lowerer *L, const Symbol *s)
{
    LExpr *n = NULL;
    for (int i = 0; i < s->rank; i++)
        n = n ? mul(L, n, lw_dim(L, &s->dims[i])) : lw_dim(L, &s->dims[i]);
    return n ? n : lw_i64(L, 1);
}

/* Row-major offset of the extra indices; bounds checks for indices that
 * are neither free (in range by construction) nor checked literals. */
static LExpr *extra_offset(Lowerer *L, const Symbol *s, const Expr *args, LExpr **in_range)
{
    LExpr *offset = NULL;
    int axis = 0;
    for (const Expr *a = args; a; a = a->next, axis++) {
        LExpr *dim = lw_dim(L, &s->dims[axis]);
        LExpr *i = lw_expr_as(L, a, UDF_DTYPE_I64);
        const Dim *dim_d = &s->dims[axis];
        int known = (a->sym && a->sym->kind == SYM_FREE) ||
                    (a->kind == E_INT && dim_d->kind == DIM_LITERAL) ||
                    (a->kind == E_NAME && a->sym && a->sym->kind == SYM_COORD &&
                     dim_d->kind == DIM_SIG_SHAPE && dim_d->value == a->sym->slot);
        if (!known) {
            LExpr *ok = lir_bin(L->arena, OP_AND, UDF_DTYPE_BOOL,
                                lir_bin(L->arena, OP_GE, UDF_DTYPE_BOOL, i, lw_i64(L, 0)),
                                lir_bin(L->arena, OP_LT, UDF_DTYPE_BOOL, i, dim));
            *in_range = and_also(L, *in_range, ok);
        }
        offset = offset ? add(L, mul(L, offset, dim), i) : i;
    }
    return offset ? offset : lw_i64(L, 0);
}

LExpr *lw_element(Lowerer *L, const Symbol *b, const Expr *args, LExpr **in_range)
{
    *in_range = NULL;
    LExpr *e = b->per_jam ? lw_i64(L, L->jam_index) : extra_offset(L, b, args, in_range);
    LExpr *where;
    if (b->kind == SYM_PARAM) {
        switch (b->param_kind) {
        case UDF_PARAM_SIG: /* a stack: dims + sig */
            return add(L, mul(L, e, lw_sig_size(L)), L->pixel);
        case UDF_PARAM_NAV: where = L->pos; break;
        default: return e;
        }
    } else {
        where = b->buf_kind == UDF_KIND_NAV   ? L->pos
                : b->buf_kind == UDF_KIND_SIG ? L->pixel
                                              : NULL;
    }
    return where ? add(L, mul(L, where, block_size(L, b)), e) : e;
}

/* A load that yields 0 instead of reading outside the array. */
static LExpr *guarded_load(Lowerer *L, LBaseKind base, const Symbol *s, LExpr *index,
                           LExpr *in_range)
{
    Arena *a = L->arena;
    if (!in_range)
        return lir_load(a, base, s->slot, s->type, index);
    LExpr *safe = lir_select(a, in_range, index, lw_i64(L, 0));
    return lir_select(a, in_range, lir_load(a, base, s->slot, s->type, safe),
                      lir_cast(a, s->type, lw_i64(L, 0)));
}

static LExpr *lower_ref(Lowerer *L, const Symbol *s, const Expr *args, LBaseKind base)
{
    LExpr *in_range;
    LExpr *index = lw_element(L, s, args, &in_range);
    if (s->kind == SYM_PARAM)
        base = LB_PARAM;
    return guarded_load(L, base, s, index, in_range);
}

/* Whether let s would be computed where it is used (it has no var in this
 * loop and no kept values), and this is a loop over its domain. */
static int bindable(const Lowerer *L, const Symbol *s)
{
    if (s->kind != SYM_LET || L->let_in_loop[s->slot] || L->let_scratch[s->slot])
        return 0;
    return (s->shape == SHAPE_PIXEL && L->pixel) ||
           (s->shape == SHAPE_NAV && L->place == IN_RESULT && L->pos);
}

static void bind_in(Lowerer *L, const Expr *e, LBlock *out, LetBinding *b, unsigned long long walk)
{
    for (; e; e = e->next) {
        /* Reductions and gradients evaluate their arguments elsewhere. */
        if (e->kind == E_CALL &&
            (e->hoisted || e->builtin->cls == BC_REDUCE || e->builtin->cls == BC_RESULT_ONLY))
            continue;
        const Symbol *s = e->sym && bindable(L, e->sym) ? expr_walk_enters(e, walk) : NULL;
        if (s) {
            if (!b->slots)
                b->slots = ARENA_ARRAY(L->arena, int, L->cu->n_lets + 1);
            bind_in(L, s->value, out, b, walk);
            int var = lir_var(L->arena, L->fn, s->name, s->type);
            lir_append(out, lir_set(L->arena, var, lw_expr(L, s->value)));
            L->let_vars[s->slot] = var;
            L->let_in_loop[s->slot] = 1;
            b->slots[b->n++] = s->slot;
        }
        bind_in(L, e->lhs, out, b, walk);
        bind_in(L, e->rhs, out, b, walk);
        bind_in(L, e->args, out, b, walk);
        bind_in(L, e->base, out, b, walk);
    }
}

void lw_bind_lets(Lowerer *L, const Expr *e, LBlock *out, LetBinding *b)
{
    bind_in(L, e, out, b, expr_walk_begin());
}

void lw_unbind_lets(Lowerer *L, LetBinding *b)
{
    for (int i = 0; i < b->n; i++)
        L->let_in_loop[b->slots[i]] = 0;
    b->n = 0;
}

/* One step of a correction, rounded to t on its own as the runtime's
 * corrections round: without `contract`, so not fused into an FMA with what
 * the kernel does next (but LLVM may rebuild a negated product with the
 * negation's flags; docs/decisions.md). */
static LExpr *correction_step(Lowerer *L, Op op, LType t, LExpr *value, int plane)
{
    LExpr *e = lir_bin(L->arena, op, t, value,
                       lir_load(L->arena, LB_PARAM, L->cu->n_params + plane, t, L->pixel));
    e->exact = 1;
    return e;
}

/* The current frame's value at the current pixel, of type t; with
 * corrections fused (kernel_abi.h UDF_FUSED), the stored element corrected:
 * (t(raw) - dark) * gain, the planes after the udf's params. */
static LExpr *frame_value(Lowerer *L, LType t)
{
    if (!L->fused)
        return lir_load(L->arena, LB_VAR, L->frame_var, t, L->pixel);
    LType stored = (LType)UDF_FUSED_STORED(L->fused);
    LExpr *v = lir_cast(L->arena, t, lir_load(L->arena, LB_VAR, L->frame_var, stored, L->pixel));
    if (L->fused & UDF_FUSED_DARK)
        v = correction_step(L, OP_SUB, t, v, 0);
    if (L->fused & UDF_FUSED_GAIN)
        v = correction_step(L, OP_MUL, t, v, 1);
    return v;
}

static LExpr *lower_name(Lowerer *L, const Expr *e)
{
    Arena *a = L->arena;
    const Symbol *s = e->sym;
    switch (s->kind) {
    case SYM_FRAME: return frame_value(L, e->type);
    case SYM_INDEX: return L->pos;
    case SYM_COORD: return lw_var(L, L->coord_vars[s->slot]);
    case SYM_FREE: return lw_var(L, s->slot);
    case SYM_DIMVAR: return lir_field(a, LX_DIM, s->slot, NULL);
    case SYM_SIZE: return lir_field(a, s->name[0] == 'n' ? LX_NAV_SIZE : LX_SIG_SIZE, 0, NULL);
    case SYM_LET:
        if (s == L->mask_true) /* inside one of its runs of true */
            return lir_const_int(L->arena, UDF_DTYPE_BOOL, 1);
        if (s->shape == SHAPE_SCALAR && L->inline_scalar_lets)
            return lw_expr(L, s->value);
        if (s->shape == SHAPE_SCALAR)
            return lw_var(L, L->let_vars[s->slot] + L->jam_index);
        if (L->let_in_loop[s->slot] && !L->moved)
            return lw_var(L, L->let_vars[s->slot]);
        if (L->let_scratch[s->slot])
            return lower_ref(L, L->let_scratch[s->slot], NULL, LB_BUF);
        return lw_expr(L, s->value);
    case SYM_BUFFER:
    case SYM_PARAM: return lower_ref(L, s, NULL, LB_BUF);
    default: break;
    }
    return lw_i64(L, 0);
}

static LFn builtin_fn(BuiltinId id)
{
    switch (id) {
    case BI_ABS: return LF_ABS;
    case BI_MIN: return LF_MIN;
    case BI_MAX: return LF_MAX;
    case BI_SQRT: return LF_SQRT;
    case BI_EXP: return LF_EXP;
    case BI_LOG: return LF_LOG;
    case BI_LOG1P: return LF_LOG1P;
    case BI_SIN: return LF_SIN;
    case BI_COS: return LF_COS;
    case BI_TAN: return LF_TAN;
    case BI_ATAN2: return LF_ATAN2;
    case BI_FLOOR: return LF_FLOOR;
    case BI_CEIL: return LF_CEIL;
    case BI_ROUND: return LF_ROUND;
    default: return LF_NONE;
    }
}

/* An index expression as u64: positions and shapes are never negative, so
 * their quotients need no Python sign fix-ups (unsigned division is a
 * fraction of the code of floor division). */
static LExpr *index_u64(Lowerer *L, LExpr *x) { return lir_cast(L->arena, UDF_DTYPE_U64, x); }

/* numpy.gradient along dim d (unit spacing, first order at the edges; 0 for
 * a dim of size 1), at the current position or pixel. */
static LExpr *lower_gradient(Lowerer *L, const Expr *e)
{
    Arena *a = L->arena;
    const Expr *arg = e->args;
    int64_t d = arg->next->ival;
    int nav = arg->shape == SHAPE_NAV;
    LField shape_field = nav ? LX_NAV_SHAPE : LX_SIG_SHAPE;
    LExpr **where = nav ? &L->pos : &L->pixel;
    LExpr *here = *where;
    LExpr *size = lir_field(a, nav ? LX_NAV_SIZE : LX_SIG_SIZE, 0, NULL);
    LExpr *leading = NULL;
    for (int64_t i = 0; i <= d; i++) {
        LExpr *n = lir_field(a, shape_field, i, NULL);
        leading = leading ? mul(L, leading, n) : n;
    }
    LExpr *stride_u =
        lir_bin(a, OP_FLOORDIV, UDF_DTYPE_U64, index_u64(L, size), index_u64(L, leading));
    LExpr *stride = lir_cast(a, UDF_DTYPE_I64, stride_u);
    LExpr *n = index_u64(L, lir_field(a, shape_field, d, NULL));
    LExpr *c = lir_bin(a, OP_MOD, UDF_DTYPE_U64,
                       lir_bin(a, OP_FLOORDIV, UDF_DTYPE_U64, index_u64(L, here), stride_u), n);
    LExpr *has_lo = lir_bin(a, OP_GT, UDF_DTYPE_BOOL, c, lir_const_int(a, UDF_DTYPE_U64, 0));
    LExpr *has_hi =
        lir_bin(a, OP_LT, UDF_DTYPE_BOOL, c,
                lir_bin(a, OP_SUB, UDF_DTYPE_U64, n, lir_const_int(a, UDF_DTYPE_U64, 1)));
    LType t = e->type;
    int moved = L->moved;
    L->moved = 1; /* lets set at `here` do not hold there */
    *where = lir_select(a, has_hi, add(L, here, stride), here);
    LExpr *hi = lw_expr_as(L, arg, t);
    *where = lir_select(a, has_lo, lir_bin(a, OP_SUB, UDF_DTYPE_I64, here, stride), here);
    LExpr *lo = lw_expr_as(L, arg, t);
    *where = here;
    L->moved = moved;
    LExpr *two_sided = lir_bin(a, OP_AND, UDF_DTYPE_BOOL, has_lo, has_hi);
    LExpr *span = lir_select(a, two_sided, lir_const_float(a, t, 2), lir_const_float(a, t, 1));
    LExpr *slope = lir_bin(a, OP_DIV, t, lir_bin(a, OP_SUB, t, hi, lo), span);
    /* No neighbour: exactly 0, also where the value is NaN or infinite. */
    LExpr *one_sided = lir_bin(a, OP_OR, UDF_DTYPE_BOOL, has_lo, has_hi);
    return lir_select(a, one_sided, slope, lir_const_float(a, t, 0));
}

static LExpr *lower_call(Lowerer *L, const Expr *e)
{
    Arena *a = L->arena;
    if (e->hoisted)
        return lw_var(L, e->hoisted - 1 + L->jam_index * e->hoisted_k +
                             (e->hoisted_k > 1 ? L->fjam_index : 0));
    const Expr *x = e->args, *y = x ? x->next : NULL, *z = y ? y->next : NULL;
    LType t = e->optype;
    switch (e->builtin->id) {
    case BI_CLAMP:
        return lir_fn(a, LF_MIN, t, lir_fn(a, LF_MAX, t, lw_expr_as(L, x, t), lw_expr_as(L, y, t)),
                      lw_expr_as(L, z, t));
    case BI_SELECT:
        return lir_select(a, lw_truth(L, lw_expr(L, x)), lw_expr_as(L, y, t), lw_expr_as(L, z, t));
    case BI_ISNAN: return lir_fn(a, LF_ISNAN, UDF_DTYPE_BOOL, lw_expr_as(L, x, t), NULL);
    case BI_GRADIENT: return lower_gradient(L, e);
    default: break;
    }
    LFn fn = builtin_fn(e->builtin->id);
    if (fn == LF_LOG && range_positive_normal(x, (udf_dtype)t))
        fn = LF_LOG_POS;
    return lir_fn(a, fn, e->type, lw_expr_as(L, x, t), y ? lw_expr_as(L, y, t) : NULL);
}

/* The terms of `terms` with `shape` and sign `negative`, added in order;
 * NULL if there are none. */
static LExpr *sum_of(Lowerer *L, const RangeTerm *terms, int n, int scalar, int negative, LType t)
{
    LExpr *sum = NULL;
    for (int i = 0; i < n; i++)
        if ((terms[i].e->shape == SHAPE_SCALAR) == scalar && terms[i].negative == negative) {
            LExpr *x = lw_expr_as(L, terms[i].e, t);
            sum = sum ? lir_bin(L->arena, OP_ADD, t, sum, x) : x;
        }
    return sum;
}

/* pos - neg, either of which may be missing (not both); *negative: the
 * result is -neg, returned as neg. */
static LExpr *difference(Lowerer *L, LExpr *pos, LExpr *neg, LType t, int *negative)
{
    *negative = !pos;
    return pos && neg ? lir_bin(L->arena, OP_SUB, t, pos, neg) : pos ? pos : neg;
}

/* A float binary operation. A sum of pixel values and several per-frame
 * values that is exact however it is grouped (range.h) adds the per-frame
 * values first, so that the code generator computes them once per frame, not
 * per pixel: `float(frame) - m + 1` becomes `float(frame) + (1 - m)`. The
 * value is the same, zeros' signs included. */
static LExpr *per_frame_terms_first(Lowerer *L, const Expr *e)
{
    Arena *a = L->arena;
    LType t = e->optype;
    RangeTerm terms[16];
    int n = type_is_float((udf_dtype)t) ? range_sum_terms(e, terms, 16) : 0, n_scalar = 0;
    for (int i = 0; i < n; i++)
        n_scalar += terms[i].e->shape == SHAPE_SCALAR;
    if (n_scalar < 2 || n_scalar == n)
        return lir_bin(a, e->op, e->type, lw_expr_as(L, e->lhs, t), lw_expr_as(L, e->rhs, t));
    int pixel_negative, scalar_negative;
    LExpr *pixel = difference(L, sum_of(L, terms, n, 0, 0, t), sum_of(L, terms, n, 0, 1, t), t,
                              &pixel_negative);
    LExpr *scalar = difference(L, sum_of(L, terms, n, 1, 0, t), sum_of(L, terms, n, 1, 1, t), t,
                               &scalar_negative);
    if (pixel_negative) /* the first term is added, so not both are negative */
        return lir_bin(a, OP_SUB, t, scalar, pixel);
    return lir_bin(a, scalar_negative ? OP_SUB : OP_ADD, t, pixel, scalar);
}

LExpr *lw_expr(Lowerer *L, const Expr *e)
{
    Arena *a = L->arena;
    switch (e->kind) {
    case E_INT: return lir_const_int(a, e->type, e->ival);
    case E_BOOL:
    case E_TYPE_QUERY: return lir_const_int(a, e->type, e->ival);
    case E_FLOAT: return lir_const_float(a, e->type, e->fval);
    case E_NAME: return lower_name(L, e);
    case E_UNARY:
        if (e->op == OP_NOT)
            return lir_un(a, OP_NOT, lw_truth(L, lw_expr(L, e->lhs)));
        return lir_un(a, OP_NEG, lw_expr_as(L, e->lhs, e->type));
    case E_BINARY:
        if (e->op == OP_AND || e->op == OP_OR)
            return lir_bin(a, e->op, UDF_DTYPE_BOOL, lw_truth(L, lw_expr(L, e->lhs)),
                           lw_truth(L, lw_expr(L, e->rhs)));
        return per_frame_terms_first(L, e);
    case E_CALL: return lower_call(L, e);
    case E_CAST: return lw_expr_as(L, e->args, e->type);
    case E_INDEX:
        if (e->sym->kind == SYM_SHAPE)
            return lir_field(a, e->base->name[0] == 'n' ? LX_NAV_SHAPE : LX_SIG_SHAPE,
                             e->args->ival, NULL);
        return lower_ref(L, e->sym, e->args,
                         e->base->kind == E_FIELD && e->base->ival ? LB_SRC : LB_BUF);
    case E_FIELD: return lower_ref(L, e->sym, NULL, e->ival ? LB_SRC : LB_BUF);
    }
    return lw_i64(L, 0);
}

/* A frame coordinate converted to float goes through i32 (kernel_abi.h
 * UDF_MAX_SIG_DIM), which vectorises as an i32 induction and one conversion
 * per 16 lanes instead of i64 ones per 8 (com 1.05× on one thread). */
LExpr *lw_expr_as(Lowerer *L, const Expr *e, LType type)
{
    LExpr *x = lw_expr(L, e);
    if (type_is_float(type) && e->kind == E_NAME && e->sym && e->sym->kind == SYM_COORD)
        x = lir_cast(L->arena, UDF_DTYPE_I32, x);
    return lir_cast(L->arena, type, x);
}

/* ---- loops over pixels and positions ---- */

int lw_domain_coords(const Lowerer *L, Shape shape)
{
    return shape == SHAPE_PIXEL && L->place == IN_FRAME ? L->cu->n_coords : 0;
}

void lw_domain_begin(Lowerer *L, Shape shape, Domain *d)
{
    memset(d, 0, sizeof *d);
    d->shape = shape;
    d->saved_pos = L->pos;
    d->saved_pixel = L->pixel;
    if (lw_domain_coords(L, shape) > 0) {
        /* frame[y, x]: one loop per coordinate; the flat pixel is computed. */
        d->n_coords = L->cu->n_coords;
        for (int i = 0; i < d->n_coords; i++) {
            d->coords[i] = lw_tmp(L, L->cu->coords[i]->name, UDF_DTYPE_I64);
            L->coord_vars[i] = d->coords[i];
        }
        d->var = lw_tmp(L, "p", UDF_DTYPE_I64);
        L->pixel = lw_var(L, d->var);
        return;
    }
    d->var = lw_tmp(L, shape == SHAPE_PIXEL ? "p" : "pos", UDF_DTYPE_I64);
    if (shape == SHAPE_PIXEL)
        L->pixel = lw_var(L, d->var);
    else
        L->pos = lw_var(L, d->var);
}

LStmt *lw_domain_end(Lowerer *L, Domain *d, LStmt *body)
{
    return lw_domain_end_blocked(L, d, body, NULL, NULL);
}

LStmt *lw_scalar_loops(LStmt *loops)
{
    for (LStmt *loop = loops; loop && loop->kind == LS_FOR; loop = loop->body)
        loop->scalar = 1;
    return loops;
}

/* Appends list `b` to list `a`. */
static LStmt *chain(LStmt *a, LStmt *b)
{
    if (!a)
        return b;
    LStmt *t = a;
    while (t->next)
        t = t->next;
    t->next = b;
    return a;
}

LStmt *lw_domain_end_blocked(Lowerer *L, Domain *d, LStmt *body, LStmt *before, LStmt *after)
{
    Arena *a = L->arena;
    L->pos = d->saved_pos;
    L->pixel = d->saved_pixel;
    if (d->n_coords == 0) {
        LExpr *n = d->shape == SHAPE_PIXEL ? lw_sig_size(L) : lir_field(a, LX_NAV_SIZE, 0, NULL);
        if (!before && !after && d->shape == SHAPE_PIXEL && L->block_lo)
            return lir_for(a, d->var, L->block_lo, L->block_hi, body);
        if (!before && !after)
            return lir_for(a, d->var, lw_i64(L, 0), n, body);
        /* for block: before; for p in the block: body; after */
        int blk = lw_tmp(L, "block", UDF_DTYPE_I64);
        LExpr *lo = mul(L, lw_var(L, blk), lw_i64(L, UDF_SUM_BLOCK));
        LExpr *hi = lir_fn(a, LF_MIN, UDF_DTYPE_I64, add(L, lo, lw_i64(L, UDF_SUM_BLOCK)), n);
        LStmt *inner = chain(before, chain(lir_for(a, d->var, lo, hi, body), after));
        LExpr *blocks = lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64,
                                add(L, n, lw_i64(L, UDF_SUM_BLOCK - 1)), lw_i64(L, UDF_SUM_BLOCK));
        return lir_for(a, blk, lw_i64(L, 0), blocks, inner);
    }
    /* p = ((c0 * s1 + c1) * s2 + c2) ..., computed first in the innermost
     * loop; `before` and `after` go around that loop (a row is a block). */
    LExpr *p = NULL;
    for (int i = 0; i < d->n_coords; i++) {
        LExpr *c = lw_var(L, d->coords[i]);
        p = p ? add(L, mul(L, p, lir_field(a, LX_SIG_SHAPE, i, NULL)), c) : c;
    }
    LStmt *inner = lir_set(a, d->var, p);
    inner->next = body;
    int last = d->n_coords - 1;
    inner =
        lir_for(a, d->coords[last], lw_i64(L, 0), lir_field(a, LX_SIG_SHAPE, last, NULL), inner);
    inner = chain(before, chain(inner, after));
    for (int i = last - 1; i >= 0; i--)
        inner = lir_for(a, d->coords[i], lw_i64(L, 0), lir_field(a, LX_SIG_SHAPE, i, NULL), inner);
    return inner;
}

/* ---- jammed groups ---- */

/* Makes frame j of a jammed group (lower_tile.c) the current one. */
void lw_jam_select(Lowerer *L, int j)
{
    L->jam_index = j;
    if (L->jam > 1) {
        L->frame_var = L->jam_frames[j];
        L->pos = L->jam_pos[j];
    }
}

void lw_fjam_select(Lowerer *L, int kk)
{
    L->fjam_index = kk;
    if (L->fjam > 1)
        L->fjam_sym->slot = L->fjam_vars[kk];
}

int lw_copies(const Lowerer *L) { return L->jam * L->fjam; }

void lw_jam_frames(const Lowerer *L, int *from, int *to)
{
    *from = L->jam_only >= 0 ? L->jam_only : 0;
    *to = L->jam_only >= 0 ? L->jam_only + 1 : L->jam;
}
