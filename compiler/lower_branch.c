/* lower_branch.c — `if` statements whose condition is a constant once the
 * input type is known (type queries, literals and lets of them:
 * `if is_float(input)`)
 * keep only the branch taken. The later stages then see straight-line code,
 * so a body that picks its formula by type is jammed and vectorised like
 * one written for that type alone. */
#include "lower_internal.h"

/* Sets *out to e's value when e is a constant for this input type. */
static int constant(const Expr *e, int64_t *out)
{
    int64_t a, b;
    switch (e->kind) {
    case E_INT:
    case E_BOOL:
    case E_TYPE_QUERY: *out = e->ival; return 1;
    case E_NAME: return e->sym->kind == SYM_LET && constant(e->sym->value, out);
    case E_UNARY:
        if (!constant(e->lhs, &a))
            return 0;
        *out = e->op == OP_NOT ? !a : -a;
        return 1;
    case E_BINARY:
        if (!constant(e->lhs, &a) || !constant(e->rhs, &b))
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
