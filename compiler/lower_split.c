/* lower_split.c — a jammed group of frames whose body splits (lower_jam.c
 * chose JAM_SPLIT): the reductions of inputs are computed for every frame
 * of the group in one pass; the scalar statements (lets, a frame counter, a
 * single buffer's state) and the conditions of ifs run frame by frame, in
 * order, each frame's condition kept in a var; then the elementwise
 * statements go over the pixels once for all frames of the group, each pixel
 * seeing its frames in order. In a group where an if's condition holds for
 * some frame (logsum's logarithm every 63 frames), and in a tile's short
 * last group, the elementwise statements run frame by frame instead, with
 * those of the ifs, in a loop over the group's frames (one copy of the
 * code). */
#include "lower_internal.h"

/* The body's ifs with, per if, the first of its L->jam condition vars,
 * and the scalar lets (in ifs' bodies too). */
typedef struct Split {
    const Stmt **ifs;
    int *holds;
    int n;
    const Symbol **lets;
    int n_lets;
} Split;

/* The place of if s among the body's. */
static int if_index(const Split *sp, const Stmt *s)
{
    int i = 0;
    while (sp->ifs[i] != s)
        i++;
    return i;
}

/* Frame L->jam_only's scalar statements of list, in order: an if's
 * condition into its var, and the scalar statements of its bodies under it.
 * A frame past the tile's end (in a short group, which goes frame by frame)
 * stores nothing: lw_stmt tests it. */
static void scalar_part(Lowerer *L, Stmt *list, const Split *sp, LBlock *out)
{
    Arena *a = L->arena;
    for (Stmt *s = list; s; s = s->next) {
        if (s->kind != S_IF) {
            if (lw_fusable(s) != SHAPE_PIXEL)
                lw_stmt(L, s, out);
            continue;
        }
        int holds = sp->holds[if_index(sp, s)] + L->jam_only;
        lw_hoist(L, s->cond, out);
        LExpr *cond = lw_truth(L, lw_expr(L, s->cond));
        lir_append(out, lir_set(a, holds, cond));
        lw_unhoist(s->cond);
        LBlock then_b, else_b;
        lir_block_init(&then_b);
        lir_block_init(&else_b);
        scalar_part(L, s->then_body, sp, &then_b);
        scalar_part(L, s->else_body, sp, &else_b);
        if (then_b.head || else_b.head)
            lir_append(out, lir_if(a, lw_var(L, holds), then_b.head, else_b.head));
    }
}

/* Appends at *tail copies of list's elementwise statements, in order, and
 * (elses) of those of its ifs' else bodies. */
static void append_elementwise(Arena *a, const Stmt *list, int elses, Stmt ***tail)
{
    for (const Stmt *s = list; s; s = s->next) {
        if (s->kind == S_IF && elses)
            append_elementwise(a, s->else_body, elses, tail);
        if (lw_fusable(s) != SHAPE_PIXEL)
            continue;
        Stmt *copy = ARENA_NEW(a, Stmt);
        *copy = *s;
        copy->next = NULL;
        **tail = copy;
        *tail = &copy->next;
    }
}

/* One frame's elementwise statements of list, in order: those between ifs
 * fused, an if's under its condition (`holds`, a var per if of the body). */
static void elementwise_part(Lowerer *L, const Stmt *list, const Split *sp, const int *holds,
                             LBlock *out)
{
    Stmt *run = NULL, **tail = &run;
    for (const Stmt *s = list; s; s = s->next) {
        if (s->kind != S_IF) {
            Stmt one = *s;
            one.next = NULL;
            append_elementwise(L->arena, &one, 0, &tail);
            continue;
        }
        lw_block(L, run, out);
        run = NULL;
        tail = &run;
        LBlock then_b, else_b;
        lir_block_init(&then_b);
        lir_block_init(&else_b);
        elementwise_part(L, s->then_body, sp, holds, &then_b);
        elementwise_part(L, s->else_body, sp, holds, &else_b);
        if (then_b.head || else_b.head)
            lir_append(
                out, lir_if(L->arena, lw_var(L, holds[if_index(sp, s)]), then_b.head, else_b.head));
    }
    lw_block(L, run, out);
}

/* Frame `in_group`'s value of a value per frame of the group. */
static LExpr *pick(Lowerer *L, LExpr *in_group, LExpr *const *per_frame)
{
    Arena *a = L->arena;
    LExpr *e = per_frame[L->jam - 1];
    for (int j = L->jam - 2; j >= 0; j--)
        e = lir_select(a, lir_bin(a, OP_EQ, UDF_DTYPE_BOOL, in_group, lw_i64(L, j)), per_frame[j],
                       e);
    return e;
}

/* The vars vars[j] (vars NULL: first + j) of the group's frames. */
static LExpr **frame_vars(Lowerer *L, const int *vars, int first)
{
    LExpr **v = ARENA_ARRAY(L->arena, LExpr *, L->jam);
    for (int j = 0; j < L->jam; j++)
        v[j] = lw_var(L, vars ? vars[j] : first + j);
    return v;
}

/* The group's frames one at a time, in a loop (one copy of the code): each
 * frame's pointer, position, scalar lets and conditions picked from the
 * group's vars, then its elementwise statements. */
static LStmt *frame_by_frame(Lowerer *L, const Split *sp)
{
    Arena *a = L->arena;
    Lowerer saved = *L;
    int *let_vars = ARENA_ARRAY(a, int, sp->n_lets + 1);
    int *holds = ARENA_ARRAY(a, int, sp->n + 1);
    int j = lir_var(a, L->fn, "frame_in_group", UDF_DTYPE_I64),
        nav = lw_tmp(L, "nav", UDF_DTYPE_I64);
    LExpr *in_group = lw_var(L, j);
    LBlock body, frame;
    lir_block_init(&body);
    lir_block_init(&frame);
    L->frame_var = lw_tmp(L, "frame", LT_PTR);
    lir_append(&body, lir_set(a, L->frame_var, pick(L, in_group, frame_vars(L, L->jam_frames, 0))));
    lir_append(&body, lir_set(a, nav, pick(L, in_group, L->jam_pos)));
    L->pos = lw_var(L, nav);
    for (int i = 0; i < sp->n_lets; i++) {
        const Symbol *let = sp->lets[i];
        let_vars[i] = L->let_vars[let->slot];
        L->let_vars[let->slot] = lw_tmp(L, let->name, let->type);
        lir_append(&body, lir_set(a, L->let_vars[let->slot],
                                  pick(L, in_group, frame_vars(L, NULL, let_vars[i]))));
    }
    for (int i = 0; i < sp->n; i++) {
        holds[i] = lw_tmp(L, "holds", UDF_DTYPE_BOOL);
        lir_append(&body,
                   lir_set(a, holds[i], pick(L, in_group, frame_vars(L, NULL, sp->holds[i]))));
    }
    LExpr *valid = pick(L, in_group, L->jam_valid);
    L->jam = 1;
    L->jam_index = 0;
    L->jam_only = -1;
    elementwise_part(L, L->cu->frame->stmts, sp, holds, &frame);
    lir_append(&body, lir_if(a, valid, frame.head, NULL));
    for (int i = 0; i < sp->n_lets; i++)
        L->let_vars[sp->lets[i]->slot] = let_vars[i];
    L->jam = saved.jam;
    L->frame_var = saved.frame_var;
    L->pos = saved.pos;
    return lir_for(a, j, lw_i64(L, 0), lw_i64(L, L->jam), body.head);
}

/* The body's ifs and scalar lets, into sp. */
static void gather(Lowerer *L, const Stmt *list, Split *sp, int count)
{
    for (const Stmt *s = list; s; s = s->next) {
        if (s->kind == S_IF) {
            if (!count) {
                sp->ifs[sp->n] = s;
                sp->holds[sp->n] = lw_tmps(L, "holds", UDF_DTYPE_BOOL, L->jam);
            }
            sp->n++;
            gather(L, s->then_body, sp, count);
            gather(L, s->else_body, sp, count);
        } else if (s->kind == S_LET && s->sym->shape == SHAPE_SCALAR) {
            if (!count)
                sp->lets[sp->n_lets] = s->sym;
            sp->n_lets++;
        }
    }
}

void lw_split_group(Lowerer *L, LBlock *out)
{
    Arena *a = L->arena;
    Stmt *body = L->cu->frame->stmts;
    Split sp = {0};
    gather(L, body, &sp, 1);
    sp.ifs = ARENA_ARRAY(a, const Stmt *, sp.n + 1);
    sp.holds = ARENA_ARRAY(a, int, sp.n + 1);
    sp.lets = ARENA_ARRAY(a, const Symbol *, sp.n_lets + 1);
    sp.n = sp.n_lets = 0;
    gather(L, body, &sp, 0);
    Pinned ahead = lw_prehoist(L, body, out);
    for (int j = 0; j < L->jam; j++) {
        L->jam_only = j;
        lw_jam_select(L, j);
        scalar_part(L, body, &sp, out);
    }
    L->jam_only = -1;
    lw_jam_select(L, 0);
    LBlock jammed;
    lir_block_init(&jammed);
    Stmt *all = NULL, **tail = &all;
    append_elementwise(a, body, 1, &tail);
    L->jam_full = sp.n > 0;
    lw_block(L, all, &jammed);
    L->jam_full = 0;
    /* A short group goes frame by frame too. */
    LExpr *any = sp.n ? lir_un(a, OP_NOT, L->jam_valid[L->jam - 1]) : NULL;
    for (int i = 0; i < sp.n; i++)
        for (int j = 0; j < L->jam; j++) {
            LExpr *holds = lw_var(L, sp.holds[i] + j);
            any = any ? lir_bin(a, OP_OR, UDF_DTYPE_BOOL, any, holds) : holds;
        }
    if (any)
        lir_append(out, lir_if(a, any, frame_by_frame(L, &sp), jammed.head));
    else if (jammed.head)
        lir_append(out, jammed.head);
    lw_unpin(&ahead);
}
