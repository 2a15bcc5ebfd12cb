/* check_decl.c — declarations of a udf: buffers (nav, sig, single, private),
 * params (scalar, array, sig stacks, per-frame nav params), their extra dims
 * and dim variables, start values and param defaults. */
#include <math.h>
#include <string.h>

#include "check_internal.h"

/* The value of a literal number, maybe negated (-inf); 0 if e is none. */
static int literal_number(const Expr *e, double *out)
{
    switch (e->kind) {
    case E_INT:
    case E_BOOL: *out = (double)e->ival; return 1;
    case E_FLOAT: *out = e->fval; return 1;
    case E_UNARY:
        if (e->op == OP_NEG && (e->lhs->kind == E_INT || e->lhs->kind == E_FLOAT)) {
            *out = e->lhs->kind == E_INT ? -(double)e->lhs->ival : -e->lhs->fval;
            return 1;
        }
        return 0;
    default: return 0;
    }
}

/* Evaluates a start value. */
static int constant_value(Checker *c, Expr *e, double *out)
{
    if (literal_number(e, out))
        return 1;
    diag_error(c->src, e->loc, "a start value must be a number (like 0, -1.5 or -inf)");
    return 0;
}

/* `in [lo, hi]` of a scalar param: two numbers, lo <= hi, and a default
 * that is a number lies between them. */
static void check_range(Checker *c, Decl *d, Symbol *s)
{
    s->range_lo = s->range_hi = NAN;
    Expr *lo = d->range;
    if (!lo)
        return;
    if (s->param_kind != UDF_PARAM_SCALAR) {
        diag_error(c->src, lo->loc, "only scalar params take a range `in [lo, hi]`");
        return;
    }
    double a, b, v;
    int ok = 1;
    for (Expr *e = lo; e; e = e->next)
        if (!literal_number(e, e == lo ? &a : &b) || isnan(e == lo ? a : b)) {
            diag_error(c->src, e->loc, "a range bound must be a number (like 0, -1.5 or inf)");
            ok = 0;
        }
    if (!ok)
        return;
    if (a > b) {
        diag_error(c->src, lo->loc, "the range [%g, %g] holds no value", a, b);
        return;
    }
    if (d->init && literal_number(d->init, &v) && !(v >= a && v <= b))
        diag_error(c->src, d->init->loc, "the default %g lies outside the range [%g, %g]", v, a, b);
    s->range_lo = a;
    s->range_hi = b;
}

static Symbol **grow(Checker *c, Symbol **list, int n)
{
    if (n % 8)
        return list;
    Symbol **grown = ARENA_ARRAY(c->arena, Symbol *, n + 8);
    if (n)
        memcpy(grown, list, sizeof *grown * (size_t)n);
    return grown;
}

static Symbol *new_dimvar(Checker *c, const char *name, Loc loc, Symbol *param, int axis)
{
    CheckedUdf *cu = c->cu;
    Symbol *v = chk_symbol(c, SYM_DIMVAR, name, loc);
    v->param = param;
    v->axis = axis;
    v->shape = SHAPE_SCALAR;
    cu->dimvars = grow(c, cu->dimvars, cu->n_dimvars);
    v->slot = cu->n_dimvars;
    cu->dimvars[cu->n_dimvars++] = v;
    return v;
}

/* The dim variable standing for integer param `p`'s value (one per param). */
static Symbol *param_dimvar(Checker *c, Symbol *p, Loc loc)
{
    for (int i = 0; i < c->cu->n_dimvars; i++)
        if (c->cu->dimvars[i]->param == p && c->cu->dimvars[i]->axis < 0)
            return c->cu->dimvars[i];
    return new_dimvar(c, p->name, loc, p, -1);
}

static int is_integer_type(udf_dtype t)
{
    return t != UDF_DTYPE_F32 && t != UDF_DTYPE_F64 && (int)t != TYPE_FLOAT && t != UDF_DTYPE_BOOL;
}

static int shape_dim(Checker *c, Expr *e, Dim *out)
{
    Expr *arg = e->args;
    if (!arg || arg->next || arg->kind != E_INT || arg->ival < 0 || arg->ival >= UDF_MAX_RANK) {
        diag_error(c->src, e->loc, "%s[d] needs a number d from 0 to %d", e->base->name,
                   UDF_MAX_RANK - 1);
        return 0;
    }
    int nav = strcmp(e->base->name, "nav_shape") == 0;
    out->kind = nav ? DIM_NAV_SHAPE : DIM_SIG_SHAPE;
    out->value = arg->ival;
    int *min = nav ? &c->cu->min_nav_rank : &c->cu->min_sig_rank;
    if (*min < arg->ival + 1)
        *min = (int)arg->ival + 1;
    return 1;
}

static int one_dim(Checker *c, Symbol *sym, Expr *e, int axis, int binding, Dim *out)
{
    if (e->kind == E_INT) {
        if (e->ival <= 0) {
            diag_error(c->src, e->loc, "a dim must be positive, not %lld", (long long)e->ival);
            return 0;
        }
        out->kind = DIM_LITERAL;
        out->value = e->ival;
        return 1;
    }
    if (e->kind == E_INDEX && e->base->kind == E_NAME &&
        (strcmp(e->base->name, "nav_shape") == 0 || strcmp(e->base->name, "sig_shape") == 0))
        return shape_dim(c, e, out);
    if (e->kind == E_NAME) {
        Symbol *s = chk_find(c->globals, e->name);
        if (s && s->kind == SYM_DIMVAR) {
            out->kind = DIM_VAR;
            out->var = s;
            return 1;
        }
        if (s && s->kind == SYM_PARAM && s->param_kind == UDF_PARAM_SCALAR &&
            is_integer_type(s->decl->dtype)) {
            out->kind = DIM_VAR;
            out->var = param_dimvar(c, s, e->loc);
            return 1;
        }
        if (s) {
            diag_error(c->src, e->loc,
                       "'%s' cannot be a dim: dims are numbers, integer params, "
                       "names bound by a param's shape, or nav_shape[d]/sig_shape[d]",
                       e->name);
            return 0;
        }
        if (binding) {
            Symbol *v = new_dimvar(c, e->name, e->loc, sym, axis);
            v->next_in_scope = c->globals;
            c->globals = v;
            out->kind = DIM_VAR;
            out->var = v;
            return 1;
        }
        diag_error(c->src, e->loc,
                   "unknown dim '%s': only a param's dims can bind new names (like "
                   "`param sig f32 masks[%s];`)",
                   e->name, e->name);
        return 0;
    }
    diag_error(c->src, e->loc,
               "a dim must be a number, an integer param, a name bound by a "
               "param's shape, or nav_shape[d]/sig_shape[d]");
    return 0;
}

void chk_dims(Checker *c, Symbol *sym, Expr *dims, int binding)
{
    int rank = 0;
    for (Expr *e = dims; e; e = e->next)
        rank++;
    if (rank > UDF_MAX_RANK) {
        diag_error(c->src, dims->loc, "at most %d extra dims", UDF_MAX_RANK);
        rank = 0;
        dims = NULL;
    }
    sym->rank = rank;
    sym->dims = ARENA_ARRAY(c->arena, Dim, rank + 1);
    int axis = 0;
    for (Expr *e = dims; e; e = e->next, axis++)
        if (!one_dim(c, sym, e, axis, binding, &sym->dims[axis]))
            sym->dims[axis] = (Dim){.kind = DIM_LITERAL, .value = 1};
}

static void declare_buffer(Checker *c, Decl *d, Symbol *s)
{
    s->buf_kind = d->kind == D_NAV   ? UDF_KIND_NAV
                  : d->kind == D_SIG ? UDF_KIND_SIG
                                     : UDF_KIND_SINGLE;
    s->shape = s->buf_kind == UDF_KIND_SIG ? SHAPE_PIXEL : SHAPE_SCALAR;
    chk_dims(c, s, d->dims, 0);
    /* A bad start value is reported, but the buffer is still declared, so
     * that its uses do not report it unknown. */
    if (d->init && constant_value(c, d->init, &s->init) && s->buf_kind == UDF_KIND_NAV &&
        s->init != 0)
        diag_error(c->src, d->init->loc,
                   "nav buffers start at 0 in every frame; drop the start value");
    chk_add_buffer(c, s);
}

/* An array param's default fills every element, so its size must be known
 * without an array given for it: numbers, nav_shape[d] / sig_shape[d], or
 * names an earlier array param binds (known before the defaults, which may
 * read integer params, are computed). */
static void check_default_dims(Checker *c, const Decl *d, const Symbol *s)
{
    Expr *e = d->dims;
    for (int k = 0; k < s->rank; k++, e = e->next) {
        const Dim *dim = &s->dims[k];
        if (dim->kind == DIM_VAR && (dim->var->axis < 0 || dim->var->param == s))
            diag_error(c->src, e->loc,
                       "an array param with a default needs dims known without it: numbers, "
                       "nav_shape[d]/sig_shape[d], or names an earlier array param binds "
                       "('%s' is %s)",
                       dim->var->name, dim->var->axis < 0 ? "an integer param" : "bound here");
    }
}

static void declare_param(Checker *c, Decl *d, Symbol *s)
{
    CheckedUdf *cu = c->cu;
    s->kind = SYM_PARAM;
    s->param_kind = d->kind == D_PARAM_SIG   ? UDF_PARAM_SIG
                    : d->kind == D_PARAM_NAV ? UDF_PARAM_NAV
                    : d->dims                ? UDF_PARAM_ARRAY
                                             : UDF_PARAM_SCALAR;
    s->shape = s->param_kind == UDF_PARAM_SIG ? SHAPE_PIXEL : SHAPE_SCALAR;
    chk_dims(c, s, d->dims, 1);
    if (cu->n_params == 64) {
        diag_error(c->src, d->name_loc, "a udf has at most 64 params");
        return;
    }
    if (d->init) { /* the grammar has none for sig and nav params */
        if (chk_expr(c, d->init) && d->init->shape != SHAPE_SCALAR)
            diag_error(c->src, d->init->loc, "a default must be one number");
        else if (s->param_kind == UDF_PARAM_ARRAY)
            check_default_dims(c, d, s);
    }
    check_range(c, d, s);
    cu->params = grow(c, cu->params, cu->n_params);
    s->slot = cu->n_params;
    cu->params[cu->n_params++] = s;
    s->next_in_scope = c->globals;
    c->globals = s;
}

void chk_declarations(Checker *c, Udf *u)
{
    for (Decl *d = u->decls; d; d = d->next) {
        if (chk_predefined(d->name)) {
            diag_error(c->src, d->name_loc, "'%s' is a predefined name and cannot be declared",
                       d->name);
            continue;
        }
        Symbol *prev = chk_find(c->globals, d->name);
        if (prev) {
            diag_error(c->src, d->name_loc, "'%s' is declared twice", d->name);
            continue;
        }
        Symbol *s = chk_symbol(c, SYM_BUFFER, d->name, d->name_loc);
        s->decl = d;
        if (d->kind == D_PARAM || d->kind == D_PARAM_SIG || d->kind == D_PARAM_NAV)
            declare_param(c, d, s);
        else
            declare_buffer(c, d, s);
    }
}
