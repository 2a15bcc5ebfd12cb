/* check.c — the checker's driver: one udf at a time, declarations, then the
 * bodies, then what only the whole udf shows (missing merges, derived
 * buffers). Also the symbol helpers the checker's files share. */
#include <string.h>

#include "check_internal.h"

Symbol *chk_symbol(Checker *c, SymKind kind, const char *name, Loc loc)
{
    Symbol *s = ARENA_NEW(c->arena, Symbol);
    s->kind = kind;
    s->name = name;
    s->loc = loc;
    return s;
}

Symbol *chk_find(Symbol *list, const char *name)
{
    for (Symbol *s = list; s; s = s->next_in_scope)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

Symbol *chk_lookup(Checker *c, const char *name)
{
    Symbol *s = chk_find(c->scope, name);
    return s ? s : chk_find(c->globals, name);
}

void chk_add_buffer(Checker *c, Symbol *s)
{
    CheckedUdf *cu = c->cu;
    if (cu->n_buffers == c->cap_buffers) {
        c->cap_buffers = c->cap_buffers ? 2 * c->cap_buffers : 16;
        Symbol **grown = ARENA_ARRAY(c->arena, Symbol *, c->cap_buffers);
        if (cu->n_buffers)
            memcpy(grown, cu->buffers, sizeof *grown * (size_t)cu->n_buffers);
        cu->buffers = grown;
    }
    s->slot = cu->n_buffers;
    cu->buffers[cu->n_buffers++] = s;
    s->next_in_scope = c->globals;
    c->globals = s;
}

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32)
        return 99;
    int row[33];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The visible name or builtin closest to `name`, if it is a likely typo. */
static const char *suggest(Checker *c, const char *name, int functions)
{
    const char *best = NULL;
    /* Up to one edit for short names, two for longer ones. */
    int best_d = (strlen(name) <= 4 ? 1 : 2) + 1;
    if (!functions) {
        Symbol *lists[2] = {c->scope, c->globals};
        for (int l = 0; l < 2; l++)
            for (Symbol *s = lists[l]; s; s = s->next_in_scope) {
                int d = edit_distance(name, s->name);
                if (d < best_d && s->kind != SYM_FREE) {
                    best_d = d;
                    best = s->name;
                }
            }
    }
    int n;
    const struct Builtin *bt = builtin_table(&n);
    for (int i = 0; i < n; i++) {
        int d = edit_distance(name, bt[i].name);
        if (d < best_d) {
            best_d = d;
            best = bt[i].name;
        }
    }
    return best;
}

void chk_unknown(Checker *c, Loc loc, const char *what, const char *name)
{
    const char *hint = suggest(c, name, strcmp(what, "function") == 0);
    if (hint)
        diag_error(c->src, loc, "unknown %s '%s'; did you mean '%s'?", what, name, hint);
    else
        diag_error(c->src, loc, "unknown %s '%s'", what, name);
}

/* The names every udf has; none can be declared. */
static const struct {
    const char *name;
    SymKind kind;
    Shape shape;
} predefined[] = {
    {"frame", SYM_FRAME, SHAPE_PIXEL},      {"index", SYM_INDEX, SHAPE_SCALAR},
    {"nav_shape", SYM_SHAPE, SHAPE_SCALAR}, {"sig_shape", SYM_SHAPE, SHAPE_SCALAR},
    {"nav_size", SYM_SIZE, SHAPE_SCALAR},   {"sig_size", SYM_SIZE, SHAPE_SCALAR},
};

int chk_predefined(const char *name)
{
    for (size_t i = 0; i < sizeof predefined / sizeof *predefined; i++)
        if (strcmp(predefined[i].name, name) == 0)
            return 1;
    return 0;
}

static void add_predefined(Checker *c)
{
    for (size_t i = 0; i < sizeof predefined / sizeof *predefined; i++) {
        Symbol *s = chk_symbol(c, predefined[i].kind, predefined[i].name, (Loc){0});
        s->shape = predefined[i].shape;
        s->type = UDF_DTYPE_I64;
        s->next_in_scope = c->globals;
        c->globals = s;
    }
}

static void check_bodies(Checker *c, Udf *u)
{
    CheckedUdf *cu = c->cu;
    for (Body *b = u->bodies; b; b = b->next) {
        Body **slot = b->kind == B_FRAME   ? &cu->frame
                      : b->kind == B_MERGE ? &cu->merge
                                           : &cu->result;
        static const char *const names[] = {
            [B_FRAME] = "frame", [B_MERGE] = "merge", [B_RESULT] = "result"};
        if (*slot) {
            diag_error(c->src, b->loc, "udf '%s' has a second %s body", u->name, names[b->kind]);
            continue;
        }
        *slot = b;
    }
    /* Frame first: it decides merge rules, which merge and result rely on. */
    if (cu->frame)
        chk_frame_body(c, cu->frame);
    else
        diag_error(c->src, u->loc, "udf '%s' has no frame body: say what to do with each frame",
                   u->name);
    if (cu->merge)
        chk_merge_body(c, cu->merge);
    if (cu->result)
        chk_result_body(c, cu->result);
}

void chk_note_frame_read(Checker *c, Expr *e)
{
    if (c->n_frame_reads == c->cap_frame_reads) {
        c->cap_frame_reads = c->cap_frame_reads ? 2 * c->cap_frame_reads : 16;
        Expr **grown = ARENA_ARRAY(c->arena, Expr *, c->cap_frame_reads);
        if (c->n_frame_reads)
            memcpy(grown, c->frame_reads, sizeof *grown * (size_t)c->n_frame_reads);
        c->frame_reads = grown;
    }
    c->frame_reads[c->n_frame_reads++] = e;
}

static void check_merges(Checker *c)
{
    CheckedUdf *cu = c->cu;
    for (int i = 0; i < cu->n_buffers; i++) {
        Symbol *b = cu->buffers[i];
        if (b->merge == MERGE_USER && !b->in_merge)
            diag_error(c->src, b->loc,
                       "buffer '%s' needs a merge: its updates are not all `+=`, "
                       "`= max(%s, ...)` or `= min(%s, ...)`; assign it in merge(a, b)",
                       b->name, b->name, b->name);
        if (!b->in_frame && !b->in_merge && b->in_result)
            b->derived = 1;
    }
    for (int i = 0; i < c->n_frame_reads; i++) {
        Expr *e = c->frame_reads[i];
        Symbol *b = e->kind == E_INDEX ? e->base->sym : e->sym;
        if (b->derived)
            diag_error(c->src, e->loc,
                       "'%s' is computed in `result`, after all frames; the frame body cannot "
                       "read it",
                       b->name);
    }
}

static void check_udf(Checker *c, Udf *u)
{
    CheckedUdf *cu = c->cu;
    cu->udf = u;
    cu->src = c->src;
    c->globals = NULL;
    c->scope = NULL;
    c->n_lets = 0;
    c->cap_buffers = 0;
    c->n_frame_reads = c->cap_frame_reads = 0;
    add_predefined(c);
    c->place = IN_DECL;
    chk_declarations(c, u);
    check_bodies(c, u);
    cu->n_lets = c->n_lets;
    check_merges(c);
}

CheckedProgram *check_program(Program *prog)
{
    Source *src = prog->src;
    CheckedProgram *cp = ARENA_NEW(prog->arena, CheckedProgram);
    cp->program = prog;
    for (Udf *u = prog->udfs; u; u = u->next)
        cp->n_udfs++;
    cp->udfs = ARENA_ARRAY(prog->arena, CheckedUdf, cp->n_udfs + 1);
    Checker c = {.src = src, .arena = prog->arena};
    int i = 0;
    for (Udf *u = prog->udfs; u; u = u->next, i++) {
        for (Udf *v = prog->udfs; v != u; v = v->next)
            if (strcmp(v->name, u->name) == 0) {
                diag_error(src, u->loc, "udf '%s' is defined twice", u->name);
                break;
            }
        c.cu = &cp->udfs[i];
        check_udf(&c, u);
    }
    if (!prog->udfs && src->errors == 0)
        diag_error(src, (Loc){1, 1, 1, 1}, "no udf in this file (expected `udf NAME { ... }`)");
    return src->errors ? NULL : cp;
}

int dim_same(const Dim *a, const Dim *b)
{
    if (a->kind != b->kind)
        return 0;
    return a->kind == DIM_VAR ? a->var == b->var : a->value == b->value;
}
