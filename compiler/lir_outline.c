/* lir_outline.c — moving loops and branches out of a tile; see
 * lir_outline.h.
 *
 * A statement can move out when every var it uses only itself (private) is
 * certainly written before it is read, on every path through the statement
 * (a write in one branch of an if, or in a loop that may not run, does not
 * count after it): its value then never comes from an earlier run of the
 * statement, which a piece (whose vars start afresh in each call) could not
 * see. Vars used on both sides are shared through their addresses.
 *
 * Only statements that hold a loop, and that sit in no loop but those over
 * groups of frames or of free-index values (bounds of constants, the tile's
 * depth, dims and the scan's size), move out: a call then runs once per such
 * group, never per pixel, row or run of pixels. */
#include "lir_outline.h"

#include <string.h>

#include "udfrt/config.h"

/* A shared var list longer than this is not worth a call. */
#define MAX_SHARED 64

/* A loop or branch that could move out: its size and the pre-order numbers
 * [first, end) of the statements in it, to tell nested ones apart. */
typedef struct Candidate {
    const LStmt *stmt;
    size_t size;
    int first, end;
} Candidate;

typedef struct Walk {
    Candidate *cands;
    int n_cands, cap_cands;
    int next_number;
    Arena *arena;
} Walk;

/* Counts, per var, the expressions that read it. */
static void count_expr(const LExpr *e, int *uses)
{
    if (!e)
        return;
    if (e->kind == LE_VAR || (e->kind == LE_LOAD && e->base == LB_VAR))
        uses[e->var]++;
    count_expr(e->a, uses);
    count_expr(e->b, uses);
    count_expr(e->c, uses);
}

/* Counts, per var, its reads and writes in the statement list `s`, or in
 * the one statement `s` alone if `alone`. */
static void count_stmts(const LStmt *s, int *uses, int alone)
{
    for (; s; s = alone ? NULL : s->next) {
        if (s->kind == LS_SET || s->kind == LS_FOR)
            uses[s->var]++;
        if (s->kind == LS_STORE && s->base == LB_VAR)
            uses[s->slot]++;
        count_expr(s->value, uses);
        count_expr(s->index, uses);
        count_expr(s->lo, uses);
        count_expr(s->hi, uses);
        count_expr(s->cond, uses);
        count_stmts(s->body, uses, 0);
        count_stmts(s->else_body, uses, 0);
    }
}

/* Whether the expression reads a private var (private_[v]) that is not
 * certainly written yet (written[v]). */
static int reads_unwritten(const LExpr *e, const unsigned char *private_,
                           const unsigned char *written)
{
    if (!e)
        return 0;
    int var = e->kind == LE_VAR || (e->kind == LE_LOAD && e->base == LB_VAR) ? e->var : -1;
    if (var >= 0 && private_[var] && !written[var])
        return 1;
    return reads_unwritten(e->a, private_, written) || reads_unwritten(e->b, private_, written) ||
           reads_unwritten(e->c, private_, written);
}

/* The analysis of one tile's candidates, made once and reused for each:
 * per var its uses in the tile (total) and in the candidate (inside),
 * whether it is the candidate's own (private_), certainly written so far
 * (written); and per nesting depth one more copy of the written set
 * (levels), for the paths through a loop or an if. */
typedef struct Scratch {
    Arena *arena;
    size_t n; /* vars */
    int *total, *inside;
    unsigned char *private_, *written;
    unsigned char **levels;
    int n_levels;
} Scratch;

static unsigned char *level(Scratch *p, int depth)
{
    if (depth >= p->n_levels) {
        int n = 2 * depth + 8;
        unsigned char **grown = ARENA_ARRAY(p->arena, unsigned char *, n);
        if (p->n_levels)
            memcpy(grown, p->levels, sizeof *grown * (size_t)p->n_levels);
        for (int d = p->n_levels; d < n; d++)
            grown[d] = ARENA_ARRAY(p->arena, unsigned char, p->n);
        p->levels = grown;
        p->n_levels = n;
    }
    return p->levels[depth];
}

/* Whether, on some path through the statements (at nesting `depth`), a
 * private var is read before it is written. written[] holds the vars
 * certainly written before them, and after them on return. */
static int read_before_write(Scratch *p, const LStmt *s, int alone, int depth,
                             unsigned char *written)
{
    const unsigned char *private_ = p->private_;
    for (; s; s = alone ? NULL : s->next) {
        if (reads_unwritten(s->value, private_, written) ||
            reads_unwritten(s->index, private_, written) ||
            reads_unwritten(s->lo, private_, written) ||
            reads_unwritten(s->hi, private_, written) ||
            reads_unwritten(s->cond, private_, written) ||
            (s->kind == LS_STORE && s->base == LB_VAR && private_[s->slot] && !written[s->slot]))
            return 1;
        if (s->kind == LS_SET || s->kind == LS_FOR) /* a loop's var: set before its first test */
            written[s->var] = 1;
        if (s->kind != LS_FOR && s->kind != LS_IF)
            continue;
        /* The body (or the then branch) on a copy: a loop may not run, and
         * after an if only what both branches write is certain. */
        unsigned char *then_written = level(p, depth);
        memcpy(then_written, written, p->n);
        if (read_before_write(p, s->body, 0, depth + 1, then_written) ||
            read_before_write(p, s->else_body, 0, depth + 1, written))
            return 1;
        for (size_t v = 0; s->kind == LS_IF && v < p->n; v++)
            written[v] &= then_written[v];
    }
    return 0;
}

/* Marks in assigned[] every var the statements write, on any path. */
static void mark_writes(const LStmt *s, int alone, unsigned char *assigned)
{
    for (; s; s = alone ? NULL : s->next) {
        if (s->kind == LS_SET || s->kind == LS_FOR)
            assigned[s->var] = 1;
        mark_writes(s->body, 0, assigned);
        mark_writes(s->else_body, 0, assigned);
    }
}

/* Whether e uses only constants and the sizes of the tile, the dims and
 * the scan: a loop with such bounds goes over groups of frames or of
 * free-index values. */
static int group_bound(const LExpr *e)
{
    if (!e)
        return 1;
    if (e->kind == LE_VAR || e->kind == LE_LOAD ||
        (e->kind == LE_FIELD && e->field != LX_DEPTH && e->field != LX_DIM &&
         e->field != LX_NAV_SIZE && e->field != LX_NAV_SHAPE))
        return 0;
    return group_bound(e->a) && group_bound(e->b) && group_bound(e->c);
}

/* Whether the statement list holds a loop. */
static int has_loop(const LStmt *s)
{
    for (; s; s = s->next)
        if (s->kind == LS_FOR || has_loop(s->body) || has_loop(s->else_body))
            return 1;
    return 0;
}

/* Numbers the statements in pre-order and collects the loops and branches
 * that hold a loop, where every loop around them (`grouped`) is over groups. */
static void collect(Walk *w, const LStmt *s, int grouped)
{
    for (; s; s = s->next) {
        int first = w->next_number++;
        int inner = grouped && (s->kind != LS_FOR || (group_bound(s->lo) && group_bound(s->hi)));
        collect(w, s->body, inner);
        collect(w, s->else_body, inner);
        if ((s->kind != LS_FOR && s->kind != LS_IF) || !grouped ||
            !(s->kind == LS_FOR || has_loop(s->body) || has_loop(s->else_body)))
            continue;
        if (w->n_cands == w->cap_cands) {
            int cap = w->cap_cands ? 2 * w->cap_cands : 32;
            Candidate *grown = ARENA_ARRAY(w->arena, Candidate, cap);
            if (w->n_cands)
                memcpy(grown, w->cands, sizeof *grown * (size_t)w->n_cands);
            w->cands = grown;
            w->cap_cands = cap;
        }
        w->cands[w->n_cands++] = (Candidate){s, lir_stmt_size(s), first, w->next_number};
    }
}

/* The vars a candidate shares with the rest of the tile, in shared[], and
 * whether it writes each; -1 if it cannot move out. */
static int shared_vars(Scratch *p, const LStmt *s, int *shared, unsigned char *assigned)
{
    memset(p->inside, 0, sizeof *p->inside * p->n);
    count_stmts(s, p->inside, 1);
    int n = 0;
    for (size_t v = 0; v < p->n; v++) {
        p->private_[v] = p->inside[v] > 0 && p->inside[v] == p->total[v];
        if (p->inside[v] > 0 && p->inside[v] < p->total[v]) {
            if (n == MAX_SHARED)
                return -1;
            shared[n++] = (int)v;
        }
    }
    memset(p->written, 0, p->n);
    if (read_before_write(p, s, 1, 0, p->written))
        return -1;
    memset(p->written, 0, p->n);
    mark_writes(s, 1, p->written);
    for (int k = 0; k < n; k++)
        assigned[k] = p->written[shared[k]];
    return n;
}

/* The larger of two threads' work when the shell and the pieces are handed
 * out largest first, each to the less busy thread. */
static size_t busier_thread(size_t shell, const size_t *pieces, int n)
{
    size_t items[1 + LIR_MAX_PIECES] = {shell};
    for (int k = 0; k < n; k++)
        items[k + 1] = pieces[k];
    for (int i = 1; i <= n; i++) /* sort descending */
        for (int j = i; j > 0 && items[j] > items[j - 1]; j--) {
            size_t t = items[j];
            items[j] = items[j - 1];
            items[j - 1] = t;
        }
    size_t bins[2] = {0, 0};
    for (int i = 0; i <= n; i++)
        bins[bins[1] < bins[0]] += items[i];
    return bins[0] > bins[1] ? bins[0] : bins[1];
}

/* The statement list `s` copied, each chosen statement replaced by a call
 * of its piece. */
static LStmt *copy_replacing(Arena *a, const LStmt *s, const Outlined *out,
                             const LStmt *const *chosen)
{
    if (!s)
        return NULL;
    LStmt *copy = NULL;
    for (int k = 0; k < out->n_pieces; k++)
        if (s == chosen[k])
            copy = lir_call(a, out->pieces[k]);
    if (!copy) {
        copy = ARENA_NEW(a, LStmt);
        *copy = *s;
        copy->body = copy_replacing(a, s->body, out, chosen);
        copy->else_body = copy_replacing(a, s->else_body, out, chosen);
    }
    copy->next = copy_replacing(a, s->next, out, chosen);
    return copy;
}

/* The piece that runs statement s alone. */
static LFunc *make_piece(Arena *a, const LFunc *tile, int number, const LStmt *s, Scratch *p)
{
    int *shared = ARENA_ARRAY(a, int, MAX_SHARED);
    unsigned char *assigned = ARENA_ARRAY(a, unsigned char, MAX_SHARED);
    LFunc *piece = ARENA_NEW(a, LFunc);
    *piece = *tile;
    piece->kind = LFK_PIECE;
    piece->name = arena_printf(a, "%s.piece%d", tile->name, number);
    piece->n_shared = shared_vars(p, s, shared, assigned);
    piece->shared = shared;
    piece->assigned = assigned;
    LStmt *body = ARENA_NEW(a, LStmt);
    *body = *s;
    body->next = NULL;
    piece->body = body;
    return piece;
}

int lir_outline(Arena *a, const LFunc *tile, Outlined *out)
{
    Walk w = {.arena = a};
    collect(&w, tile->body, 1);
    size_t whole = lir_size(tile);
    if (whole < UDF_OUTLINE_MIN_WORK || tile->n_vars <= 0)
        return 0;
    size_t n_vars = (size_t)tile->n_vars;
    Scratch p = {.arena = a,
                 .n = n_vars,
                 .total = ARENA_ARRAY(a, int, n_vars),
                 .inside = ARENA_ARRAY(a, int, n_vars),
                 .private_ = ARENA_ARRAY(a, unsigned char, n_vars),
                 .written = ARENA_ARRAY(a, unsigned char, n_vars)};
    int shared[MAX_SHARED];
    unsigned char assigned[MAX_SHARED];
    count_stmts(tile->body, p.total, 0);
    /* The candidates that can move out and are worth a call. */
    int n = 0;
    for (int i = 0; i < w.n_cands; i++)
        if (w.cands[i].size * 16 >= whole &&
            shared_vars(&p, w.cands[i].stmt, shared, assigned) >= 0)
            w.cands[n++] = w.cands[i];
    size_t best = whole;
    int pick[LIR_MAX_PIECES] = {-1, -1};
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            const Candidate *x = &w.cands[i], *y = &w.cands[j];
            int pair = j != i;
            if (pair && x->first < y->end && y->first < x->end)
                continue; /* nested */
            size_t sizes[2] = {x->size, y->size};
            size_t cost = busier_thread(whole - x->size - (pair ? y->size : 0), sizes, 1 + pair);
            if (cost < best) {
                best = cost;
                pick[0] = i;
                pick[1] = pair ? j : -1;
            }
        }
    if (pick[0] < 0 || best * 100 > whole * UDF_OUTLINE_MAX_SHARE)
        return 0;
    const LStmt *chosen[LIR_MAX_PIECES];
    out->n_pieces = 0;
    for (int k = 0; k < LIR_MAX_PIECES && pick[k] >= 0; k++) {
        chosen[k] = w.cands[pick[k]].stmt;
        out->pieces[k] = make_piece(a, tile, k, chosen[k], &p);
        out->n_pieces++;
    }
    out->shell = ARENA_NEW(a, LFunc);
    *out->shell = *tile;
    out->shell->body = copy_replacing(a, tile->body, out, chosen);
    return 1;
}
