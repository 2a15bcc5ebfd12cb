/* lower_jam.c — which frames of a tile can go through the frame body
 * together (lower_tile.c jams them): bodies in which no frame depends on
 * another's values, and bodies whose scalar prefix must run frame by frame
 * before an elementwise run; see lower_internal.h. */
#include "lower_internal.h"
#include "udfrt/config.h"

/* The buffer statement s assigns to, or NULL. */
static const Symbol *written(const Stmt *s) { return s->kind == S_ASSIGN ? s->target->sym : NULL; }

static int reads_any_written(const Expr *e, const Stmt *body, udf_kind kind)
{
    for (const Stmt *s = body; s; s = s->next) {
        const Symbol *b = written(s);
        if (b && b->buf_kind == kind && expr_reads(e, b))
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
    return reads_any_written(value, body, kind) || reads_any_written(args, body, kind);
}

/* Whether statement s reads any buffer the body writes. */
static int reads_any_buffer_written(const Stmt *s, const Stmt *body)
{
    return stmt_reads_written(s, body, UDF_KIND_SIG) || stmt_reads_written(s, body, UDF_KIND_NAV) ||
           stmt_reads_written(s, body, UDF_KIND_SINGLE);
}

/* Whether statement s of the elementwise run reads a single buffer the body
 * writes (other than through scalar lets). */
static int run_reads_written_single(const Stmt *s, const Stmt *body)
{
    const Expr *args = s->kind == S_ASSIGN && s->target->kind == E_INDEX ? s->target->args : NULL;
    for (const Stmt *w = body; w; w = w->next) {
        const Symbol *b = written(w);
        if (b && b->buf_kind == UDF_KIND_SINGLE &&
            (expr_reads_per_pixel(s->value, b) || expr_reads_per_pixel(args, b)))
            return 1;
    }
    return 0;
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

/* The first statement of the trailing elementwise run when the body is a
 * prefix of scalar statements without reductions (lets, assignments to
 * single and nav elements — a frame counter, a weight) followed by that run,
 * which reads no single buffer the body writes (except through the prefix's
 * lets, which hold each frame's value) and is the only reader of sig
 * buffers: running the prefix frame by frame and then the run for the whole
 * group gives every pixel its frames in order (stddev's Welford update).
 * NULL otherwise. */
Stmt *lw_sequential_prefix(const CheckedUdf *cu)
{
    Stmt *body = cu->frame->stmts, *s = body;
    for (; s && lw_fusable(s) != SHAPE_PIXEL; s = s->next) {
        int scalar_let = s->kind == S_LET && s->sym->shape == SHAPE_SCALAR;
        int scalar_store = s->kind == S_ASSIGN && s->target->shape == SHAPE_SCALAR &&
                           s->target->sym->buf_kind != UDF_KIND_SIG;
        const Expr *args = scalar_store && s->target->kind == E_INDEX ? s->target->args : NULL;
        if (!(scalar_let || scalar_store) || lw_has_reduction(s->value) || lw_has_reduction(args) ||
            stmt_reads_written(s, body, UDF_KIND_SIG))
            return NULL;
    }
    if (s == body || !s)
        return NULL;
    for (Stmt *r = s; r; r = r->next)
        if (lw_fusable(r) != SHAPE_PIXEL || run_reads_written_single(r, body))
            return NULL;
    return s;
}

Jam lw_jam_kind(const CheckedUdf *cu)
{
    if (UDF_FRAME_JAM <= 1)
        return JAM_NONE;
    if (independent_frames(cu))
        return JAM_ALL;
    return lw_sequential_prefix(cu) ? JAM_SEQ_PREFIX : JAM_NONE;
}
