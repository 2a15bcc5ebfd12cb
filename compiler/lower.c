/* lower.c — the entry points of a udf in loop IR: tile (the frame body over
 * the frames of a tile), merge (the merge body, then the inferred merges),
 * result, and prepare (param defaults); see lower.h. */
#include <string.h>

#include "builtins.h"
#include "lower_internal.h"
#include "udfrt/config.h"

LFunc *lw_new_func(Lowerer *L, LFuncKind kind, const char *suffix)
{
    LFunc *f = ARENA_NEW(L->arena, LFunc);
    f->kind = kind;
    /* udf_com__u16_tile; fused: udf_com__u16_dark_gain_tile (the planes as
     * kernel_abi.h spells them, '+' made '_') */
    if (L->fused) {
        char *name = arena_printf(L->arena, "udf_%s__%s_%s_%s", L->cu->udf->name,
                                  dtype_name((udf_dtype)UDF_FUSED_STORED(L->fused)),
                                  udf_fused_planes(L->fused), suffix);
        for (char *p = strchr(name, '+'); p; p = strchr(p, '+'))
            *p = '_';
        f->name = name;
    } else {
        f->name =
            arena_printf(L->arena, "udf_%s__%s_%s", L->cu->udf->name, dtype_name(L->input), suffix);
    }
    f->input = L->input;
    L->fn = f;
    L->pos = L->pixel = NULL;
    return f;
}

/* ---- statements ---- */

/* `x += select(c, v, 0)` with c one number: the pixel loop runs only when c
 * holds (picking frames, masking by frame). Returns v and sets *guard = c. */
static Expr *guarded_value(const Stmt *s, Expr **guard)
{
    Expr *v = s->value;
    *guard = NULL;
    if (s->assign_op != OP_ADD || v->kind != E_CALL || v->builtin->id != BI_SELECT)
        return v;
    Expr *c = v->args, *then = c->next, *other = then->next;
    int zero =
        (other->kind == E_INT && other->ival == 0) || (other->kind == E_FLOAT && other->fval == 0);
    if (c->shape != SHAPE_SCALAR || !zero)
        return v;
    *guard = c;
    return then;
}

/* b[args] op= value at the current element (after setting the lets it reads). */
static LStmt *update(Lowerer *L, const Symbol *b, const Expr *args, Op op, const Expr *value)
{
    Arena *a = L->arena;
    LBlock out;
    lir_block_init(&out);
    LetBinding lets = {0};
    lw_bind_lets(L, value, &out, &lets);
    lw_bind_lets(L, args, &out, &lets);
    LExpr *in_range;
    LExpr *index = lw_element(L, b, args, &in_range);
    LType bt = b->type;
    LExpr *v;
    if (op == OP_NONE) {
        v = lw_expr(L, value);
    } else {
        /* b op= v computes b op v, then converts to b's type. */
        udf_dtype t = type_of_update(op, b->type, value);
        LExpr *old = lir_load(a, LB_BUF, b->slot, bt, index);
        LExpr *step = lw_expr_as(L, value, t);
        if (L->sum_scale && op == OP_ADD)
            step = lir_bin(a, OP_MUL, t, step, lir_cast(a, t, L->sum_scale));
        v = lir_bin(a, op, t, lir_cast(a, t, old), step);
    }
    LStmt *store = lir_store(a, LB_BUF, b->slot, bt, index, lir_cast(a, bt, v));
    lir_append(&out, in_range ? lir_if(a, in_range, store, NULL) : store);
    lw_unbind_lets(L, &lets);
    return out.head;
}

/* The loops of domain d around body. Those of a scatter (an index with a
 * value per pixel other than a coordinate, which addresses a row as the
 * frame's own) are marked not to be vectorised: LLVM cannot vectorise
 * stores into bins that may collide, and trying costs compile time. */
static LStmt *domain_loops(Lowerer *L, Domain *d, const Expr *args, LStmt *body)
{
    LStmt *loops = lw_domain_end(L, d, body);
    for (const Expr *arg = args; arg; arg = arg->next)
        if (arg->shape == SHAPE_PIXEL && !(arg->sym && arg->sym->kind == SYM_COORD))
            return lw_scalar_loops(loops);
    return loops;
}

/* The stores of an assignment at the current element for the frames of a
 * jammed group (usually one frame) and the values of a jammed free index,
 * each in a loop over `own` unless that is a scalar; `guarded`: each frame's
 * stores only when it is a frame of the tile. */
static LStmt *element_stores(Lowerer *L, const Symbol *b, const Expr *args, Op op,
                             const Expr *value, const Expr *guard, Shape own, int guarded)
{
    Arena *a = L->arena;
    int current = L->jam_index, current_k = L->fjam_index, from, to;
    lw_jam_frames(L, &from, &to);
    LBlock stores;
    lir_block_init(&stores);
    for (int j = from; j < to; j++) {
        lw_jam_select(L, j);
        for (int kk = 0; kk < L->fjam; kk++) {
            lw_fjam_select(L, kk);
            LStmt *store;
            if (own != SHAPE_SCALAR) {
                Domain d;
                lw_domain_begin(L, own, &d);
                store = domain_loops(L, &d, args, update(L, b, args, op, value));
            } else {
                store = update(L, b, args, op, value);
            }
            if (guard)
                store = lir_if(a, lw_truth(L, lw_expr(L, guard)), store, NULL);
            if (guarded && L->jam > 1)
                store = lir_if(a, L->jam_valid[j], store, NULL);
            lir_append(&stores, store);
        }
    }
    lw_jam_select(L, current);
    lw_fjam_select(L, current_k);
    return stores.head;
}

/* The stores of an assignment at the current element. Over pixels (a
 * scatter into each frame's nav element) with several stores, one loop holds
 * them all: their chains of loads and stores into the bins are independent,
 * so they overlap. As for fused runs, a full group of jammed frames gets a
 * loop without tests and a short last group one that skips missing frames. */
static void jammed_stores(Lowerer *L, const Symbol *b, const Expr *args, Op op, const Expr *value,
                          const Expr *guard, Shape domain, LBlock *out)
{
    int from, to;
    lw_jam_frames(L, &from, &to);
    if (domain == SHAPE_SCALAR || (to - from) * L->fjam == 1) {
        lir_append(out, element_stores(L, b, args, op, value, guard, domain, 1));
        return;
    }
    Domain d;
    lw_domain_begin(L, domain, &d);
    LStmt *loop =
        domain_loops(L, &d, args, element_stores(L, b, args, op, value, guard, SHAPE_SCALAR, 0));
    if (L->jam > 1) {
        Domain short_group;
        lw_domain_begin(L, domain, &short_group);
        LStmt *guarded = domain_loops(
            L, &short_group, args, element_stores(L, b, args, op, value, guard, SHAPE_SCALAR, 1));
        loop = lir_if(L->arena, L->jam_valid[L->jam - 1], loop, guarded);
    }
    lir_append(out, loop);
}

/* `b[.., k, ..] op= value` with one free index k and reductions in the
 * value: the reductions of UDF_FREE_JAM consecutive k share one pass over
 * the pixels (a register block of frames x masks); the k of an incomplete
 * last group go one at a time. */
static void free_jammed_update(Lowerer *L, const Symbol *b, const Expr *args, Op op, Expr *value,
                               Symbol *k, LBlock *out)
{
    Arena *a = L->arena;
    int n_jam = UDF_FREE_JAM;
    int group = lw_tmp(L, "kgroup", UDF_DTYPE_I64);
    LExpr *n = lw_dim(L, &k->range);
    LExpr *first = lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_var(L, group), lw_i64(L, n_jam));
    LBlock inner;
    lir_block_init(&inner);
    int *vars = ARENA_ARRAY(a, int, n_jam);
    for (int kk = 0; kk < n_jam; kk++) {
        vars[kk] = lw_tmp(L, k->name, UDF_DTYPE_I64);
        lir_append(&inner,
                   lir_set(a, vars[kk], lir_bin(a, OP_ADD, UDF_DTYPE_I64, first, lw_i64(L, kk))));
    }
    L->fjam = n_jam;
    L->fjam_sym = k;
    L->fjam_vars = vars;
    lw_fjam_select(L, 0);
    lw_hoist(L, value, &inner);
    jammed_stores(L, b, args, op, value, NULL, SHAPE_SCALAR, &inner);
    L->fjam = 1;
    L->fjam_index = 0;
    lw_unhoist_free_jammed(value); /* those of the whole frame serve the rest too */
    LExpr *groups = lir_bin(a, OP_FLOORDIV, UDF_DTYPE_I64, n, lw_i64(L, n_jam));
    lir_append(out, lir_for(a, group, lw_i64(L, 0), groups, inner.head));
    /* The rest, one k at a time. */
    LBlock rest;
    lir_block_init(&rest);
    k->slot = lw_tmp(L, k->name, UDF_DTYPE_I64);
    lw_hoist(L, value, &rest);
    jammed_stores(L, b, args, op, value, NULL, SHAPE_SCALAR, &rest);
    lw_unhoist(value);
    LExpr *done = lir_bin(a, OP_MUL, UDF_DTYPE_I64, groups, lw_i64(L, n_jam));
    lir_append(out, lir_for(a, k->slot, done, n, rest.head));
}

/* One assignment: loops over its free indices, the passes its value needs,
 * then a loop over the pixels or positions it writes (or a single store). */
static void lower_update(Lowerer *L, const Symbol *b, const Expr *args, Op op, Stmt *s,
                         Shape domain, LBlock *out)
{
    Arena *a = L->arena;
    const Symbol *frees[UDF_MAX_RANK];
    int n_free = 0;
    for (const Expr *arg = args; arg; arg = arg->next)
        if (arg->sym && arg->sym->kind == SYM_FREE) {
            arg->sym->slot = lw_tmp(L, arg->sym->name, UDF_DTYPE_I64);
            frees[n_free++] = arg->sym;
        }
    Expr *guard;
    Expr *value = guarded_value(s, &guard);
    int index_reductions = 0;
    for (const Expr *arg = args; arg; arg = arg->next)
        index_reductions |= lw_has_reduction(arg);
    if (n_free > 0)
        lw_hoist_invariant(L, value, frees, n_free, b, out);
    LStmt *by_runs =
        domain == SHAPE_PIXEL && !guard && !index_reductions ? lw_run_update(L, s) : NULL;
    if (by_runs) {
        lir_append(out, by_runs);
        return;
    }
    /* (Not when the value reads the target: a later k would not see the
     * stores of earlier ones.) */
    if (UDF_FREE_JAM > 1 && n_free == 1 && !guard && domain == SHAPE_SCALAR && L->fjam == 1 &&
        lw_has_reduction(value) && !index_reductions && !expr_reads(value, b)) {
        free_jammed_update(L, b, args, op, value, (Symbol *)frees[0], out);
        return;
    }
    LBlock inner;
    lir_block_init(&inner);
    lw_hoist(L, guard, &inner);
    lw_hoist(L, value, &inner);
    for (const Expr *arg = args; arg; arg = arg->next)
        lw_hoist(L, (Expr *)arg, &inner);
    jammed_stores(L, b, args, op, value, guard, domain, &inner);
    LStmt *loops = inner.head;
    for (int i = n_free - 1; i >= 0; i--)
        loops = lir_for(a, frees[i]->slot, lw_i64(L, 0), lw_dim(L, &frees[i]->range), loops);
    lir_append(out, loops);
    lw_unhoist(s->value);
    for (const Expr *arg = args; arg; arg = arg->next)
        lw_unhoist((Expr *)arg);
}

void lw_stmt(Lowerer *L, Stmt *s, LBlock *out)
{
    Arena *a = L->arena;
    switch (s->kind) {
    case S_LET:
        if (s->sym->shape == SHAPE_SCALAR) {
            lw_hoist(L, s->value, out);
            /* One var per frame of a jammed group, consecutive, made
             * when its first frame is lowered. */
            int current = L->jam_index, from, to;
            lw_jam_frames(L, &from, &to);
            if (from == 0) {
                int var = -1;
                for (int j = 0; j < L->jam; j++) {
                    int v = lir_var(a, L->fn, s->name, s->sym->type);
                    var = j == 0 ? v : var;
                }
                L->let_vars[s->sym->slot] = var;
            }
            int var = L->let_vars[s->sym->slot];
            for (int j = from; j < to; j++) {
                lw_jam_select(L, j);
                lir_append(out, lir_set(a, var + j, lw_expr(L, s->value)));
            }
            lw_jam_select(L, current);
            lw_unhoist(s->value);
        } else if (L->let_scratch[s->sym->slot] && !L->let_cached[s->sym->slot]) {
            /* Its values kept in scratch for uses after a change (lower_block.c). */
            Stmt as = *s;
            as.assign_op = OP_NONE;
            lower_update(L, L->let_scratch[s->sym->slot], NULL, OP_NONE, &as, s->sym->shape, out);
        }
        break;
    case S_ASSIGN: {
        const Expr *t = s->target;
        lower_update(L, t->sym, t->kind == E_INDEX ? t->args : NULL, s->assign_op, s, t->shape,
                     out);
        break;
    }
    case S_DERIVED: {
        /* `nav T name = value;`: an assignment to the new buffer. */
        Stmt as = *s;
        as.assign_op = OP_NONE;
        as.value = s->decl->init;
        Shape domain = s->sym->buf_kind == UDF_KIND_SIG   ? SHAPE_PIXEL
                       : s->sym->buf_kind == UDF_KIND_NAV ? SHAPE_NAV
                                                          : SHAPE_SCALAR;
        lower_update(L, s->sym, NULL, OP_NONE, &as, domain, out);
        break;
    }
    case S_IF: {
        lw_hoist(L, s->cond, out);
        LBlock then_b, else_b;
        lir_block_init(&then_b);
        lir_block_init(&else_b);
        lw_block(L, s->then_body, &then_b);
        lw_block(L, s->else_body, &else_b);
        lir_append(out, lir_if(a, lw_truth(L, lw_expr(L, s->cond)), then_b.head, else_b.head));
        lw_unhoist(s->cond);
        break;
    }
    }
}

LStmt *lw_update_here(Lowerer *L, const Stmt *s)
{
    if (s->kind == S_DERIVED)
        return update(L, s->sym, NULL, OP_NONE, s->decl->init);
    const Expr *t = s->target;
    return update(L, t->sym, t->kind == E_INDEX ? t->args : NULL, s->assign_op, s->value);
}

Symbol *lw_scratch_buffer(Lowerer *L, const char *name, udf_kind kind, udf_dtype type)
{
    Symbol *b = ARENA_NEW(L->arena, Symbol);
    b->kind = SYM_BUFFER;
    b->name = name;
    b->buf_kind = kind;
    b->shape = kind == UDF_KIND_SIG ? SHAPE_PIXEL : kind == UDF_KIND_NAV ? SHAPE_NAV : SHAPE_SCALAR;
    b->type = type;
    b->scratch = 1;
    b->dims = ARENA_ARRAY(L->arena, Dim, 1);
    if (L->n_buffers == L->cap_buffers) {
        L->cap_buffers *= 2;
        Symbol **grown = ARENA_ARRAY(L->arena, Symbol *, L->cap_buffers);
        memcpy(grown, L->buffers, sizeof *grown * (size_t)L->n_buffers);
        L->buffers = grown;
    }
    b->slot = L->n_buffers;
    L->buffers[L->n_buffers++] = b;
    return b;
}

/* ---- entry points ---- */

static LExpr *block_of(Lowerer *L, const Symbol *b)
{
    LExpr *n = lw_i64(L, 1);
    for (int i = 0; i < b->rank; i++)
        n = lir_bin(L->arena, OP_MUL, UDF_DTYPE_I64, n, lw_dim(L, &b->dims[i]));
    return n;
}

void lw_nav_init(Lowerer *L, LExpr *nav, LBlock *out)
{
    Arena *a = L->arena;
    for (int i = 0; i < L->cu->n_buffers; i++) {
        const Symbol *b = L->cu->buffers[i];
        /* Every nav buffer starts at 0 in every frame (SPEC §2.3), also one
         * the frame body never assigns; those the result computes need not. */
        if (b->buf_kind != UDF_KIND_NAV || b->derived)
            continue;
        int e = lw_tmp(L, "e", UDF_DTYPE_I64);
        LExpr *block = block_of(L, b);
        LExpr *at = lir_bin(a, OP_ADD, UDF_DTYPE_I64, lir_bin(a, OP_MUL, UDF_DTYPE_I64, nav, block),
                            lw_var(L, e));
        LStmt *zero =
            lir_for(a, e, lw_i64(L, 0), block,
                    lir_store(a, LB_BUF, b->slot, b->type, at, lir_cast(a, b->type, lw_i64(L, 0))));
        zero->scalar = 1; /* a few elements per frame */
        lir_append(out, zero);
    }
}

/* Whether a statement of `s` (or of the branches of its `if`s) assigns to b. */
static int assigns(const Stmt *s, const Symbol *b)
{
    for (; s; s = s->next)
        if ((s->kind == S_ASSIGN && s->target->sym == b) || assigns(s->then_body, b) ||
            assigns(s->else_body, b))
            return 1;
    return 0;
}

/* The merge entry point: the merge body, then the inferred merges of the
 * buffers this input type's frame body updates. One it leaves alone keeps,
 * in the first partition's partial (the root of the merge tree), the start
 * value that merging would give; a private one that only another type's
 * branch updates is then touched by nothing (UDF_BUF_UNUSED). */
static LFunc *build_merge(Lowerer *L)
{
    Arena *a = L->arena;
    LFunc *f = lw_new_func(L, LFK_MERGE, "merge");
    L->place = IN_MERGE;
    LBlock body;
    lir_block_init(&body);
    if (L->cu->merge)
        lw_block(L, L->cu->merge->stmts, &body);
    for (int i = 0; i < L->cu->n_buffers; i++) {
        const Symbol *b = L->cu->buffers[i];
        if (b->buf_kind == UDF_KIND_NAV || b->derived || b->in_merge || b->merge == MERGE_NONE ||
            b->merge == MERGE_USER || !assigns(L->cu->frame ? L->cu->frame->stmts : NULL, b))
            continue;
        int k = lw_tmp(L, "i", UDF_DTYPE_I64);
        LExpr *dest = lir_load(a, LB_BUF, b->slot, b->type, lw_var(L, k));
        LExpr *src = lir_load(a, LB_SRC, b->slot, b->type, lw_var(L, k));
        udf_dtype sum_type = type_of_op(OP_ADD, b->type); /* (bools count) */
        LExpr *merged =
            b->merge == MERGE_SUM
                ? lir_cast(a, b->type,
                           lir_bin(a, OP_ADD, sum_type, lir_cast(a, sum_type, dest),
                                   lir_cast(a, sum_type, src)))
                : lir_fn(a, b->merge == MERGE_MAX ? LF_MAX : LF_MIN, b->type, dest, src);
        LExpr *n = block_of(L, b);
        if (b->buf_kind == UDF_KIND_SIG)
            n = lir_bin(a, OP_MUL, UDF_DTYPE_I64, lw_sig_size(L), n);
        lir_append(&body, lir_for(a, k, lw_i64(L, 0), n,
                                  lir_store(a, LB_BUF, b->slot, b->type, lw_var(L, k), merged)));
    }
    f->body = body.head;
    return body.head ? f : NULL;
}

static LFunc *build_result(Lowerer *L)
{
    if (!L->cu->result)
        return NULL;
    LFunc *f = lw_new_func(L, LFK_RESULT, "result");
    L->place = IN_RESULT;
    LBlock body;
    lir_block_init(&body);
    lw_block(L, L->cu->result->stmts, &body);
    f->body = body.head;
    return f;
}

/* prepare: defaults of the params that were not given, in order; an array
 * param's fills all its elements (the runtime has made it). */
static LFunc *build_prepare(Lowerer *L)
{
    Arena *a = L->arena;
    LFunc *f = lw_new_func(L, LFK_PREPARE, "prepare");
    L->place = IN_DECL;
    LBlock body;
    lir_block_init(&body);
    for (int i = 0; i < L->cu->n_params; i++) {
        const Symbol *p = L->cu->params[i];
        Expr *d = p->decl->init;
        if (!d)
            continue;
        LStmt *set;
        if (p->rank == 0) {
            set = lir_store(a, LB_PARAM, p->slot, p->type, lw_i64(L, 0), lw_expr_as(L, d, p->type));
        } else {
            LExpr *elements = lw_i64(L, 1);
            for (int k = 0; k < p->rank; k++)
                elements = lir_bin(a, OP_MUL, UDF_DTYPE_I64, elements, lw_dim(L, &p->dims[k]));
            int e = lw_tmp(L, "e", UDF_DTYPE_I64);
            set = lir_for(
                a, e, lw_i64(L, 0), elements,
                lir_store(a, LB_PARAM, p->slot, p->type, lw_var(L, e), lw_expr_as(L, d, p->type)));
        }
        lir_append(&body, lir_if(a, lir_un(a, OP_NOT, lir_field(a, LX_GIVEN, i, NULL)), set, NULL));
    }
    f->body = body.head;
    return body.head ? f : NULL;
}

size_t lower_hot_work(const LoweredUdf *lu) { return lir_size(lu->tile) + lir_size(lu->merge); }

size_t lower_cold_work(const LoweredUdf *lu)
{
    return (lir_size(lu->prepare) + lir_size(lu->result)) / UDF_COLD_WORK_DIVISOR;
}

/* Moves loops of a large tile into pieces (lir_outline.h) where the udf's
 * own parts leave a second compile thread idle (by llvm_backend.c's rule:
 * its cold part under a UDF_SECOND_THREAD_SHARE-th of its hot part).
 * Decided by the udf alone, so that its code is the same in every compile:
 * JIT or ahead of time, with other udfs or without. */
static void outline_tile(Arena *a, LoweredUdf *lu)
{
    Outlined out;
    if (lower_cold_work(lu) * UDF_SECOND_THREAD_SHARE >= lower_hot_work(lu) ||
        !lir_outline(a, lu->tile, &out))
        return;
    lu->tile = out.shell;
    lu->n_pieces = out.n_pieces;
    memcpy(lu->pieces, out.pieces, sizeof out.pieces);
}

LoweredUdf *lower_udf(Arena *a, CheckedUdf *cu, udf_dtype input, int fused)
{
    check_types(cu, input);
    Lowerer L = {.arena = a,
                 .cu = lw_taken_branches(a, cu),
                 .input = input,
                 .fused = fused,
                 .jam = 1,
                 .jam_only = -1,
                 .fjam = 1};
    L.let_vars = ARENA_ARRAY(a, int, cu->n_lets + 1);
    L.let_in_loop = ARENA_ARRAY(a, char, cu->n_lets + 1);
    L.let_scratch = ARENA_ARRAY(a, Symbol *, cu->n_lets + 1);
    L.let_cached = ARENA_ARRAY(a, char, cu->n_lets + 1);
    L.let_runs = ARENA_ARRAY(a, LetRuns, cu->n_lets + 1);
    L.cap_buffers = cu->n_buffers + 8;
    L.buffers = ARENA_ARRAY(a, Symbol *, L.cap_buffers);
    for (int i = 0; i < cu->n_buffers; i++)
        L.buffers[i] = cu->buffers[i];
    L.n_buffers = cu->n_buffers;
    L.coord_vars = ARENA_ARRAY(a, int, cu->n_coords + 1);
    LoweredUdf *lu = ARENA_NEW(a, LoweredUdf);
    lu->cu = cu;
    lu->input = input;
    lu->fused = fused;
    lu->tile = lw_build_tile(&L);
    lu->merge = build_merge(&L);
    lu->result = build_result(&L);
    lu->prepare = build_prepare(&L);
    outline_tile(a, lu);
    lu->buffers = L.buffers;
    lu->n_buffers = L.n_buffers;
    lu->buffer_types = ARENA_ARRAY(a, udf_dtype, L.n_buffers + 1);
    for (int i = 0; i < L.n_buffers; i++)
        lu->buffer_types[i] = L.buffers[i]->type;
    lu->buffer_used = ARENA_ARRAY(a, char, L.n_buffers + 1);
    const LFunc *entries[] = {lu->tile, lu->merge, lu->result, lu->prepare};
    for (size_t i = 0; i < sizeof entries / sizeof *entries; i++)
        lir_mark_buffers(entries[i], lu->buffer_used);
    lu->param_types = ARENA_ARRAY(a, udf_dtype, cu->n_params + 1);
    for (int i = 0; i < cu->n_params; i++)
        lu->param_types[i] = cu->params[i]->type;
    return lu;
}
