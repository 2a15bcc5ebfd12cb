/* lower_split.c — a jammed group of frames whose body splits (lower_jam.c
 * chose JAM_SPLIT): the reductions of inputs are computed for every frame
 * of the group in one pass; the scalar statements (lets, a frame counter, a
 * single buffer's state) and the conditions of ifs run frame by frame, in
 * order, each frame's condition kept in a var; then the elementwise
 * statements go over the pixels once for all frames of the group, each pixel
 * seeing its frames in order. In a group where the condition of an if with
 * elementwise statements holds for some frame (logsum's logarithm every 63
 * frames), and then also in a tile's short last group, the elementwise
 * statements run frame by frame instead, with those of the ifs, in a loop
 * over the group's frames (one copy of the code). */
#include "lower_internal.h"

/* The body's ifs (top level only: lower_jam.c refuses nested ones) with, per
 * if, the first of its L->jam condition vars and whether it has elementwise
 * statements; and the scalar lets, in the ifs' bodies too. */
typedef struct Split {
    const Stmt **ifs;
    int *holds;
    int *elementwise;
    int n_ifs;
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
 * A frame past the tile's end stores nothing: lw_stmt tests it. */
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
        lir_append(out, lir_set(a, holds, lw_truth(L, lw_expr(L, s->cond))));
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

/* Appends a copy of statement s at *tail. */
static void append_copy(Arena *a, const Stmt *s, Stmt ***tail)
{
    Stmt *copy = ARENA_NEW(a, Stmt);
    *copy = *s;
    copy->next = NULL;
    **tail = copy;
    *tail = &copy->next;
}

/* Appends at *tail copies of list's elementwise statements, in order, and
 * (elses) of those of its ifs' else bodies. */
static void append_elementwise(Arena *a, const Stmt *list, int elses, Stmt ***tail)
{
    for (const Stmt *s = list; s; s = s->next) {
        if (s->kind == S_IF && elses)
            append_elementwise(a, s->else_body, elses, tail);
        if (lw_fusable(s) == SHAPE_PIXEL)
            append_copy(a, s, tail);
    }
}

/* Whether list (an if's body) has an elementwise statement. */
static int has_elementwise(const Stmt *list)
{
    for (const Stmt *s = list; s; s = s->next)
        if (lw_fusable(s) == SHAPE_PIXEL)
            return 1;
    return 0;
}

/* One frame's elementwise statements of list, in order: those between ifs
 * fused, an if's under the frame's condition (holds_now, a var per if). */
static void elementwise_part(Lowerer *L, const Stmt *list, const Split *sp, const int *holds_now,
                             LBlock *out)
{
    Stmt *run = NULL, **tail = &run;
    for (const Stmt *s = list; s; s = s->next) {
        if (s->kind != S_IF) {
            if (lw_fusable(s) == SHAPE_PIXEL)
                append_copy(L->arena, s, &tail);
            continue;
        }
        lw_block(L, run, out);
        run = NULL;
        tail = &run;
        LBlock then_b, else_b;
        lir_block_init(&then_b);
        lir_block_init(&else_b);
        elementwise_part(L, s->then_body, sp, holds_now, &then_b);
        elementwise_part(L, s->else_body, sp, holds_now, &else_b);
        if (then_b.head || else_b.head)
            lir_append(out, lir_if(L->arena, lw_var(L, holds_now[if_index(sp, s)]), then_b.head,
                                   else_b.head));
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

/* The vars first, first + 1, ... of the group's frames. */
static LExpr **consecutive(Lowerer *L, int first)
{
    LExpr **v = ARENA_ARRAY(L->arena, LExpr *, L->jam);
    for (int j = 0; j < L->jam; j++)
        v[j] = lw_var(L, first + j);
    return v;
}

/* The group's frames one at a time, in a loop (one copy of the code): each
 * frame's pointer, position, scalar lets and conditions picked from the
 * group's vars, then its elementwise statements. A let in an if's body is
 * picked before it may have been set, and used only where its if holds. */
static LStmt *frame_by_frame(Lowerer *L, const Split *sp)
{
    Arena *a = L->arena;
    int jam = L->jam, *let_vars = ARENA_ARRAY(a, int, sp->n_lets + 1);
    int *holds_now = ARENA_ARRAY(a, int, sp->n_ifs + 1);
    int in_group_var = lir_var(a, L->fn, "frame_in_group", UDF_DTYPE_I64);
    int nav = lw_tmp(L, "nav", UDF_DTYPE_I64);
    LExpr *in_group = lw_var(L, in_group_var);
    LBlock body, frame;
    lir_block_init(&body);
    lir_block_init(&frame);
    LExpr **pointers = ARENA_ARRAY(a, LExpr *, jam);
    for (int j = 0; j < jam; j++)
        pointers[j] = lw_var(L, L->jam_frames[j]);
    L->frame_var = lw_tmp(L, "frame", LT_PTR);
    lir_append(&body, lir_set(a, L->frame_var, pick(L, in_group, pointers)));
    lir_append(&body, lir_set(a, nav, pick(L, in_group, L->jam_pos)));
    L->pos = lw_var(L, nav);
    for (int i = 0; i < sp->n_lets; i++) {
        const Symbol *let = sp->lets[i];
        let_vars[i] = L->let_vars[let->slot];
        L->let_vars[let->slot] = lw_tmp(L, let->name, let->type);
        lir_append(&body, lir_set(a, L->let_vars[let->slot],
                                  pick(L, in_group, consecutive(L, let_vars[i]))));
    }
    for (int i = 0; i < sp->n_ifs; i++) {
        holds_now[i] = lw_tmp(L, "holds", UDF_DTYPE_BOOL);
        lir_append(&body,
                   lir_set(a, holds_now[i], pick(L, in_group, consecutive(L, sp->holds[i]))));
    }
    LExpr *valid = pick(L, in_group, L->jam_valid);
    L->jam = 1;
    elementwise_part(L, L->cu->frame->stmts, sp, holds_now, &frame);
    lir_append(&body, lir_if(a, valid, frame.head, NULL));
    for (int i = 0; i < sp->n_lets; i++)
        L->let_vars[sp->lets[i]->slot] = let_vars[i];
    L->jam = jam;
    lw_jam_select(L, 0); /* frame 0's pointer and position again */
    return lir_for(a, in_group_var, lw_i64(L, 0), lw_i64(L, jam), body.head);
}

/* The body's ifs and scalar lets, into sp (count: only how many). */
static void gather(Lowerer *L, const Stmt *list, Split *sp, int count)
{
    for (const Stmt *s = list; s; s = s->next) {
        if (s->kind == S_IF) {
            if (!count) {
                sp->ifs[sp->n_ifs] = s;
                sp->holds[sp->n_ifs] = lw_tmps(L, "holds", UDF_DTYPE_BOOL, L->jam);
                sp->elementwise[sp->n_ifs] =
                    has_elementwise(s->then_body) || has_elementwise(s->else_body);
            }
            sp->n_ifs++;
        }
        if (s->kind == S_LET && s->sym->shape == SHAPE_SCALAR) {
            if (!count)
                sp->lets[sp->n_lets] = s->sym;
            sp->n_lets++;
        }
        gather(L, s->then_body, sp, count);
        gather(L, s->else_body, sp, count);
    }
}

void lw_split_group(Lowerer *L, LBlock *out)
{
    Arena *a = L->arena;
    Stmt *body = L->cu->frame->stmts;
    Split sp = {0};
    gather(L, body, &sp, 1);
    sp.ifs = ARENA_ARRAY(a, const Stmt *, sp.n_ifs + 1);
    sp.holds = ARENA_ARRAY(a, int, sp.n_ifs + 1);
    sp.elementwise = ARENA_ARRAY(a, int, sp.n_ifs + 1);
    sp.lets = ARENA_ARRAY(a, const Symbol *, sp.n_lets + 1);
    sp.n_ifs = sp.n_lets = 0;
    gather(L, body, &sp, 0);
    Pinned ahead = lw_prehoist(L, body, out);
    for (int j = 0; j < L->jam; j++) {
        L->jam_only = j;
        lw_jam_select(L, j);
        scalar_part(L, body, &sp, out);
    }
    L->jam_only = -1;
    lw_jam_select(L, 0);
    /* Frame by frame where an if with elementwise statements holds, and
     * then in a short group too. */
    LExpr *by_frame = NULL;
    for (int i = 0; i < sp.n_ifs; i++)
        for (int j = 0; j < L->jam && sp.elementwise[i]; j++) {
            LExpr *holds = lw_var(L, sp.holds[i] + j);
            by_frame = by_frame ? lir_bin(a, OP_OR, UDF_DTYPE_BOOL, by_frame, holds) : holds;
        }
    if (by_frame)
        by_frame = lir_bin(a, OP_OR, UDF_DTYPE_BOOL, lir_un(a, OP_NOT, L->jam_valid[L->jam - 1]),
                           by_frame);
    LBlock jammed;
    lir_block_init(&jammed);
    Stmt *all = NULL, **tail = &all;
    append_elementwise(a, body, 1, &tail);
    L->jam_full = by_frame != NULL;
    lw_block(L, all, &jammed);
    L->jam_full = 0;
    if (by_frame)
        lir_append(out, lir_if(a, by_frame, frame_by_frame(L, &sp), jammed.head));
    else if (jammed.head)
        lir_append(out, jammed.head);
    lw_unpin(&ahead);
}
