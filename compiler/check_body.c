/* check_body.c — statements of the frame, merge and result bodies: lets,
 * assignments (free indices, scatter-adds), ifs and derived result buffers,
 * and the merge rule each frame-body update implies (SPEC §2.4). */
#include <string.h>

#include "check_internal.h"

static void check_block(Checker *c, Stmt *s);

/* Declares a name local to a body (coord, part, let), refusing clashes. */
static int local_name_free(Checker *c, const char *name, Loc loc)
{
    Symbol *prev = chk_lookup(c, name);
    if (prev && prev->kind != SYM_FREE && prev->kind != SYM_SHAPE && prev->kind != SYM_SIZE) {
        diag_error(c->src, loc, "'%s' is already defined", name);
        return 0;
    }
    return 1;
}

static void push(Checker *c, Symbol *s)
{
    s->next_in_scope = c->scope;
    c->scope = s;
}

/* ---- merge inference ---- */

/* `b += e`, `b -= e` sum; `b = max(b, e)` / `min` keep extremes (also for an
 * element b[i]); anything else needs merge(a, b). */
static MergeKind implied_merge(const Stmt *s, const Symbol *b)
{
    if ((s->assign_op == OP_ADD || s->assign_op == OP_SUB) && !expr_reads(s->value, b))
        return MERGE_SUM;
    const Expr *v = s->value;
    if (s->assign_op != OP_NONE || v->kind != E_CALL || !v->builtin ||
        (v->builtin->id != BI_MAX && v->builtin->id != BI_MIN))
        return MERGE_USER;
    const Expr *x = v->args, *y = v->args->next;
    const Expr *other = expr_same(x, s->target) ? y : expr_same(y, s->target) ? x : NULL;
    if (!other || expr_reads(other, b))
        return MERGE_USER;
    return v->builtin->id == BI_MAX ? MERGE_MAX : MERGE_MIN;
}

static void note_update(Symbol *b, MergeKind kind)
{
    if (b->merge == MERGE_NONE)
        b->merge = kind;
    else if (b->merge != kind)
        b->merge = MERGE_USER;
}

/* ---- assignments ---- */

/* The shape of one element of buffer b in the current body. */
static Shape target_shape(Checker *c, const Symbol *b)
{
    if (b->buf_kind == UDF_KIND_SIG)
        return SHAPE_PIXEL;
    if (b->buf_kind == UDF_KIND_NAV && c->place == IN_RESULT)
        return SHAPE_NAV;
    return SHAPE_SCALAR;
}

static Symbol *assignable(Checker *c, Expr *t)
{
    const char *name = t->kind == E_INDEX ? t->base->name : t->name;
    Loc loc = t->kind == E_INDEX ? t->base->loc : t->loc;
    if (t->kind == E_INDEX && t->base->kind != E_NAME) {
        diag_error(c->src, t->loc, "only buffers can be assigned");
        return NULL;
    }
    Symbol *b = chk_lookup(c, name);
    if (!b) {
        chk_unknown(c, loc, "buffer", name);
        return NULL;
    }
    if (b->kind != SYM_BUFFER) {
        const char *what = b->kind == SYM_LET     ? "a `let` value, which is immutable"
                           : b->kind == SYM_PARAM ? "a parameter, which is read-only"
                                                  : "not a buffer";
        diag_error(c->src, loc, "cannot assign to '%s': it is %s", name, what);
        return NULL;
    }
    if (c->place == IN_MERGE && b->buf_kind == UDF_KIND_NAV) {
        diag_error(c->src, loc, "'%s' is a nav buffer; nav buffers are not merged", name);
        return NULL;
    }
    if (t->kind == E_NAME && b->rank > 0) {
        diag_error(c->src, t->loc, "'%s' has %d extra dim%s; index it", name, b->rank,
                   b->rank == 1 ? "" : "s");
        return NULL;
    }
    if (t->kind == E_INDEX && b->rank == 0) {
        diag_error(c->src, t->loc, "'%s' has no extra dims to index", name);
        return NULL;
    }
    if (t->kind == E_INDEX)
        t->base->sym = b;
    t->sym = b;
    return b;
}

/* Every free index must index the assigned buffer, else it ranges over
 * nothing the statement writes. */
static int free_indices_bound(Checker *c, const Expr *target)
{
    int ok = 1;
    for (Symbol *f = c->free; f; f = f->next_free) {
        int found = 0;
        if (target->kind == E_INDEX)
            for (const Expr *a = target->args; a; a = a->next)
                found |= a->sym == f;
        if (!found) {
            diag_error(c->src, f->loc,
                       "unknown name '%s' (a free index must also index the "
                       "assigned buffer)",
                       f->name);
            ok = 0;
        }
    }
    return ok;
}

static void report_value_shape(Checker *c, const Stmt *s, const Symbol *b, Shape domain)
{
    if (c->place == IN_FRAME && domain == SHAPE_SCALAR && s->value->shape == SHAPE_PIXEL)
        diag_error(c->src, s->value->loc,
                   "'%s' is a %s buffer (one value per %s), but this value has one number per "
                   "detector pixel; reduce it, e.g. sum(...)",
                   b->name, b->buf_kind == UDF_KIND_NAV ? "nav" : "single",
                   b->buf_kind == UDF_KIND_NAV ? "frame" : "run");
    else
        diag_error(c->src, s->value->loc, "'%s' holds %s here, but this value is %s", b->name,
                   chk_shape_words(domain), chk_shape_words(s->value->shape));
}

static void check_assign(Checker *c, Stmt *s)
{
    Symbol *saved_scope = c->scope;
    c->free = NULL;
    c->allow_free = 1;
    Expr *t = s->target;
    Symbol *b = assignable(c, t);
    if (!b) { /* the value would only add noise about the same mistake */
        c->allow_free = 0;
        return;
    }
    /* The assignment exists even if its value has errors: no "needs a
     * merge" or "unknown" follow-ups. */
    int *assigned = c->place == IN_FRAME   ? &b->in_frame
                    : c->place == IN_MERGE ? &b->in_merge
                                           : &b->in_result;
    *assigned = 1;
    Shape index_shape = SHAPE_SCALAR;
    int ok = t->kind != E_INDEX || chk_indices(c, t, b, &index_shape);
    ok = chk_expr(c, s->value) && ok;
    c->allow_free = 0;
    ok = ok && free_indices_bound(c, t);
    c->scope = saved_scope;
    if (!ok)
        return;
    int scatter = index_shape == SHAPE_PIXEL;
    if (scatter && s->assign_op != OP_ADD) {
        diag_error(c->src, t->loc,
                   "a per-pixel index scatters values into '%s'; only += can "
                   "scatter",
                   b->name);
        return;
    }
    Shape domain = scatter ? SHAPE_PIXEL : target_shape(c, b);
    if (s->value->shape != SHAPE_SCALAR && s->value->shape != domain) {
        report_value_shape(c, s, b, domain);
        return;
    }
    t->shape = domain;
    if (c->place == IN_FRAME && b->buf_kind != UDF_KIND_NAV)
        note_update(b, implied_merge(s, b));
}

/* ---- other statements ---- */

static void check_let(Checker *c, Stmt *s)
{
    c->allow_free = 0;
    int ok = chk_expr(c, s->value);
    if (!local_name_free(c, s->name, s->name_loc))
        return;
    Symbol *sym = chk_symbol(c, SYM_LET, s->name, s->name_loc);
    sym->value = s->value;
    sym->shape = ok ? s->value->shape : SHAPE_SCALAR;
    sym->slot = c->n_lets++;
    push(c, sym);
    s->sym = sym;
}

static void check_if(Checker *c, Stmt *s)
{
    c->allow_free = 0;
    if (chk_expr(c, s->cond) && s->cond->shape != SHAPE_SCALAR)
        diag_error(c->src, s->cond->loc,
                   "an `if` condition must be one number; for a choice per %s use "
                   "select(c, a, b)",
                   s->cond->shape == SHAPE_PIXEL ? "pixel" : "scan position");
    check_block(c, s->then_body);
    check_block(c, s->else_body);
}

static void check_derived(Checker *c, Stmt *s)
{
    Decl *d = s->decl;
    if (c->place != IN_RESULT) {
        diag_error(c->src, s->loc,
                   "declare buffers before the bodies (or, computed from "
                   "others, in `result`)");
        return;
    }
    if (d->dims) {
        diag_error(c->src, d->dims->loc,
                   "a buffer declared in `result` has no extra dims; "
                   "declare it with the others and assign it here");
        return;
    }
    c->allow_free = 0;
    int ok = chk_expr(c, d->init);
    if (!local_name_free(c, d->name, d->name_loc))
        return;
    Symbol *b = chk_symbol(c, SYM_BUFFER, d->name, d->name_loc);
    b->decl = d;
    b->buf_kind = d->kind == D_NAV   ? UDF_KIND_NAV
                  : d->kind == D_SIG ? UDF_KIND_SIG
                                     : UDF_KIND_SINGLE;
    b->shape = b->buf_kind == UDF_KIND_SIG ? SHAPE_PIXEL : SHAPE_SCALAR;
    b->dims = ARENA_ARRAY(c->arena, Dim, 1);
    b->derived = b->in_result = 1;
    s->sym = b;
    chk_add_buffer(c, b);
    Shape domain = target_shape(c, b);
    if (ok && d->init->shape != SHAPE_SCALAR && d->init->shape != domain)
        diag_error(c->src, d->init->loc, "'%s' holds %s, but this value is %s", b->name,
                   chk_shape_words(domain), chk_shape_words(d->init->shape));
}

static void check_block(Checker *c, Stmt *s)
{
    Symbol *saved = c->scope;
    for (; s; s = s->next) {
        switch (s->kind) {
        case S_LET: check_let(c, s); break;
        case S_ASSIGN: check_assign(c, s); break;
        case S_IF: check_if(c, s); break;
        case S_DERIVED: check_derived(c, s); break;
        }
    }
    c->scope = saved;
}

/* ---- bodies ---- */

void chk_frame_body(Checker *c, Body *b)
{
    CheckedUdf *cu = c->cu;
    c->place = IN_FRAME;
    c->scope = NULL;
    int n = 0;
    for (Expr *e = b->coords; e; e = e->next)
        n++;
    if (n > UDF_MAX_RANK) {
        diag_error(c->src, b->coords->loc, "at most %d pixel coordinates", UDF_MAX_RANK);
        n = 0;
    }
    cu->coords = ARENA_ARRAY(c->arena, Symbol *, n + 1);
    for (Expr *e = b->coords; e && cu->n_coords < n; e = e->next) {
        if (!local_name_free(c, e->name, e->loc))
            continue;
        Symbol *s = chk_symbol(c, SYM_COORD, e->name, e->loc);
        s->shape = SHAPE_PIXEL;
        s->slot = cu->n_coords;
        cu->coords[cu->n_coords++] = s;
        push(c, s);
    }
    check_block(c, b->stmts);
}

void chk_merge_body(Checker *c, Body *b)
{
    CheckedUdf *cu = c->cu;
    c->place = IN_MERGE;
    c->scope = NULL;
    if (strcmp(b->part_a, b->part_b) == 0) {
        diag_error(c->src, b->loc, "the parts of merge(%s, %s) need two names", b->part_a,
                   b->part_b);
        return;
    }
    cu->part_a = chk_symbol(c, SYM_PART, b->part_a, b->loc);
    cu->part_b = chk_symbol(c, SYM_PART, b->part_b, b->loc);
    if (!local_name_free(c, b->part_a, b->loc) || !local_name_free(c, b->part_b, b->loc))
        return;
    push(c, cu->part_a);
    push(c, cu->part_b);
    check_block(c, b->stmts);
}

void chk_result_body(Checker *c, Body *b)
{
    c->place = IN_RESULT;
    c->scope = NULL;
    check_block(c, b->stmts);
}
