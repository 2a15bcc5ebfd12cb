/* lower_block.c — a block of statements in loop IR, with fusion:
 * consecutive elementwise statements over the same domain (pixels, or scan
 * positions in `result`) share one loop, so every input value is loaded once
 * per pixel and a detector-shaped `let` is a value per pixel computed where
 * it stands. A let used after its loop is recomputed there, unless a buffer it
 * reads changed in between: then its values are kept in a scratch buffer.
 * Statements with reductions, scatters, free indices or gradients, scalar
 * statements and ifs each stand alone, in order. */
#include <string.h>

#include "builtins.h"
#include "lower_internal.h"

static int has_reduction(const Expr *e, unsigned long long walk)
{
    for (; e; e = e->next) {
        if (e->kind == E_CALL && e->builtin &&
            (e->builtin->cls == BC_REDUCE || e->builtin->cls == BC_RESULT_ONLY))
            return 1;
        const Symbol *let =
            e->sym && e->sym->shape != SHAPE_SCALAR ? expr_walk_enters(e, walk) : NULL;
        if (let && has_reduction(let->value, walk))
            return 1;
        if (has_reduction(e->lhs, walk) || has_reduction(e->rhs, walk) ||
            has_reduction(e->args, walk) || has_reduction(e->base, walk))
            return 1;
    }
    return 0;
}

int lw_has_reduction(const Expr *e) { return has_reduction(e, expr_walk_begin()); }

Shape lw_fusable(const Stmt *s)
{
    switch (s->kind) {
    case S_LET:
        return s->sym->shape != SHAPE_SCALAR && !lw_has_reduction(s->value) ? s->sym->shape
                                                                            : SHAPE_SCALAR;
    case S_ASSIGN: {
        const Expr *t = s->target;
        if (t->shape == SHAPE_SCALAR || lw_has_reduction(s->value))
            return SHAPE_SCALAR;
        if (t->sym->buf_kind == UDF_KIND_SINGLE) /* a scatter into a single buffer */
            return SHAPE_SCALAR;
        if (t->kind == E_INDEX)
            for (const Expr *a = t->args; a; a = a->next)
                if (a->shape != SHAPE_SCALAR || (a->sym && a->sym->kind == SYM_FREE) ||
                    lw_has_reduction(a))
                    return SHAPE_SCALAR;
        if (t->sym->buf_kind == UDF_KIND_NAV && t->shape == SHAPE_PIXEL)
            return SHAPE_SCALAR; /* a scatter into a nav buffer */
        return t->shape;
    }
    case S_DERIVED:
        return !lw_has_reduction(s->decl->init) && s->sym->buf_kind != UDF_KIND_SINGLE
                   ? (s->sym->buf_kind == UDF_KIND_SIG ? SHAPE_PIXEL : SHAPE_NAV)
                   : SHAPE_SCALAR;
    case S_IF: return SHAPE_SCALAR;
    }
    return SHAPE_SCALAR;
}

/* Whether `e` reads let `let` (directly or through other lets). */
static int uses_let(const Expr *e, const Symbol *let) { return e && expr_reads(e, let); }

static int stmt_uses_let(const Stmt *s, const Symbol *let)
{
    for (; s; s = s->next) {
        if (uses_let(s->value, let) || uses_let(s->cond, let) ||
            (s->decl && uses_let(s->decl->init, let)) ||
            (s->target && s->target->kind == E_INDEX && uses_let(s->target->args, let)))
            return 1;
        if (stmt_uses_let(s->then_body, let) || stmt_uses_let(s->else_body, let))
            return 1;
    }
    return 0;
}

/* Whether statement s (or a block under it) writes a buffer that `e` reads. */
static int writes_read_buffer(const Stmt *s, const Expr *e)
{
    for (; s; s = s->next) {
        const Symbol *b = s->kind == S_ASSIGN    ? s->target->sym
                          : s->kind == S_DERIVED ? s->sym
                                                 : NULL;
        if (b && expr_reads(e, b))
            return 1;
        if (writes_read_buffer(s->then_body, e) || writes_read_buffer(s->else_body, e))
            return 1;
    }
    return 0;
}

static int one_stmt_writes(const Stmt *s, const Expr *e)
{
    Stmt copy = *s;
    copy.next = NULL;
    return writes_read_buffer(&copy, e);
}

static int one_stmt_uses(const Stmt *s, const Symbol *let)
{
    Stmt copy = *s;
    copy.next = NULL;
    return stmt_uses_let(&copy, let);
}

/* Whether e (through the pixel lets it reads) computes a function whose last
 * bit the vectorised loop (libmvec) and its scalar remainder (libm) may round
 * differently: a let recomputed in two loops would then have two values. */
static int rounds_by_loop(const Expr *e, unsigned long long walk)
{
    for (; e; e = e->next) {
        if (e->kind == E_CALL && e->builtin &&
            (e->builtin->id == BI_EXP || e->builtin->id == BI_LOG || e->builtin->id == BI_LOG1P ||
             e->builtin->id == BI_SIN || e->builtin->id == BI_COS || e->builtin->id == BI_TAN ||
             e->builtin->id == BI_ATAN2))
            return 1;
        if (e->kind == E_BINARY && e->op == OP_POW && type_is_float(e->optype))
            return 1;
        const Symbol *let =
            e->sym && e->sym->shape != SHAPE_SCALAR ? expr_walk_enters(e, walk) : NULL;
        if ((let && rounds_by_loop(let->value, walk)) || rounds_by_loop(e->lhs, walk) ||
            rounds_by_loop(e->rhs, walk) || rounds_by_loop(e->args, walk) ||
            rounds_by_loop(e->base, walk))
            return 1;
    }
    return 0;
}

/* A scratch sig (or nav) buffer holding a let's values for later uses; in
 * a jammed frame body, one block per frame of the group, as each frame's
 * values are kept before the next frame's uses. */
static Symbol *scratch_for(Lowerer *L, const Symbol *let)
{
    Symbol *b =
        lw_scratch_buffer(L, arena_printf(L->arena, ".let.%s", let->name),
                          let->shape == SHAPE_PIXEL ? UDF_KIND_SIG : UDF_KIND_NAV, let->type);
    if (L->jam > 1) {
        b->per_jam = 1;
        b->rank = 1;
        b->dims[0] = (Dim){.kind = DIM_LITERAL, .value = L->jam};
    }
    return b;
}

/* Lets of group [first, end) that later statements outside the group use
 * after a statement changed a buffer the let reads get scratch buffers. A
 * statement that changes such a buffer counts as changing it before its own
 * uses: an `if` body may write first and read the let after, and a scatter
 * writes at one pixel before it reads the let at the next. So do lets whose
 * values would round differently where they are recomputed (rounds_by_loop):
 * one value, kept, for all their uses. */
static void plan_scratch(Lowerer *L, Stmt **s, int n, int first, int end)
{
    for (int i = first; i < end; i++) {
        if (s[i]->kind != S_LET || L->let_scratch[s[i]->sym->slot])
            continue;
        const Symbol *let = s[i]->sym;
        int changed = rounds_by_loop(let->value, expr_walk_begin());
        for (int j = i + 1; j < n; j++) {
            changed |= one_stmt_writes(s[j], let->value);
            if (j >= end && changed && one_stmt_uses(s[j], let)) {
                L->let_scratch[let->slot] = scratch_for(L, let);
                break;
            }
        }
    }
}

/* The group's statements at the current pixel for every frame of a jammed
 * group: the whole group for frame 0, then for frame 1, ... — each pixel
 * sees its frames in order, as without jamming. `guarded`: frames past the
 * tile's end (a short last group) are skipped. */
static LStmt *group_body(Lowerer *L, Stmt **s, int first, int end, int guarded)
{
    Arena *a = L->arena;
    LBlock body;
    lir_block_init(&body);
    int current = L->jam_index;
    for (int j = 0; j < L->jam; j++) {
        lw_jam_select(L, j);
        LBlock frame;
        lir_block_init(&frame);
        for (int i = first; i < end; i++) {
            const Stmt *st = s[i];
            if (st->kind == S_LET && L->let_cached[st->sym->slot])
                continue; /* its uses load the values kept for the partition */
            if (st->kind == S_LET) {
                LetBinding lets = {0};
                lw_bind_lets(L, st->value, &frame, &lets);
                int var = lir_var(a, L->fn, st->name, st->sym->type);
                lir_append(&frame, lir_set(a, var, lw_expr(L, st->value)));
                L->let_vars[st->sym->slot] = var;
                L->let_in_loop[st->sym->slot] = 1;
                const Symbol *scratch = L->let_scratch[st->sym->slot];
                LExpr *in_range;
                if (scratch)
                    lir_append(&frame,
                               lir_store(a, LB_BUF, scratch->slot, scratch->type,
                                         lw_element(L, scratch, NULL, &in_range), lw_var(L, var)));
                lw_unbind_lets(L, &lets);
            } else {
                lir_append(&frame, lw_update_here(L, st));
            }
        }
        if (guarded && frame.head)
            lir_append(&body, lir_if(a, L->jam_valid[j], frame.head, NULL));
        else if (frame.head)
            lir_append(&body, frame.head);
    }
    lw_jam_select(L, current);
    return body.head;
}

/* One loop over the domain for a group of fusable statements (begun in d).
 * Jammed frames get two loops: the common one for a full group, without
 * tests, and one that skips the frames a short last group lacks (unless the
 * group is known to be full). */
static LStmt *lower_group(Lowerer *L, Stmt **s, int first, int end, Domain *d)
{
    LStmt *full = lw_domain_end(L, d, group_body(L, s, first, end, 0));
    if (L->jam > 1 && !L->jam_full) {
        Domain short_group;
        lw_domain_begin(L, d->shape, &short_group);
        LStmt *guarded = lw_domain_end(L, &short_group, group_body(L, s, first, end, 1));
        full = lir_if(L->arena, L->jam_valid[L->jam - 1], full, guarded);
    }
    for (int i = first; i < end; i++)
        if (s[i]->kind == S_LET)
            L->let_in_loop[s[i]->sym->slot] = 0;
    return full;
}

/* Whether reduction argument `e` reads only what no statement of a frame
 * body changes: the frame, coordinates, params, dims, the nav index, and
 * pixel lets of the same kind. Such reductions can all be computed in one
 * pass at the start of the body. */
static int only_inputs(const Expr *e, unsigned long long walk)
{
    for (; e; e = e->next) {
        const Symbol *s = e->sym;
        if (e->kind == E_CALL && e->builtin->cls != BC_SAME_TYPE &&
            e->builtin->cls != BC_FLOAT_FN && e->builtin->cls != BC_SELECT &&
            e->builtin->cls != BC_PREDICATE)
            return 0;
        if (s && e->kind != E_INDEX) {
            switch (s->kind) {
            case SYM_FRAME:
            case SYM_COORD:
            case SYM_PARAM:
            case SYM_DIMVAR:
            case SYM_INDEX:
            case SYM_SHAPE:
            case SYM_SIZE: break;
            case SYM_LET: {
                const Symbol *let = s->shape == SHAPE_PIXEL ? expr_walk_enters(e, walk) : NULL;
                if (s->shape != SHAPE_PIXEL || (let && !only_inputs(let->value, walk)))
                    return 0;
                break;
            }
            default: return 0;
            }
        }
        if (e->kind == E_INDEX && e->sym && e->sym->kind != SYM_PARAM && e->sym->kind != SYM_SHAPE)
            return 0;
        if (!only_inputs(e->lhs, walk) || !only_inputs(e->rhs, walk) ||
            !only_inputs(e->args, walk) || (e->kind == E_INDEX && !only_inputs(e->base, walk)))
            return 0;
    }
    return 1;
}

/* Whether e is a reduction over the pixels of inputs only. */
static int computable_ahead(const Expr *e)
{
    return e->kind == E_CALL && e->builtin->cls == BC_REDUCE && e->args->shape == SHAPE_PIXEL &&
           only_inputs(e->args, expr_walk_begin());
}

static int all_ahead(const Expr *e, unsigned long long walk)
{
    for (; e; e = e->next) {
        Symbol *let = e->sym && e->sym->shape == SHAPE_PIXEL ? expr_walk_enters(e, walk) : NULL;
        if ((let && !all_ahead(let->value, walk)) || !all_ahead(e->lhs, walk) ||
            !all_ahead(e->rhs, walk) || !all_ahead(e->args, walk))
            return 0;
        if (e->kind == E_CALL && e->builtin->cls == BC_REDUCE && !computable_ahead(e))
            return 0;
    }
    return 1;
}

int lw_reductions_ahead(const Expr *e) { return all_ahead(e, expr_walk_begin()); }

static void collect(Lowerer *L, Expr *e, Pinned *f, unsigned long long walk)
{
    for (; e; e = e->next) {
        Symbol *let = e->sym && e->sym->shape == SHAPE_PIXEL ? expr_walk_enters(e, walk) : NULL;
        if (let)
            collect(L, let->value, f, walk);
        collect(L, e->lhs, f, walk);
        collect(L, e->rhs, f, walk);
        collect(L, e->args, f, walk);
        if (e->pinned || !computable_ahead(e))
            continue; /* pinned: computed ahead by an enclosing statement list */
        int seen = 0;
        for (int i = 0; i < f->n; i++)
            seen |= f->list[i] == e;
        if (seen)
            continue;
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 8;
            Expr **grown = ARENA_ARRAY(L->arena, Expr *, f->cap);
            if (f->n)
                memcpy(grown, f->list, sizeof *grown * (size_t)f->n);
            f->list = grown;
        }
        f->list[f->n++] = e;
    }
}

/* Computes, in one pass, each reduction of inputs in the statements of
 * list (and in the conditions of its ifs) if there are at least `least`,
 * and pins them. */
static Pinned prehoist(Lowerer *L, Stmt *list, int least, LBlock *out)
{
    Pinned f = {0};
    unsigned long long walk = expr_walk_begin();
    for (Stmt *s = list; s; s = s->next) {
        collect(L, s->value, &f, walk);
        collect(L, s->cond, &f, walk);
        if (s->target && s->target->kind == E_INDEX)
            collect(L, s->target->args, &f, walk);
    }
    if (f.n < least) {
        f.n = 0;
        return f;
    }
    lw_reduce(L, f.list, f.n, out);
    for (int i = 0; i < f.n; i++)
        f.list[i]->pinned = 1;
    return f;
}

Pinned lw_prehoist(Lowerer *L, Stmt *list, LBlock *out) { return prehoist(L, list, 1, out); }

void lw_unpin(Pinned *p)
{
    for (int i = 0; i < p->n; i++) {
        p->list[i]->pinned = 0;
        p->list[i]->hoisted = 0;
    }
}

static void lower_range(Lowerer *L, Stmt **s, int n, LBlock *out)
{
    for (int i = 0; i < n;) {
        Shape domain = lw_fusable(s[i]);
        if (domain == SHAPE_SCALAR) {
            /* A pixel or nav let that fuses with nothing is computed at its
             * uses, each in its own loop: after a statement between changed
             * what it reads, its values come from scratch, kept where it
             * stands. */
            if (s[i]->kind == S_LET && s[i]->sym->shape != SHAPE_SCALAR)
                plan_scratch(L, s, n, i, i + 1);
            lw_stmt(L, s[i], out);
            i++;
            continue;
        }
        int end = i + 1;
        while (end < n && lw_fusable(s[end]) == domain)
            end++;
        plan_scratch(L, s, n, i, end);
        /* A group of lets that nothing keeps computes nothing: its uses
         * recompute the values where they are needed. */
        int needed = 0;
        for (int k = i; k < end; k++)
            needed |= s[k]->kind != S_LET ||
                      (L->let_scratch[s[k]->sym->slot] && !L->let_cached[s[k]->sym->slot]);
        if (needed) {
            Domain d;
            lw_domain_begin(L, domain, &d);
            lir_append(out, lower_group(L, s, i, end, &d));
        }
        i = end;
    }
}

void lw_block(Lowerer *L, Stmt *stmts, LBlock *out)
{
    int n = 0;
    for (Stmt *st = stmts; st; st = st->next)
        n++;
    Stmt **s = ARENA_ARRAY(L->arena, Stmt *, n + 1);
    n = 0;
    for (Stmt *st = stmts; st; st = st->next)
        s[n++] = st;
    /* In the frame body, every reduction that reads only the frame and other
     * inputs is computed in one fused pass at the start (com's three sums,
     * fem's count and sum), so the frame is read once for all of them. */
    Pinned pinned = {0};
    if (L->place == IN_FRAME)
        pinned = prehoist(L, stmts, 2, out);
    lower_range(L, s, n, out);
    lw_unpin(&pinned);
}
