/* lower_jam.c — which frames of a tile can go through the frame body
 * together (lower_tile.c jams them): bodies in which no frame depends on
 * another's values, and bodies whose scalar statements (and ifs'
 * conditions) must run frame by frame before the elementwise ones; see
 * lower_internal.h. */
#include "lower_internal.h"
#include "udfrt/config.h"

/* The buffer statement s assigns to, or NULL. */
static const Symbol *written(const Stmt *s) { return s->kind == S_ASSIGN ? s->target->sym : NULL; }

/* Whether list (with its ifs' bodies) writes a buffer of kind `kind` that e
 * reads. */
static int reads_written_in(const Expr *e, const Stmt *list, udf_kind kind)
{
    for (const Stmt *w = list; w; w = w->next) {
        const Symbol *b = written(w);
        if ((b && b->buf_kind == kind && expr_reads(e, b)) ||
            reads_written_in(e, w->then_body, kind) || reads_written_in(e, w->else_body, kind))
            return 1;
    }
    return 0;
}

/* Whether statement s (its value or its target's indices) reads a buffer of
 * kind `kind` that the body writes. */
static int stmt_reads_written(const Stmt *s, const Stmt *body, udf_kind kind)
{
    const Expr *value = s->kind == S_LET || s->kind == S_ASSIGN ? s->value : NULL;
    const Expr *args = s->kind == S_ASSIGN && s->target->kind == E_INDEX ? s->target->args : NULL;
    return reads_written_in(value, body, kind) || reads_written_in(args, body, kind);
}

/* Whether statement s reads any buffer the body writes. */
static int reads_any_buffer_written(const Stmt *s, const Stmt *body)
{
    return stmt_reads_written(s, body, UDF_KIND_SIG) || stmt_reads_written(s, body, UDF_KIND_NAV) ||
           stmt_reads_written(s, body, UDF_KIND_SINGLE);
}

/* Frames can be jammed when each frame's statements only depend on its own
 * earlier statements: lets; assignments and scatters to nav buffers; `+=`
 * into single buffers nothing reads; and a final run of elementwise
 * statements on sig buffers, which per pixel still see the frames in
 * order. Pixel lets of inputs only (com's `inside`) may stand anywhere:
 * they are computed where they are used. */
static int independent_frames(const CheckedUdf *cu)
{
    int in_group = 0;
    for (const Stmt *s = cu->frame->stmts; s; s = s->next) {
        Shape domain = lw_fusable(s);
        if (s->kind == S_LET && domain == SHAPE_PIXEL &&
            !reads_any_buffer_written(s, cu->frame->stmts))
            continue; /* computed where it is used */
        if (domain == SHAPE_PIXEL) {
            in_group = 1;
        } else if (in_group) {
            return 0; /* the elementwise run must end the body */
        } else if (s->kind == S_ASSIGN) {
            const Symbol *b = s->target->sym;
            int single_sum = b->buf_kind == UDF_KIND_SINGLE && s->assign_op == OP_ADD &&
                             s->target->shape == SHAPE_SCALAR;
            if (b->buf_kind != UDF_KIND_NAV && !single_sum)
                return 0;
        } else if (s->kind != S_LET) {
            return 0;
        }
        /* Nothing may read a single buffer the body writes, or a sig buffer
         * outside the elementwise run. */
        if (stmt_reads_written(s, cu->frame->stmts, UDF_KIND_SINGLE) ||
            (domain != SHAPE_PIXEL && stmt_reads_written(s, cu->frame->stmts, UDF_KIND_SIG)))
            return 0;
    }
    return 1;
}

/* ---- split bodies (lower_split.c) ---- */

/* Whether elementwise statement `reader`, reading e per pixel, would see
 * other values once the scalar statements of every frame of the group ran
 * before it: it reads a single buffer the body writes, or a nav buffer (an
 * element of each frame's own) the body writes after `reader` (*passed:
 * reader was passed in the walk through list and its ifs' bodies, in
 * order). */
static int misread(const Expr *e, const Stmt *list, const Stmt *reader, int *passed)
{
    for (const Stmt *w = list; w; w = w->next) {
        *passed |= w == reader;
        const Symbol *b = written(w);
        if (b && expr_reads_per_pixel(e, b) &&
            (b->buf_kind == UDF_KIND_SINGLE || (b->buf_kind == UDF_KIND_NAV && *passed)))
            return 1;
        if (misread(e, w->then_body, reader, passed) || misread(e, w->else_body, reader, passed))
            return 1;
    }
    return 0;
}

/* Whether the statements of list (in an if's body: in_if) can be split:
 * each is a scalar let or a scalar store into a single or nav buffer, with
 * only reductions that lw_prehoist computes (so it reads no sig buffer the
 * body writes: only a reduction could) and none in an if's body (every
 * frame's would be computed ahead, the branch not taken's too: com with its
 * mask chosen by an if would lose what the branch saves); or an elementwise
 * statement that misreads nothing; or (at the top) an if of such
 * statements. Not a nested if: its condition would be kept only where the
 * outer one holds, and lower_split.c reads every if's condition of every
 * frame. Nor an if after a pixel let, which the frame-by-frame path would
 * compute again after the if changed what it reads. */
static int splits(const Stmt *list, const Stmt *body, int in_if)
{
    int pixel_let = 0;
    for (const Stmt *s = list; s; s = s->next) {
        const Expr *args =
            s->kind == S_ASSIGN && s->target->kind == E_INDEX ? s->target->args : NULL;
        const Expr *value = s->kind == S_IF ? s->cond : s->value;
        int passed = 0, passed_args = 0;
        if (lw_fusable(s) == SHAPE_PIXEL) {
            if (misread(value, body, s, &passed) || misread(args, body, s, &passed_args))
                return 0;
            pixel_let |= s->kind == S_LET;
            continue;
        }
        int scalar_let = s->kind == S_LET && s->sym->shape == SHAPE_SCALAR;
        int scalar_store = s->kind == S_ASSIGN && s->target->shape == SHAPE_SCALAR &&
                           s->target->sym->buf_kind != UDF_KIND_SIG;
        int top_if = s->kind == S_IF && !in_if && !pixel_let;
        if (!(scalar_let || scalar_store || top_if) || (in_if && lw_has_reduction(value)) ||
            (in_if && lw_has_reduction(args)) || !lw_reductions_ahead(value) ||
            !lw_reductions_ahead(args))
            return 0;
        if (top_if && !(splits(s->then_body, body, 1) && splits(s->else_body, body, 1)))
            return 0;
    }
    return 1;
}

Jam lw_jam_kind(const CheckedUdf *cu)
{
    if (UDF_FRAME_JAM <= 1)
        return JAM_NONE;
    if (independent_frames(cu))
        return JAM_ALL;
    return splits(cu->frame->stmts, cu->frame->stmts, 0) ? JAM_SPLIT : JAM_NONE;
}
