/* lower_branch.c — `if` statements whose condition is a constant once the
 * input type is known (type queries, literals and lets of them:
 * `if is_float(input)`) keep only the branch taken. The later stages then
 * see straight-line code, so a body that picks its formula by type is
 * jammed and vectorised like one written for that type alone. */
#include "lower_internal.h"

/* v converted to integer or bool type t, as the kernel would; 0 for the
 * types folding leaves to the kernel (floats, u64's unsigned order). */
static int as_type(int64_t v, udf_dtype t, int64_t *out)
{
    switch (t) {
    case UDF_DTYPE_BOOL: *out = v != 0; return 1;
    case UDF_DTYPE_I8: *out = (int8_t)v; return 1;
    case UDF_DTYPE_U8: *out = (uint8_t)v; return 1;
    case UDF_DTYPE_I16: *out = (int16_t)v; return 1;
    case UDF_DTYPE_U16: *out = (uint16_t)v; return 1;
    case UDF_DTYPE_I32: *out = (int32_t)v; return 1;
    case UDF_DTYPE_U32: *out = (uint32_t)v; return 1;
    case UDF_DTYPE_I64: *out = v; return 1;
    default: return 0;
    }
}

/* Sets *out to e's value when e is a constant for this input type, computed
 * in the types the kernel would compute it in. */
static int constant(const Expr *e, int64_t *out)
{
    int64_t a, b;
    switch (e->kind) {
    case E_INT:
    case E_BOOL:
    case E_TYPE_QUERY: return as_type(e->ival, e->type, out);
    case E_NAME: return e->sym->kind == SYM_LET && constant(e->sym->value, out);
    case E_UNARY:
        if (!constant(e->lhs, &a))
            return 0;
        return e->op == OP_NOT ? as_type(!a, UDF_DTYPE_BOOL, out) : as_type(-a, e->type, out);
    case E_BINARY: {
        int logical = e->op == OP_AND || e->op == OP_OR;
        /* `x || true` is true and `x && false` false whatever x is. */
        for (int side = 0; logical && side < 2; side++)
            if (constant(side ? e->rhs : e->lhs, &a) && (a != 0) == (e->op == OP_OR)) {
                *out = e->op == OP_OR;
                return 1;
            }
        udf_dtype t = logical ? UDF_DTYPE_BOOL : e->optype;
        if (!constant(e->lhs, &a) || !constant(e->rhs, &b) || !as_type(a, t, &a) ||
            !as_type(b, t, &b))
            return 0;
        switch (e->op) {
        case OP_AND: *out = a && b; return 1;
        case OP_OR: *out = a || b; return 1;
        case OP_EQ: *out = a == b; return 1;
        case OP_NE: *out = a != b; return 1;
        case OP_LT: *out = a < b; return 1;
        case OP_LE: *out = a <= b; return 1;
        case OP_GT: *out = a > b; return 1;
        case OP_GE: *out = a >= b; return 1;
        default: return 0;
        }
    }
    default: return 0;
    }
}

/* A copy of the statement list with every constant `if` replaced by the
 * statements of its taken branch. */
static Stmt *taken(Arena *a, const Stmt *list)
{
    Stmt *out = NULL, **tail = &out;
    for (const Stmt *s = list; s; s = s->next) {
        int64_t cond;
        if (s->kind == S_IF && constant(s->cond, &cond)) {
            *tail = taken(a, cond ? s->then_body : s->else_body);
        } else {
            Stmt *copy = ARENA_NEW(a, Stmt);
            *copy = *s;
            copy->next = NULL;
            if (s->kind == S_IF) {
                copy->then_body = taken(a, s->then_body);
                copy->else_body = taken(a, s->else_body);
            }
            *tail = copy;
        }
        while (*tail)
            tail = &(*tail)->next;
    }
    return out;
}

static Body *taken_body(Arena *a, const Body *b)
{
    if (!b)
        return NULL;
    Body *copy = ARENA_NEW(a, Body);
    *copy = *b;
    copy->stmts = taken(a, b->stmts);
    return copy;
}

CheckedUdf *lw_taken_branches(Arena *a, const CheckedUdf *cu)
{
    CheckedUdf *copy = ARENA_NEW(a, CheckedUdf);
    *copy = *cu;
    copy->frame = taken_body(a, cu->frame);
    copy->merge = taken_body(a, cu->merge);
    copy->result = taken_body(a, cu->result);
    return copy;
}
