/* test_lir_outline.c — lir_outline (compiler/lir_outline.h) on tiles built
 * by hand: which loops move out, what their pieces share with the shell
 * and which of those they assign, the calls left in their place, the tile
 * itself unchanged; the loops that stay although as large: one that reads a
 * var of its own before writing it (on every path, or on one), one inside a
 * loop over pixels; and a tile too small to split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lir_outline.h"
#include "udfrt/config.h"

/* x + 1 + 1 + ... : an expression of about `weight` nodes. */
static LExpr *heavy(Arena *a, LExpr *x, int weight)
{
    for (int i = 0; i < weight / 2; i++)
        x = lir_bin(a, OP_ADD, UDF_DTYPE_I64, x, lir_const_int(a, UDF_DTYPE_I64, 1));
    return x;
}

static LExpr *var(Arena *a, const LFunc *f, int v) { return lir_varref(a, f, v); }

static LExpr *int_const(Arena *a, int64_t v) { return lir_const_int(a, UDF_DTYPE_I64, v); }

static LFunc *new_tile(Arena *a)
{
    LFunc *f = ARENA_NEW(a, LFunc);
    f->kind = LFK_TILE;
    f->name = "udf_t__u16_tile";
    f->input = UDF_DTYPE_U16;
    return f;
}

/* The statements of that kind in the list, nested ones too. */
static int count_kind(const LStmt *s, LStmtKind kind)
{
    int n = 0;
    for (; s; s = s->next)
        n += (s->kind == kind) + count_kind(s->body, kind) + count_kind(s->else_body, kind);
    return n;
}

static int shares(const LFunc *piece, int v, int *assigned)
{
    for (int k = 0; k < piece->n_shared; k++)
        if (piece->shared[k] == v) {
            *assigned = piece->assigned[k];
            return 1;
        }
    return 0;
}

/*   a = 5; s = 0
 *   for i in 0..100 { s = s + heavy(i * a) }       -> piece: shares a, s (assigns s)
 *   for j in 0..100 { t = heavy(j); buf0[j] = t + a } -> piece: shares a; t private
 *   buf1[0] = s */
static void two_loops_move_out(void **state)
{
    (void)state;
    Arena *a = arena_create();
    LFunc *f = new_tile(a);
    int va = lir_var(a, f, "a", UDF_DTYPE_I64), vs = lir_var(a, f, "s", UDF_DTYPE_I64);
    int vi = lir_var(a, f, "i", UDF_DTYPE_I64), vj = lir_var(a, f, "j", UDF_DTYPE_I64);
    int vt = lir_var(a, f, "t", UDF_DTYPE_I64);
    LBlock b;
    lir_block_init(&b);
    lir_append(&b, lir_set(a, va, int_const(a, 5)));
    lir_append(&b, lir_set(a, vs, int_const(a, 0)));
    LExpr *term = heavy(a, lir_bin(a, OP_MUL, UDF_DTYPE_I64, var(a, f, vi), var(a, f, va)), 300);
    lir_append(&b, lir_for(a, vi, int_const(a, 0), int_const(a, 100),
                           lir_set(a, vs, lir_bin(a, OP_ADD, UDF_DTYPE_I64, var(a, f, vs), term))));
    LStmt *body = lir_set(a, vt, heavy(a, var(a, f, vj), 300));
    body->next = lir_store(a, LB_BUF, 0, UDF_DTYPE_I64, var(a, f, vj),
                           lir_bin(a, OP_ADD, UDF_DTYPE_I64, var(a, f, vt), var(a, f, va)));
    lir_append(&b, lir_for(a, vj, int_const(a, 0), int_const(a, 100), body));
    lir_append(&b, lir_store(a, LB_BUF, 1, UDF_DTYPE_I64, int_const(a, 0), var(a, f, vs)));
    f->body = b.head;
    size_t whole = lir_size(f);
    assert_true(whole >= UDF_OUTLINE_MIN_WORK);

    Outlined out;
    assert_int_equal(lir_outline(a, f, &out), 1);
    assert_int_equal(out.n_pieces, 2);
    /* The shell: the two loops replaced by calls, in place. */
    assert_int_equal(count_kind(out.shell->body, LS_FOR), 0);
    assert_int_equal(count_kind(out.shell->body, LS_CALL), 2);
    const LStmt *third = out.shell->body->next->next;
    assert_int_equal(third->kind, LS_CALL);
    assert_int_equal(third->next->kind, LS_CALL);
    assert_int_equal(third->next->next->kind, LS_STORE);
    const LFunc *sum_loop = third->callee, *store_loop = third->next->callee;
    assert_ptr_not_equal(sum_loop, store_loop);
    assert_int_equal(sum_loop->kind, LFK_PIECE);
    assert_int_equal(sum_loop->body->kind, LS_FOR);
    assert_null(sum_loop->body->next);
    /* What each piece shares, and assigns. */
    int assigned = -1;
    assert_int_equal(sum_loop->n_shared, 2);
    assert_true(shares(sum_loop, va, &assigned) && !assigned);
    assert_true(shares(sum_loop, vs, &assigned) && assigned);
    assert_int_equal(store_loop->n_shared, 1);
    assert_true(shares(store_loop, va, &assigned) && !assigned);
    assert_false(shares(store_loop, vt, &assigned));
    /* The sizes add up (each call is one statement more); the tile is
     * untouched. */
    assert_int_equal(lir_size(out.shell) + lir_size(sum_loop) + lir_size(store_loop), whole + 2);
    assert_int_equal(count_kind(f->body, LS_FOR), 2);
    assert_int_equal(lir_size(f), whole);
    arena_destroy(a);
}

/* buf1[i] = t + heavy(i): a read of t after a loop's or a branch's write. */
static LStmt *store_heavy_plus(Arena *a, LFunc *f, int vi, int vt)
{
    return lir_store(
        a, LB_BUF, 1, UDF_DTYPE_I64, var(a, f, vi),
        lir_bin(a, OP_ADD, UDF_DTYPE_I64, var(a, f, vt), heavy(a, var(a, f, vi), 300)));
}

/* for j in 0..100 { buf0[j] = heavy(j) }: a loop that can move out. */
static LStmt *movable_loop(Arena *a, LFunc *f, int weight)
{
    int vj = lir_var(a, f, "j", UDF_DTYPE_I64);
    return lir_for(
        a, vj, int_const(a, 0), int_const(a, 100),
        lir_store(a, LB_BUF, 0, UDF_DTYPE_I64, var(a, f, vj), heavy(a, var(a, f, vj), weight)));
}

/* The tile `first; movable_loop` split: `first` must stay in the shell, the
 * movable loop alone moves out. */
static void only_movable_moves(Arena *a, LFunc *f, LStmt *first)
{
    f->body = first;
    first->next = movable_loop(a, f, 300);
    Outlined out;
    assert_int_equal(lir_outline(a, f, &out), 1);
    assert_int_equal(out.n_pieces, 1);
    assert_ptr_equal(out.shell->body->kind == LS_FOR ? out.shell->body->var : -1, first->var);
    assert_int_equal(out.shell->body->next->kind, LS_CALL);
    assert_int_equal(out.pieces[0]->body->var, first->next->var);
}

/*   for i in 0..100 { u = u + heavy(i) }: u is the loop's own, read before
 *   any write (its value would come from the statement's last run). */
static void read_before_write_stays(void **state)
{
    (void)state;
    Arena *a = arena_create();
    LFunc *f = new_tile(a);
    int vu = lir_var(a, f, "u", UDF_DTYPE_I64), vi = lir_var(a, f, "i", UDF_DTYPE_I64);
    LExpr *sum = lir_bin(a, OP_ADD, UDF_DTYPE_I64, var(a, f, vu), heavy(a, var(a, f, vi), 300));
    only_movable_moves(a, f,
                       lir_for(a, vi, int_const(a, 0), int_const(a, 100), lir_set(a, vu, sum)));
    arena_destroy(a);
}

/*   for i in 0..100 { if i == 0 { t = 1 }; buf1[i] = t + heavy(i) }: t is
 *   written before the read in the text, but not on every path. */
static void write_on_one_path_stays(void **state)
{
    (void)state;
    Arena *a = arena_create();
    LFunc *f = new_tile(a);
    int vt = lir_var(a, f, "t", UDF_DTYPE_I64), vi = lir_var(a, f, "i", UDF_DTYPE_I64);
    LStmt *once = lir_if(a, lir_bin(a, OP_EQ, UDF_DTYPE_BOOL, var(a, f, vi), int_const(a, 0)),
                         lir_set(a, vt, int_const(a, 1)), NULL);
    once->next = store_heavy_plus(a, f, vi, vt);
    only_movable_moves(a, f, lir_for(a, vi, int_const(a, 0), int_const(a, 100), once));
    arena_destroy(a);
}

/*   for g in 0..100 { for i in 0..g { t = i }; buf1[g] = t + heavy(g) }:
 *   the inner loop may not run, so its write of t is not certain after it. */
static void write_in_a_loop_stays(void **state)
{
    (void)state;
    Arena *a = arena_create();
    LFunc *f = new_tile(a);
    int vt = lir_var(a, f, "t", UDF_DTYPE_I64), vg = lir_var(a, f, "g", UDF_DTYPE_I64);
    int vi = lir_var(a, f, "i", UDF_DTYPE_I64);
    LStmt *maybe = lir_for(a, vi, int_const(a, 0), var(a, f, vg), lir_set(a, vt, var(a, f, vi)));
    maybe->next = store_heavy_plus(a, f, vg, vt);
    only_movable_moves(a, f, lir_for(a, vg, int_const(a, 0), int_const(a, 100), maybe));
    arena_destroy(a);
}

/*   for o in 0..bound { for q in 0..8 { buf1[o] = heavy(q) } }
 * beside a movable loop, where `bound` is no group's: the q loop would run
 * a call per pixel or per run, so only the o loop or the other moves out. */
static void inner_loop_stays(LExpr *(*bound)(Arena *a))
{
    Arena *a = arena_create();
    LFunc *f = new_tile(a);
    int vo = lir_var(a, f, "o", UDF_DTYPE_I64), vq = lir_var(a, f, "q", UDF_DTYPE_I64);
    LStmt *inner = lir_for(
        a, vq, int_const(a, 0), int_const(a, 8),
        lir_store(a, LB_BUF, 1, UDF_DTYPE_I64, var(a, f, vo), heavy(a, var(a, f, vq), 600)));
    f->body = lir_for(a, vo, int_const(a, 0), bound(a), inner);
    f->body->next = movable_loop(a, f, 500);
    Outlined out;
    assert_int_equal(lir_outline(a, f, &out), 1);
    for (int k = 0; k < out.n_pieces; k++)
        assert_int_not_equal(out.pieces[k]->body->var, vq);
    arena_destroy(a);
}

/* A count of runs, in memory; the frame's pixels. */
static LExpr *runs_count(Arena *a)
{
    return lir_load(a, LB_BUF, 2, UDF_DTYPE_I64, int_const(a, 0));
}

static LExpr *pixel_count(Arena *a) { return lir_field(a, LX_SIG_SIZE, 0, NULL); }

static void nothing_moves_out_of_run_loops(void **state)
{
    (void)state;
    inner_loop_stays(runs_count);
}

static void nothing_moves_out_of_pixel_loops(void **state)
{
    (void)state;
    inner_loop_stays(pixel_count);
}

/* A tile below UDF_OUTLINE_MIN_WORK stays whole, however well it splits. */
static void small_tile_stays(void **state)
{
    (void)state;
    Arena *a = arena_create();
    LFunc *f = new_tile(a);
    int vi = lir_var(a, f, "i", UDF_DTYPE_I64), vj = lir_var(a, f, "j", UDF_DTYPE_I64);
    f->body = lir_for(a, vi, int_const(a, 0), int_const(a, 100),
                      lir_store(a, LB_BUF, 0, UDF_DTYPE_I64, var(a, f, vi),
                                heavy(a, var(a, f, vi), UDF_OUTLINE_MIN_WORK / 4)));
    f->body->next = lir_for(a, vj, int_const(a, 0), int_const(a, 100),
                            lir_store(a, LB_BUF, 1, UDF_DTYPE_I64, var(a, f, vj),
                                      heavy(a, var(a, f, vj), UDF_OUTLINE_MIN_WORK / 4)));
    assert_true(lir_size(f) < UDF_OUTLINE_MIN_WORK);
    Outlined out;
    assert_int_equal(lir_outline(a, f, &out), 0);
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_loops_move_out),
        cmocka_unit_test(read_before_write_stays),
        cmocka_unit_test(write_on_one_path_stays),
        cmocka_unit_test(write_in_a_loop_stays),
        cmocka_unit_test(nothing_moves_out_of_pixel_loops),
        cmocka_unit_test(nothing_moves_out_of_run_loops),
        cmocka_unit_test(small_tile_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
