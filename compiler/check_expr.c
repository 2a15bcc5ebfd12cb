/* check_expr.c — resolving the names of an expression and deciding its shape:
 * one number (per frame, or in merge/result per part or in total), one number
 * per detector pixel, or one per scan position (result bodies only). */
#include <string.h>

#include "check_internal.h"

static const char *const shape_words[] = {[SHAPE_SCALAR] = "one number",
                                          [SHAPE_PIXEL] = "one number per detector pixel",
                                          [SHAPE_NAV] = "one number per scan position"};

int chk_combine(Checker *c, Loc loc, Shape a, Shape b, Shape *out)
{
    if ((a == SHAPE_PIXEL && b == SHAPE_NAV) || (a == SHAPE_NAV && b == SHAPE_PIXEL)) {
        diag_error(c->src, loc,
                   "this mixes values per scan position with values per detector pixel");
        return 0;
    }
    *out = a == SHAPE_SCALAR ? b : a;
    return 1;
}

unsigned long long expr_walk_begin(void)
{
    static unsigned long long walks; /* compiling runs on one thread */
    return ++walks;
}

Symbol *expr_walk_enters(const Expr *e, unsigned long long walk)
{
    Symbol *let = e->kind == E_NAME && e->sym && e->sym->kind == SYM_LET ? e->sym : NULL;
    if (!let || let->walked == walk)
        return NULL;
    let->walked = walk;
    return let;
}

static int reads_in(const Expr *e, const Symbol *s, int scalar_lets, unsigned long long walk)
{
    for (; e; e = e->next) {
        if (e->sym == s)
            return 1;
        const Symbol *let = e->sym && (scalar_lets || e->sym->shape != SHAPE_SCALAR)
                                ? expr_walk_enters(e, walk)
                                : NULL;
        if (let && reads_in(let->value, s, scalar_lets, walk))
            return 1;
        if (reads_in(e->lhs, s, scalar_lets, walk) || reads_in(e->rhs, s, scalar_lets, walk) ||
            reads_in(e->args, s, scalar_lets, walk) || reads_in(e->base, s, scalar_lets, walk))
            return 1;
    }
    return 0;
}

int expr_reads(const Expr *e, const Symbol *s) { return reads_in(e, s, 1, expr_walk_begin()); }

int expr_reads_per_pixel(const Expr *e, const Symbol *s)
{
    return reads_in(e, s, 0, expr_walk_begin());
}

static int same_list(const Expr *a, const Expr *b)
{
    for (; a && b; a = a->next, b = b->next)
        if (!expr_same(a, b))
            return 0;
    return !a && !b;
}

int expr_same(const Expr *a, const Expr *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->sym != b->sym || a->op != b->op || a->ival != b->ival ||
        a->fval != b->fval || a->builtin != b->builtin || a->cast_to != b->cast_to)
        return 0;
    return expr_same(a->lhs, b->lhs) && expr_same(a->rhs, b->rhs) && same_list(a->args, b->args) &&
           expr_same(a->base, b->base);
}

/* The shape a reference to buffer/param `s` has in the current body. */
static int symbol_shape(Checker *c, Expr *e, Symbol *s, Shape *out)
{
    if (s->kind == SYM_PARAM) {
        if (s->param_kind == UDF_PARAM_NAV) {
            if (c->place == IN_FRAME)
                *out = SHAPE_SCALAR;
            else if (c->place == IN_RESULT)
                *out = SHAPE_NAV;
            else {
                diag_error(c->src, e->loc,
                           "per-frame param '%s' exists only in frame and result "
                           "bodies",
                           s->name);
                return 0;
            }
            return 1;
        }
        *out = s->param_kind == UDF_PARAM_SIG ? SHAPE_PIXEL : SHAPE_SCALAR;
        if (c->place == IN_DECL && s->param_kind == UDF_PARAM_SIG) {
            diag_error(c->src, e->loc, "a default cannot read detector-shaped param '%s'", s->name);
            return 0;
        }
        return 1;
    }
    switch (c->place) {
    case IN_DECL:
        diag_error(c->src, e->loc, "a default cannot read buffer '%s'", s->name);
        return 0;
    case IN_MERGE:
        diag_error(c->src, e->loc, "inside merge, read a part of '%s': %s.%s or %s.%s", s->name,
                   c->cu->part_a->name, s->name, c->cu->part_b->name, s->name);
        return 0;
    case IN_FRAME:
        chk_note_frame_read(c, e);
        *out = s->buf_kind == UDF_KIND_SIG ? SHAPE_PIXEL : SHAPE_SCALAR;
        return 1;
    case IN_RESULT:
        *out = s->buf_kind == UDF_KIND_SIG   ? SHAPE_PIXEL
               : s->buf_kind == UDF_KIND_NAV ? SHAPE_NAV
                                             : SHAPE_SCALAR;
        return 1;
    }
    return 0;
}

static int check_name(Checker *c, Expr *e)
{
    Symbol *s = chk_lookup(c, e->name);
    if (!s) {
        chk_unknown(c, e->loc, "name", e->name);
        return 0;
    }
    e->sym = s;
    e->shape = s->shape;
    switch (s->kind) {
    case SYM_FRAME:
    case SYM_INDEX:
        if (c->place != IN_FRAME) {
            diag_error(c->src, e->loc, "'%s' exists only in the frame body", e->name);
            return 0;
        }
        return 1;
    case SYM_SHAPE:
        diag_error(c->src, e->loc, "'%s' needs an index: %s[d] is the size of dim d", e->name,
                   e->name);
        return 0;
    case SYM_PART:
        diag_error(c->src, e->loc, "'%s' is a part of the merge; read a buffer of it: %s.NAME",
                   e->name, e->name);
        return 0;
    case SYM_BUFFER:
    case SYM_PARAM:
        if (s->rank > 0) {
            diag_error(c->src, e->loc, "'%s' has %d extra dim%s; index it", e->name, s->rank,
                       s->rank == 1 ? "" : "s");
            return 0;
        }
        return symbol_shape(c, e, s, &e->shape);
    default: return 1;
    }
}

/* A free index: an unknown name in an index position of an assignment. */
static Symbol *free_index(Checker *c, Expr *arg, const Dim *range)
{
    Symbol *f = chk_symbol(c, SYM_FREE, arg->name, arg->loc);
    f->range = *range;
    f->shape = SHAPE_SCALAR;
    f->type = UDF_DTYPE_I64;
    f->next_in_scope = c->scope;
    c->scope = f;
    f->next_free = c->free; /* for the statement's check that it indexes the target */
    c->free = f;
    return f;
}

int chk_indices(Checker *c, Expr *e, Symbol *base, Shape *index_shape)
{
    int n = 0;
    for (Expr *a = e->args; a; a = a->next)
        n++;
    if (n != base->rank) {
        diag_error(c->src, e->loc, "'%s' has %d extra dim%s, but %d ind%s given", base->name,
                   base->rank, base->rank == 1 ? "" : "s", n, n == 1 ? "ex is" : "ices are");
        return 0;
    }
    *index_shape = SHAPE_SCALAR;
    int ok = 1, axis = 0;
    for (Expr *a = e->args; a; a = a->next, axis++) {
        const Dim *dim = &base->dims[axis];
        if (a->kind == E_NAME && !chk_lookup(c, a->name) && c->allow_free) {
            a->sym = free_index(c, a, dim);
            a->shape = SHAPE_SCALAR;
            continue;
        }
        if (!chk_expr(c, a)) {
            ok = 0;
            continue;
        }
        if (a->kind == E_FLOAT) {
            diag_error(c->src, a->loc, "an index must be an integer");
            ok = 0;
            continue;
        }
        if (a->kind == E_INT && dim->kind == DIM_LITERAL &&
            (a->ival < 0 || a->ival >= dim->value)) {
            diag_error(c->src, a->loc, "index %lld is out of range: '%s' has %lld there",
                       (long long)a->ival, base->name, (long long)dim->value);
            ok = 0;
            continue;
        }
        if (a->sym && a->sym->kind == SYM_FREE && !dim_same(&a->sym->range, dim)) {
            diag_error(c->src, a->loc, "free index '%s' indexes dims of different sizes", a->name);
            ok = 0;
            continue;
        }
        if (!ok || !chk_combine(c, a->loc, *index_shape, a->shape, index_shape))
            ok = 0;
    }
    if (ok && *index_shape == SHAPE_NAV) {
        diag_error(c->src, e->loc, "an index cannot be one number per scan position");
        return 0;
    }
    return ok;
}

static int check_shape_index(Checker *c, Expr *e)
{
    Expr *arg = e->args;
    if (!arg || arg->next || arg->kind != E_INT || arg->ival < 0 || arg->ival >= UDF_MAX_RANK) {
        diag_error(c->src, e->loc, "%s[d] needs a number d from 0 to %d", e->base->name,
                   UDF_MAX_RANK - 1);
        return 0;
    }
    int *min =
        strcmp(e->base->name, "nav_shape") == 0 ? &c->cu->min_nav_rank : &c->cu->min_sig_rank;
    if (*min < arg->ival + 1)
        *min = (int)arg->ival + 1;
    arg->shape = SHAPE_SCALAR;
    e->sym = e->base->sym;
    e->shape = SHAPE_SCALAR;
    return 1;
}

/* merge(a, b): `a.x` */
static int check_field(Checker *c, Expr *e)
{
    Symbol *part = chk_lookup(c, e->name);
    if (c->place != IN_MERGE || !part || part->kind != SYM_PART) {
        diag_error(c->src, e->loc, "'%s.%s': parts (a.x) exist only in merge(a, b)", e->name,
                   e->field);
        return 0;
    }
    Symbol *b = chk_find(c->globals, e->field);
    if (!b || b->kind != SYM_BUFFER) {
        chk_unknown(c, e->loc, "buffer", e->field);
        return 0;
    }
    if (b->buf_kind == UDF_KIND_NAV) {
        diag_error(c->src, e->loc, "'%s' is a nav buffer; nav buffers are not merged", b->name);
        return 0;
    }
    e->sym = b;
    e->ival = part == c->cu->part_b;
    e->shape = b->buf_kind == UDF_KIND_SIG ? SHAPE_PIXEL : SHAPE_SCALAR;
    return 1;
}

static int check_index(Checker *c, Expr *e)
{
    Expr *base = e->base;
    if (base->kind == E_NAME &&
        (strcmp(base->name, "nav_shape") == 0 || strcmp(base->name, "sig_shape") == 0) &&
        chk_lookup(c, base->name)->kind == SYM_SHAPE) {
        base->sym = chk_lookup(c, base->name);
        return check_shape_index(c, e);
    }
    Symbol *s;
    Shape shape;
    if (base->kind == E_FIELD) {
        if (!check_field(c, base))
            return 0;
        s = base->sym;
        shape = base->shape;
    } else if (base->kind == E_NAME) {
        s = chk_lookup(c, base->name);
        if (!s) {
            chk_unknown(c, base->loc, "name", base->name);
            return 0;
        }
        if (s->kind != SYM_BUFFER && s->kind != SYM_PARAM) {
            diag_error(c->src, base->loc,
                       "'%s' cannot be indexed: only buffers and params have dims", base->name);
            return 0;
        }
        if (s->rank == 0) {
            diag_error(c->src, e->loc, "'%s' has no extra dims to index", s->name);
            return 0;
        }
        base->sym = s;
        if (!symbol_shape(c, base, s, &shape))
            return 0;
    } else {
        diag_error(c->src, e->loc, "only buffers and params can be indexed");
        return 0;
    }
    Shape index_shape;
    if (!chk_indices(c, e, s, &index_shape))
        return 0;
    e->sym = s;
    return chk_combine(c, e->loc, shape, index_shape, &e->shape);
}

static int check_gradient(Checker *c, Expr *e)
{
    Expr *a = e->args, *d = a->next;
    Symbol *s = a->kind == E_INDEX ? a->base->sym : a->sym;
    if (!s || s->kind != SYM_BUFFER || (a->shape != SHAPE_NAV && a->shape != SHAPE_PIXEL)) {
        diag_error(c->src, a->loc,
                   "gradient() needs a nav or sig buffer (or an element of its extra dims)");
        return 0;
    }
    if (d->kind != E_INT || d->ival < 0 || d->ival >= UDF_MAX_RANK) {
        diag_error(c->src, d->loc, "gradient()'s dim must be a number from 0 to %d",
                   UDF_MAX_RANK - 1);
        return 0;
    }
    int *min = a->shape == SHAPE_NAV ? &c->cu->min_nav_rank : &c->cu->min_sig_rank;
    if (*min < d->ival + 1)
        *min = (int)d->ival + 1;
    e->shape = a->shape;
    return 1;
}

static int check_call(Checker *c, Expr *e)
{
    if (type_query_lookup(e->name) >= 0) {
        diag_error(c->src, e->loc, "%s() asks about a type; give it one, like %s(input)", e->name,
                   e->name);
        return 0;
    }
    int ok = 1, arity = 0;
    Shape shape = SHAPE_SCALAR;
    for (Expr *a = e->args; a; a = a->next, arity++) {
        if (!chk_expr(c, a))
            ok = 0;
        else if (ok && !chk_combine(c, a->loc, shape, a->shape, &shape))
            ok = 0;
    }
    if (!ok)
        return 0;
    int name_exists;
    const struct Builtin *b = builtin_lookup(e->name, arity, &name_exists);
    if (!b) {
        if (name_exists)
            diag_error(c->src, e->loc, "'%s' does not take %d argument%s", e->name, arity,
                       arity == 1 ? "" : "s");
        else
            chk_unknown(c, e->loc, "function", e->name);
        return 0;
    }
    e->builtin = b;
    switch (b->cls) {
    case BC_REDUCE:
        if (c->place == IN_DECL) {
            diag_error(c->src, e->loc, "a default cannot reduce over data");
            return 0;
        }
        if (shape == SHAPE_SCALAR) {
            diag_error(c->src, e->loc, "%s() reduces over %s, but its argument is one number%s",
                       e->name, c->place == IN_RESULT ? "a nav or sig buffer" : "the detector",
                       c->place == IN_FRAME ? " per frame" : "");
            return 0;
        }
        e->shape = SHAPE_SCALAR;
        return 1;
    case BC_RESULT_ONLY:
        if (c->place != IN_RESULT) {
            diag_error(c->src, e->loc,
                       "%s() works on whole buffers and is allowed only in `result`", e->name);
            return 0;
        }
        return check_gradient(c, e);
    default: e->shape = shape; return 1;
    }
}

int chk_expr(Checker *c, Expr *e)
{
    e->shape = SHAPE_SCALAR;
    switch (e->kind) {
    case E_INT:
    case E_FLOAT:
    case E_BOOL: e->is_literal = 1; return 1;
    case E_NAME: return check_name(c, e);
    case E_UNARY:
        if (!chk_expr(c, e->lhs))
            return 0;
        e->shape = e->lhs->shape;
        e->is_literal = e->lhs->is_literal;
        return 1;
    case E_BINARY: {
        int ok = chk_expr(c, e->lhs);
        ok = chk_expr(c, e->rhs) && ok;
        if (!ok || !chk_combine(c, e->loc, e->lhs->shape, e->rhs->shape, &e->shape))
            return 0;
        e->is_literal = e->lhs->is_literal && e->rhs->is_literal;
        return 1;
    }
    case E_CALL: return check_call(c, e);
    case E_TYPE_QUERY:
        if (type_query_lookup(e->name) < 0) {
            diag_error(c->src, e->loc,
                       "unknown type query '%s' (there are is_float, is_signed and bits)", e->name);
            return 0;
        }
        return 1;
    case E_CAST:
        if (!e->args || e->args->next) {
            diag_error(c->src, e->loc, "a cast to %s takes one argument", dtype_name(e->cast_to));
            return 0;
        }
        if (!chk_expr(c, e->args))
            return 0;
        e->shape = e->args->shape;
        return 1;
    case E_INDEX: return check_index(c, e);
    case E_FIELD:
        if (!check_field(c, e))
            return 0;
        if (e->sym->rank > 0) {
            diag_error(c->src, e->loc, "'%s' has %d extra dim%s; index it", e->sym->name,
                       e->sym->rank, e->sym->rank == 1 ? "" : "s");
            return 0;
        }
        return 1;
    }
    return 0;
}

const char *chk_shape_words(Shape s) { return shape_words[s]; }
