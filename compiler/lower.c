/* lower.c — checked AST to loop IR; see lower.h. */
#include "lower.h"

#include <math.h>

#include "builtins.h"

typedef struct Lowerer {
    Arena *arena;
    CheckedUdf *cu;
    LFunc *fn;
    int frame_var; /* pointer to the current frame's pixels */
    int nav_var;   /* flat nav index of the current frame */
    int *let_vars; /* per let symbol slot: its var (scalar lets) */
    int n_tmp;
} Lowerer;

static LFunc *new_func(Lowerer *L, LFuncKind kind, const char *suffix, udf_dtype input)
{
    LFunc *f = ARENA_NEW(L->arena, LFunc);
    f->kind = kind;
    f->name = arena_printf(L->arena, "udf_%s__%s_%s", L->cu->udf->name, dtype_name(input), suffix);
    f->input = input;
    f->buf_types = ARENA_ARRAY(L->arena, LType, L->cu->n_buffers + 1);
    for (int i = 0; i < L->cu->n_buffers; i++)
        f->buf_types[i] = L->cu->buffers[i]->decl->dtype;
    return f;
}

static int tmp_var(Lowerer *L, const char *what, LType type)
{
    return lir_var(L->arena, L->fn, arena_printf(L->arena, "%s%d", what, L->n_tmp++), type);
}

static LExpr *sig_size(Lowerer *L) { return lir_field(L->arena, LX_SIG_SIZE, 0, NULL); }

/* ---- expressions ---- */

/* `pixel` is the pixel index var inside a pixel loop, or -1 per frame. */
static LExpr *lower_expr(Lowerer *L, const Expr *e, int pixel);

static LExpr *lower_as(Lowerer *L, const Expr *e, LType type, int pixel)
{
    return lir_cast(L->arena, type, lower_expr(L, e, pixel));
}

static LExpr *truth(Lowerer *L, LExpr *x)
{
    if (x->type == UDF_DTYPE_BOOL)
        return x;
    return lir_bin(L->arena, OP_NE, UDF_DTYPE_BOOL, x, lir_cast(L->arena, x->type,
                                                                 lir_const_int(L->arena, x->type, 0)));
}

static LExpr *lower_name(Lowerer *L, const Expr *e, int pixel)
{
    Arena *a = L->arena;
    const Symbol *s = e->sym;
    LExpr *p = pixel >= 0 ? lir_varref(a, L->fn, pixel) : NULL;
    switch (s->kind) {
    case SYM_FRAME: return lir_load(a, LB_VAR, L->frame_var, e->type, p);
    case SYM_INDEX: return lir_varref(a, L->fn, L->nav_var);
    case SYM_LET:
        if (s->shape == SHAPE_PIXEL)
            return lower_expr(L, s->value, pixel);
        return lir_varref(a, L->fn, L->let_vars[s->slot]);
    case SYM_BUFFER: {
        LExpr *index = s->buf_kind == UDF_KIND_NAV   ? lir_varref(a, L->fn, L->nav_var)
                       : s->buf_kind == UDF_KIND_SIG ? p
                                                     : lir_const_int(a, UDF_DTYPE_I64, 0);
        return lir_load(a, LB_BUF, s->slot, s->type, index);
    }
    default: break;
    }
    return lir_const_int(a, UDF_DTYPE_I64, 0);
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
    case BI_ISNAN: return LF_ISNAN;
    default: return LF_NONE;
    }
}

static LExpr *lower_call(Lowerer *L, const Expr *e, int pixel)
{
    Arena *a = L->arena;
    if (e->hoisted)
        return lir_varref(a, L->fn, e->hoisted - 1);
    const Expr *x = e->args, *y = x ? x->next : NULL, *z = y ? y->next : NULL;
    LType t = e->optype;
    switch (e->builtin->id) {
    case BI_CLAMP:
        return lir_fn(a, LF_MIN, t,
                      lir_fn(a, LF_MAX, t, lower_as(L, x, t, pixel), lower_as(L, y, t, pixel)),
                      lower_as(L, z, t, pixel));
    case BI_SELECT:
        return lir_select(a, truth(L, lower_expr(L, x, pixel)), lower_as(L, y, t, pixel),
                          lower_as(L, z, t, pixel));
    case BI_ISNAN:
        return lir_fn(a, LF_ISNAN, UDF_DTYPE_BOOL, lower_as(L, x, t, pixel), NULL);
    default: break;
    }
    LFn fn = builtin_fn(e->builtin->id);
    return lir_fn(a, fn, e->type, lower_as(L, x, t, pixel), y ? lower_as(L, y, t, pixel) : NULL);
}

static LExpr *lower_expr(Lowerer *L, const Expr *e, int pixel)
{
    Arena *a = L->arena;
    switch (e->kind) {
    case E_INT: return lir_const_int(a, e->type, e->ival);
    case E_BOOL: return lir_const_int(a, UDF_DTYPE_BOOL, e->ival);
    case E_FLOAT: return lir_const_float(a, e->type, e->fval);
    case E_NAME: return lower_name(L, e, pixel);
    case E_UNARY: {
        LExpr *x = lower_as(L, e->lhs, e->type, pixel);
        if (e->op == OP_NOT)
            return lir_un(a, OP_NOT, truth(L, lower_expr(L, e->lhs, pixel)));
        return lir_un(a, OP_NEG, x);
    }
    case E_BINARY: {
        if (e->op == OP_AND || e->op == OP_OR)
            return lir_bin(a, e->op, UDF_DTYPE_BOOL, truth(L, lower_expr(L, e->lhs, pixel)),
                           truth(L, lower_expr(L, e->rhs, pixel)));
        LType t = e->optype;
        return lir_bin(a, e->op, e->type, lower_as(L, e->lhs, t, pixel),
                       lower_as(L, e->rhs, t, pixel));
    }
    case E_CALL: return lower_call(L, e, pixel);
    case E_CAST: return lower_as(L, e->args, e->cast_to, pixel);
    case E_INDEX:
    case E_FIELD: break;
    }
    return lir_const_int(a, UDF_DTYPE_I64, 0);
}

/* ---- reductions, hoisted before the statement that uses them ---- */

static void hoist_reductions(Lowerer *L, Expr *e, LBlock *out);

static void hoist_list(Lowerer *L, Expr *e, LBlock *out)
{
    for (; e; e = e->next)
        hoist_reductions(L, e, out);
}

/* One pass over the pixels computing reduction `e` into a new var. Float
 * sums accumulate in f64 (reassociable, so they vectorise); integer sums in
 * 64-bit integers, exactly. */
static void lower_reduction(Lowerer *L, Expr *e, LBlock *out)
{
    Arena *a = L->arena;
    BuiltinId id = e->builtin->id;
    LType t = e->optype;
    LType acc_type = id == BI_COUNT                          ? UDF_DTYPE_I64
                     : (id == BI_SUM || id == BI_MEAN) && type_is_float(t) ? UDF_DTYPE_F64
                     : id == BI_SUM || id == BI_MEAN ? (type_is_signed(t) || t == UDF_DTYPE_BOOL
                                                            ? UDF_DTYPE_I64
                                                            : UDF_DTYPE_U64)
                                                     : t;
    int acc = tmp_var(L, id == BI_RMIN ? "min" : id == BI_RMAX ? "max" : "sum", acc_type);
    LExpr *start;
    if (id == BI_RMIN || id == BI_RMAX) {
        int up = id == BI_RMIN;
        if (type_is_float(t))
            start = lir_const_float(a, t, up ? INFINITY : -INFINITY);
        else if (t == UDF_DTYPE_BOOL)
            start = lir_const_int(a, t, up);
        else {
            int bits = type_bits(t);
            int64_t hi = bits == 64 ? (type_is_signed(t) ? INT64_MAX : -1)
                                    : (type_is_signed(t) ? ((int64_t)1 << (bits - 1)) - 1
                                                         : ((int64_t)1 << bits) - 1);
            int64_t lo = type_is_signed(t) ? (bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1)))
                                           : 0;
            start = lir_const_int(a, t, up ? hi : lo);
        }
    } else {
        start = lir_const_int(a, acc_type, 0);
    }
    lir_append(out, lir_set(a, acc, start));

    int p = tmp_var(L, "p", UDF_DTYPE_I64);
    LExpr *value = lower_expr(L, e->args, p);
    LExpr *cur = lir_varref(a, L->fn, acc), *step;
    if (id == BI_RMIN || id == BI_RMAX) {
        step = lir_fn(a, id == BI_RMIN ? LF_MIN : LF_MAX, t, cur, lir_cast(a, t, value));
    } else {
        if (id == BI_COUNT)
            value = truth(L, value);
        step = lir_bin(a, OP_ADD, acc_type, cur, lir_cast(a, acc_type, value));
        step->reassoc = type_is_float(acc_type);
    }
    lir_append(out, lir_for(a, p, lir_const_int(a, UDF_DTYPE_I64, 0), sig_size(L),
                            lir_set(a, acc, step)));

    LExpr *result = lir_varref(a, L->fn, acc);
    if (id == BI_MEAN)
        result = lir_bin(a, OP_DIV, e->type, lir_cast(a, e->type, result),
                         lir_cast(a, e->type, sig_size(L)));
    int var = tmp_var(L, "r", e->type);
    lir_append(out, lir_set(a, var, lir_cast(a, e->type, result)));
    e->hoisted = var + 1;
}

static void hoist_reductions(Lowerer *L, Expr *e, LBlock *out)
{
    if (!e)
        return;
    if (e->kind == E_NAME && e->sym && e->sym->kind == SYM_LET && e->sym->shape == SHAPE_PIXEL)
        hoist_reductions(L, e->sym->value, out);
    hoist_reductions(L, e->lhs, out);
    hoist_reductions(L, e->rhs, out);
    hoist_list(L, e->args, out);
    if (e->kind == E_CALL && e->builtin->cls == BC_REDUCE)
        lower_reduction(L, e, out);
}

/* Forgets hoisted values so that the next frame statement recomputes them. */
static void unhoist(Expr *e)
{
    for (; e; e = e->next) {
        e->hoisted = 0;
        if (e->kind == E_NAME && e->sym && e->sym->kind == SYM_LET && e->sym->shape == SHAPE_PIXEL)
            unhoist(e->sym->value);
        unhoist(e->lhs);
        unhoist(e->rhs);
        unhoist(e->args);
    }
}

/* ---- statements ---- */

/* target (op)= value, at element `index` of buffer `b`. */
static LStmt *update(Lowerer *L, const Stmt *s, const Symbol *b, LExpr *index, int pixel)
{
    Arena *a = L->arena;
    LExpr *value;
    if (s->assign_op == OP_NONE) {
        value = lower_expr(L, s->value, pixel);
    } else {
        /* b op= v computes b op v in their promoted type (a literal v takes b's type). */
        LType t = s->value->is_literal ? b->type : type_promote(b->type, s->value->type);
        if (s->assign_op == OP_DIV)
            t = type_float_of(t);
        LExpr *old = lir_load(a, LB_BUF, b->slot, b->type, index);
        value = lir_bin(a, s->assign_op, t, lir_cast(a, t, old), lower_as(L, s->value, t, pixel));
    }
    return lir_store(a, LB_BUF, b->slot, b->type, index, lir_cast(a, b->type, value));
}

static void lower_assign(Lowerer *L, const Stmt *s, LBlock *out)
{
    Arena *a = L->arena;
    const Symbol *b = s->target->sym;
    if (b->buf_kind == UDF_KIND_SIG) {
        int p = tmp_var(L, "p", UDF_DTYPE_I64);
        LStmt *body = update(L, s, b, lir_varref(a, L->fn, p), p);
        lir_append(out, lir_for(a, p, lir_const_int(a, UDF_DTYPE_I64, 0), sig_size(L), body));
        return;
    }
    LExpr *index = b->buf_kind == UDF_KIND_NAV ? lir_varref(a, L->fn, L->nav_var)
                                               : lir_const_int(a, UDF_DTYPE_I64, 0);
    lir_append(out, update(L, s, b, index, -1));
}

static void lower_stmts(Lowerer *L, Stmt *s, LBlock *out)
{
    for (; s; s = s->next) {
        hoist_reductions(L, s->value, out);
        switch (s->kind) {
        case S_LET:
            if (s->sym->shape == SHAPE_SCALAR) {
                int var = lir_var(L->arena, L->fn, s->name, s->sym->type);
                L->let_vars[s->sym->slot] = var;
                lir_append(out, lir_set(L->arena, var, lower_expr(L, s->value, -1)));
            }
            break;
        case S_ASSIGN: lower_assign(L, s, out); break;
        default: break;
        }
        unhoist(s->value);
    }
}

/* tile: for every frame of the tile, nav buffers start at 0, then the body. */
static void build_tile(Lowerer *L, udf_dtype input)
{
    Arena *a = L->arena;
    LFunc *f = new_func(L, LFK_TILE, "tile", input);
    L->fn = f;
    int frame_index = lir_var(a, f, "f", UDF_DTYPE_I64);
    L->frame_var = lir_var(a, f, "frame", LT_PTR);
    L->nav_var = lir_var(a, f, "nav", UDF_DTYPE_I64);
    LBlock body;
    lir_block_init(&body);
    LExpr *fi = lir_varref(a, f, frame_index);
    lir_append(&body, lir_set(a, L->frame_var, lir_field(a, LX_FRAME_PTR, 0, fi)));
    lir_append(&body, lir_set(a, L->nav_var, lir_field(a, LX_NAV_INDEX, 0, fi)));
    for (int i = 0; i < L->cu->n_buffers; i++) {
        const Symbol *b = L->cu->buffers[i];
        if (b->buf_kind == UDF_KIND_NAV)
            lir_append(&body, lir_store(a, LB_BUF, b->slot, b->type, lir_varref(a, f, L->nav_var),
                                        lir_cast(a, b->type, lir_const_int(a, UDF_DTYPE_I64, 0))));
    }
    lower_stmts(L, L->cu->frame->stmts, &body);
    f->body = lir_for(a, frame_index, lir_const_int(a, UDF_DTYPE_I64, 0),
                      lir_field(a, LX_DEPTH, 0, NULL), body.head);
}

/* merge: inferred rules, elementwise over each sig/single buffer. */
static LFunc *build_merge(Lowerer *L, udf_dtype input)
{
    Arena *a = L->arena;
    LFunc *f = new_func(L, LFK_MERGE, "merge", input);
    L->fn = f;
    LBlock body;
    lir_block_init(&body);
    for (int i = 0; i < L->cu->n_buffers; i++) {
        const Symbol *b = L->cu->buffers[i];
        if (b->buf_kind == UDF_KIND_NAV || b->merge == MERGE_NONE)
            continue;
        int k = tmp_var(L, "i", UDF_DTYPE_I64);
        LExpr *dest = lir_load(a, LB_BUF, b->slot, b->type, lir_varref(a, f, k));
        LExpr *src = lir_load(a, LB_SRC, b->slot, b->type, lir_varref(a, f, k));
        LExpr *merged = b->merge == MERGE_SUM ? lir_bin(a, OP_ADD, b->type, dest, src)
                                              : lir_fn(a, b->merge == MERGE_MAX ? LF_MAX : LF_MIN,
                                                       b->type, dest, src);
        LExpr *n = b->buf_kind == UDF_KIND_SIG ? sig_size(L) : lir_const_int(a, UDF_DTYPE_I64, 1);
        lir_append(&body, lir_for(a, k, lir_const_int(a, UDF_DTYPE_I64, 0), n,
                                  lir_store(a, LB_BUF, b->slot, b->type, lir_varref(a, f, k),
                                            merged)));
    }
    f->body = body.head;
    return body.head ? f : NULL;
}

LoweredUdf *lower_udf(Arena *a, CheckedUdf *cu, udf_dtype input)
{
    check_types(cu, input);
    Lowerer L = {.arena = a, .cu = cu};
    L.let_vars = ARENA_ARRAY(a, int, cu->n_lets + 1);
    LoweredUdf *lu = ARENA_NEW(a, LoweredUdf);
    lu->cu = cu;
    lu->input = input;
    build_tile(&L, input);
    lu->tile = L.fn;
    lu->merge = build_merge(&L, input);
    return lu;
}
