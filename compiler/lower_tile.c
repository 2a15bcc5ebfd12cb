/* lower_tile.c — the tile entry point and its loop order.
 *
 * Frames outside (the plain schedule): every frame of the tile runs the
 * whole frame body. Right for bodies that reduce each frame to per-frame
 * values: the frame streams through once per pass, from L2.
 *
 * Pixel blocks outside (the blocked schedule), when the body ends in a fused
 * elementwise group that accumulates into sig buffers (sum, stddev, logsum,
 * max): the statements before the group run for a chunk of frames first,
 * keeping the per-frame values the group needs in small arrays; then, block
 * of pixels by block, the group runs over those frames, so the accumulators
 * of a block stay in L1 while every frame's pixels stream past. */
#include "lower_internal.h"
#include "udfrt/config.h"

/* What the blocked schedule needs to know about a frame body. */
typedef struct Plan {
    Stmt **s;
    int n, group; /* statements s[group, n) form the trailing group */
    const Symbol *lets[64]; /* scalar lets the group reads */
    int n_lets;
    const Symbol *bufs[64]; /* sig buffers the group touches */
    int n_bufs;
} Plan;

static int add_buffer(Plan *p, const Symbol *b)
{
    for (int i = 0; i < p->n_bufs; i++)
        if (p->bufs[i] == b)
            return 1;
    if (p->n_bufs == (int)(sizeof p->bufs / sizeof *p->bufs))
        return 0;
    p->bufs[p->n_bufs++] = b;
    return 1;
}

static int in_group(const Plan *p, const Symbol *let)
{
    for (int i = p->group; i < p->n; i++)
        if (p->s[i]->kind == S_LET && p->s[i]->sym == let)
            return 1;
    return 0;
}

static int add_let(Plan *p, const Symbol *let)
{
    for (int i = 0; i < p->n_lets; i++)
        if (p->lets[i] == let)
            return 1;
    if (p->n_lets == (int)(sizeof p->lets / sizeof *p->lets))
        return 0;
    p->lets[p->n_lets++] = let;
    return 1;
}

static int type_bytes(udf_dtype t) { return t == UDF_DTYPE_BOOL ? 1 : (type_bits(t) + 7) / 8; }

/* Whether the group can read everything in `e` per frame through the
 * recorded lets: it may read the frame, sig buffers and params, scalar
 * params, and scalar lets — not nav/single buffers or the nav index, whose
 * values change from frame to frame. */
static int group_reads_ok(Plan *p, const Expr *e)
{
    for (; e; e = e->next) {
        const Symbol *s = e->sym;
        if (s && e->kind != E_INDEX) {
            switch (s->kind) {
            case SYM_INDEX:
            case SYM_COORD: return 0;
            case SYM_LET:
                if (s->shape == SHAPE_SCALAR ? !add_let(p, s) : !in_group(p, s))
                    return 0;
                break;
            case SYM_BUFFER:
                if (s->buf_kind != UDF_KIND_SIG || !add_buffer(p, s))
                    return 0;
                break;
            case SYM_PARAM:
                if (s->param_kind == UDF_PARAM_NAV)
                    return 0;
                break;
            default: break;
            }
        }
        if (e->kind == E_INDEX && e->sym && e->sym->kind == SYM_BUFFER &&
            e->sym->buf_kind != UDF_KIND_SIG)
            return 0;
        if (e->kind == E_INDEX && e->sym && e->sym->kind == SYM_PARAM &&
            e->sym->param_kind == UDF_PARAM_NAV)
            return 0;
        if (!group_reads_ok(p, e->lhs) || !group_reads_ok(p, e->rhs) ||
            !group_reads_ok(p, e->args) || !group_reads_ok(p, e->base))
            return 0;
    }
    return 1;
}

static int reads_written(const Expr *e, Stmt **group, int n)
{
    for (int i = 0; i < n; i++)
        if (group[i]->kind == S_ASSIGN && expr_reads(e, group[i]->target->sym))
            return 1;
    return 0;
}

/* The statements before the group must not read what the group writes:
 * they run for the whole chunk of frames before it. */
static int prefix_independent(Stmt *s, Stmt **group, int n)
{
    for (; s; s = s->next) {
        if (reads_written(s->value, group, n) || reads_written(s->cond, group, n) ||
            (s->target && s->target->kind == E_INDEX && reads_written(s->target->args, group, n)))
            return 0;
        if (!prefix_independent(s->then_body, group, n) || !prefix_independent(s->else_body, group, n))
            return 0;
    }
    return 1;
}

static int plan_blocked(Lowerer *L, Plan *p)
{
    int n = 0;
    for (Stmt *st = L->cu->frame->stmts; st; st = st->next)
        n++;
    p->s = ARENA_ARRAY(L->arena, Stmt *, n + 1);
    p->n = 0;
    for (Stmt *st = L->cu->frame->stmts; st; st = st->next)
        p->s[p->n++] = st;
    p->group = p->n;
    while (p->group > 0 && lw_fusable(p->s[p->group - 1]) == SHAPE_PIXEL)
        p->group--;
    int assigns = 0;
    for (int i = p->group; i < p->n; i++) {
        Stmt *st = p->s[i];
        assigns += st->kind == S_ASSIGN;
        if (!group_reads_ok(p, st->value) || (st->target && !group_reads_ok(p, st->target)))
            return 0;
    }
    if (!assigns)
        return 0;
    for (int i = 0; i < p->group; i++) {
        Stmt one = *p->s[i];
        one.next = NULL;
        if (!prefix_independent(&one, p->s + p->group, p->n - p->group))
            return 0;
    }
    return 1;
}

static LFunc *plain_tile(Lowerer *L, LFunc *f)
{
    Arena *a = L->arena;
    int frame_index = lir_var(a, f, "f", UDF_DTYPE_I64);
    int nav = lir_var(a, f, "nav", UDF_DTYPE_I64);
    LBlock body;
    lir_block_init(&body);
    LExpr *fi = lw_var(L, frame_index);
    lir_append(&body, lir_set(a, L->frame_var, lir_field(a, LX_FRAME_PTR, 0, fi)));
    lir_append(&body, lir_set(a, nav, lir_field(a, LX_NAV_INDEX, 0, fi)));
    L->pos = lw_var(L, nav);
    lw_nav_init(L, L->pos, &body);
    lw_block(L, L->cu->frame->stmts, &body);
    f->body = lir_for(a, frame_index, lw_i64(L, 0), lir_field(a, LX_DEPTH, 0, NULL), body.head);
    return f;
}

static LExpr *min_i64(Lowerer *L, LExpr *x, LExpr *y) { return lir_fn(L->arena, LF_MIN, UDF_DTYPE_I64, x, y); }

static LFunc *blocked_tile(Lowerer *L, LFunc *f, Plan *p)
{
    Arena *a = L->arena;
    const int chunk = UDF_FRAME_CHUNK;
    int bytes_per_pixel = 0;
    for (int i = 0; i < p->n_bufs; i++)
        bytes_per_pixel += type_bytes(p->bufs[i]->type);
    int block = UDF_ACC_BLOCK_BYTES / (bytes_per_pixel ? bytes_per_pixel : 1);
    block = block < 256 ? 256 : block / 64 * 64;
    int c = lir_var(a, f, "chunk", UDF_DTYPE_I64);
    int f0 = lir_var(a, f, "f0", UDF_DTYPE_I64);
    int count = lir_var(a, f, "frames", UDF_DTYPE_I64);
    int fi = lir_var(a, f, "fi", UDF_DTYPE_I64);
    int nav = lir_var(a, f, "nav", UDF_DTYPE_I64);
    int slots[64];
    for (int i = 0; i < p->n_lets; i++)
        slots[i] = lir_array_var(a, f, arena_printf(a, "%s_of", p->lets[i]->name), p->lets[i]->type, chunk);
    LExpr *depth = lir_field(a, LX_DEPTH, 0, NULL);
    LExpr *frame_at = lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_var(L, f0), lw_var(L, fi));

    /* Phase 1: the statements before the group, frame by frame. */
    LBlock first;
    lir_block_init(&first);
    lir_append(&first, lir_set(a, L->frame_var, lir_field(a, LX_FRAME_PTR, 0, frame_at)));
    lir_append(&first, lir_set(a, nav, lir_field(a, LX_NAV_INDEX, 0, frame_at)));
    L->pos = lw_var(L, nav);
    lw_nav_init(L, L->pos, &first);
    lw_block_range(L, p->s, p->group, &first);
    for (int i = 0; i < p->n_lets; i++)
        lir_append(&first, lir_store(a, LB_LOCAL, slots[i], p->lets[i]->type, lw_var(L, fi),
                                     lw_var(L, L->let_vars[p->lets[i]->slot])));
    LStmt *phase1 = lir_for(a, fi, lw_i64(L, 0), lw_var(L, count), first.head);

    /* Phase 2: block of pixels by block, the group over the chunk's frames. */
    L->pos = NULL;
    int b = lir_var(a, f, "block", UDF_DTYPE_I64);
    int fj = lir_var(a, f, "fj", UDF_DTYPE_I64);
    LBlock per_frame;
    lir_block_init(&per_frame);
    LExpr *frame_j = lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_var(L, f0), lw_var(L, fj));
    lir_append(&per_frame, lir_set(a, L->frame_var, lir_field(a, LX_FRAME_PTR, 0, frame_j)));
    for (int i = 0; i < p->n_lets; i++)
        lir_append(&per_frame, lir_set(a, L->let_vars[p->lets[i]->slot],
                                       lir_load(a, LB_LOCAL, slots[i], p->lets[i]->type, lw_var(L, fj))));
    Domain d;
    lw_domain_begin(L, SHAPE_PIXEL, &d);
    LExpr *lo = lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_var(L, b), lw_i64(L, block));
    d.lo = lo;
    d.hi = min_i64(L, lir_bin(a, OP_ADD, UDF_DTYPE_I64, lo, lw_i64(L, block)), lw_sig_size(L));
    lir_append(&per_frame, lw_group(L, p->s, p->group, p->n, &d));
    LExpr *blocks = lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64,
                            lir_bin(a, OP_ADD, UDF_DTYPE_I64, lw_sig_size(L), lw_i64(L, block - 1)),
                            lw_i64(L, block));
    LStmt *phase2 = lir_for(a, b, lw_i64(L, 0), blocks,
                            lir_for(a, fj, lw_i64(L, 0), lw_var(L, count), per_frame.head));

    LBlock chunk_body;
    lir_block_init(&chunk_body);
    lir_append(&chunk_body, lir_set(a, f0, lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_var(L, c), lw_i64(L, chunk))));
    lir_append(&chunk_body, lir_set(a, count, min_i64(L, lw_i64(L, chunk),
                                                     lir_bin(a, OP_SUB, UDF_DTYPE_I64, depth, lw_var(L, f0)))));
    lir_append(&chunk_body, phase1);
    lir_append(&chunk_body, phase2);
    LExpr *chunks = lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64,
                            lir_bin(a, OP_ADD, UDF_DTYPE_I64, depth, lw_i64(L, chunk - 1)),
                            lw_i64(L, chunk));
    f->body = lir_for(a, c, lw_i64(L, 0), chunks, chunk_body.head);
    return f;
}

LFunc *lw_build_tile(Lowerer *L)
{
    LFunc *f = lw_new_func(L, LFK_TILE, "tile");
    L->place = IN_FRAME;
    L->frame_var = lir_var(L->arena, f, "frame", LT_PTR);
    Plan p = {0};
    if (L->cu->n_coords == 0 && plan_blocked(L, &p))
        return blocked_tile(L, f, &p);
    return plain_tile(L, f);
}
