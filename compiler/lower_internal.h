/* lower_internal.h — the lowering's state and the helpers its files share
 * (lower.c builds the entry points and lowers statements, lower_expr.c
 * lowers expressions, addresses elements and builds the loops over pixels
 * and scan positions, lower_block.c fuses statements into loops,
 * lower_reduce.c lowers reductions into passes of their own, lower_runs.c
 * scatters and masked sums by runs, lower_tile.c the tile's frame loop,
 * lower_jam.c decides how frames are jammed, lower_split.c lowers split
 * bodies, lower_branch.c drops branches constant for the input type). */
#ifndef UDF_LOWER_INTERNAL_H
#define UDF_LOWER_INTERNAL_H

#include "lower.h"

/* The runs of equal values of a cached let (lower_runs.c), in pixel order:
 * `lengths` (a u8 sig buffer) holds each run's length, `count` (single) how
 * many there are; for a bool let, `sparse` (single bool) whether it is true
 * at few enough pixels for sums over its runs of true to pay. Runs only
 * masked sums could take are listed once the tile is lowered, if a pass
 * `taken` them (`cache`: the let's cached values, to list). */
typedef struct LetRuns {
    Symbol *lengths, *count, *sparse;
    const Symbol *cache;
    int taken;
} LetRuns;

typedef struct Lowerer {
    Arena *arena;
    CheckedUdf *cu;
    LFunc *fn;
    udf_dtype input;
    int fused; /* corrections in the frame loads (kernel_abi.h UDF_FUSED), or 0 */
    BodyPlace place;
    int frame_var;              /* pointer to the current frame's pixels */
    LExpr *pos;                 /* the current scan position (flat nav index), or NULL */
    LExpr *pixel;               /* the current pixel (flat sig index), or NULL */
    LExpr *block_lo, *block_hi; /* non-NULL: loops over pixels cover [lo, hi) only */
    int *coord_vars;            /* frame[y, x]: var per coordinate, in pixel loops */
    int *let_vars;        /* per let slot: the var of a scalar let, or of a pixel let in its loop */
    char *let_in_loop;    /* per let slot: inside the loop that computes it */
    int moved;            /* lowering at another pixel or position than the loop's
                             (gradient's neighbours): lets are computed there */
    Symbol **let_scratch; /* per let slot: the scratch buffer keeping its values, or NULL */
    char *let_cached;     /* per let slot: its scratch buffer is filled once per partition */
    LetRuns *let_runs;    /* per let slot: its runs, when a scatter or masked sum uses them */
    const Symbol *mask_true; /* a cached bool let known to be true here (a pass over its
                                runs of true, lower_runs.c), or NULL */
    int inline_scalar_lets;  /* scalar lets are computed where used (filling those buffers,
                                before any frame's lets exist) */
    LExpr *sum_scale;        /* non-NULL: `+=` adds its value this many times (a
                                sum lowered once per tile for all its frames) */
    /* A jammed group of frames (lower_tile.c): jam frames processed
     * together, jam_index the one being lowered; scalar lets and hoisted
     * reductions then have one var per frame, consecutive. */
    int jam, jam_index;
    int jam_only;      /* >= 0: statements are lowered for this frame of the
                          group only (scalar statements run frame by frame) */
    int jam_full;      /* the group is known to have all its frames */
    int *jam_frames;   /* per frame: its pointer var */
    LExpr **jam_pos;   /* per frame: its flat nav index */
    LExpr **jam_valid; /* per frame: whether it is a frame of the tile (the last
                          group may be short; its missing frames repeat the
                          tile's last frame and store nothing) */
    /* A jammed free index (lower.c): fjam consecutive values of free index
     * fjam_sym (held in fjam_vars) lowered together, fjam_index the current
     * one. A reduction hoisted meanwhile has one var per frame and index
     * value, frame-major (Expr.hoisted_k says how many per frame). */
    int fjam, fjam_index;
    Symbol *fjam_sym;
    int *fjam_vars;
    Symbol **buffers; /* the udf's buffers, then scratch buffers made here */
    int n_buffers, cap_buffers;
    int n_tmp;
} Lowerer;

/* A loop over every pixel or scan position, being built. */
typedef struct Domain {
    Shape shape; /* SHAPE_PIXEL or SHAPE_NAV */
    int var;     /* flat index var (pixels without coordinates, positions) */
    int coords[UDF_MAX_RANK];
    int n_coords;
    LExpr *saved_pos, *saved_pixel;
} Domain;

int lw_tmp(Lowerer *L, const char *what, LType type);
/* n temporaries with consecutive numbers: var first + j is the j-th (a var
 * per frame of a jammed group). Returns first. */
int lw_tmps(Lowerer *L, const char *what, LType type, int n);
LExpr *lw_i64(Lowerer *L, int64_t v);
LExpr *lw_var(Lowerer *L, int var);
LExpr *lw_dim(Lowerer *L, const Dim *d);
LExpr *lw_sig_size(Lowerer *L);

LExpr *lw_expr(Lowerer *L, const Expr *e);
/* Pixel (or nav) lets that e reads, directly or through other lets, and that
 * have neither a var in the current loop nor kept values, each set once as
 * a var in `out` (dependencies first) and read from it by lw_expr until
 * lw_unbind_lets. Without it every use computes the let's value again: a
 * chain of lets each using the previous one twice would grow exponentially. */
typedef struct LetBinding {
    int *slots; /* let slots bound, n of them */
    int n;
} LetBinding;
void lw_bind_lets(Lowerer *L, const Expr *e, LBlock *out, LetBinding *b);
void lw_unbind_lets(Lowerer *L, LetBinding *b);
LExpr *lw_expr_as(Lowerer *L, const Expr *e, LType type);
LExpr *lw_truth(Lowerer *L, LExpr *x);

/* Flat element of buffer b at the current position/pixel for the extra
 * indices `args` (NULL for none); *in_range gets a bounds check for indices
 * that are not known to be in range, or NULL. */
LExpr *lw_element(Lowerer *L, const Symbol *b, const Expr *args, LExpr **in_range);

/* Makes frame j of a jammed group the current one (lower_expr.c). */
void lw_jam_select(Lowerer *L, int j);
/* Makes value kk of a jammed free index the current one. */
void lw_fjam_select(Lowerer *L, int kk);
/* Copies of a reduction hoisted now (frames x free index values). */
int lw_copies(const Lowerer *L);
/* The frames [*from, *to) of the group a statement is lowered for. */
void lw_jam_frames(const Lowerer *L, int *from, int *to);

/* Emits the passes that compute the reductions (and per-statement values)
 * `e` needs into `out`, before the statement that uses them
 * (lower_reduce.c). */
void lw_hoist(Lowerer *L, Expr *e, LBlock *out);
/* The same for the reductions in e that read none of the free indices
 * `frees` and not buffer `written`: the same for every index value, so
 * computed once before the loops over them. */
void lw_hoist_invariant(Lowerer *L, Expr *e, const Symbol *const *frees, int n_free,
                        const Symbol *written, LBlock *out);
/* One pass over the pixels (or positions) computing n reductions of the
 * same domain, each into a var per frame of the (jammed) group. */
void lw_reduce(Lowerer *L, Expr **reductions, int n, LBlock *out);
/* Forgets hoisted values, so the next statement computes its own. */
void lw_unhoist(Expr *e);
/* Forgets only the values hoisted for several free-index values at once. */
void lw_unhoist_free_jammed(Expr *e);

/* Scatters by runs (lower_runs.c). lw_build_runs appends to `fill` (run
 * once per partition, after `cache` holds cached let `let`) the listing of
 * its runs (and, for a bool let, whether it is sparse), if a scatter or a
 * masked sum of the frame body can use them. lw_run_update
 * gives statement s lowered that way, or NULL if s is not such a scatter. */
void lw_build_runs(Lowerer *L, const Symbol *let, const Symbol *cache, LBlock *fill);
/* Appends to `fill` the listings lw_build_runs left to a pass that takes
 * the runs of a mask (lw_run_pass), for those that one did: a pass of
 * several reductions (fem's) takes none. */
void lw_list_mask_runs(Lowerer *L, LBlock *fill);
LStmt *lw_run_update(Lowerer *L, const Stmt *s);
/* The cached mask of the pass of reductions[n] if it is one integer sum of
 * `select(mask, v, 0)` (or count of mask) that its runs can serve, else
 * NULL: a second version of a pass costs compile time (~9 ms for disk's,
 * with its four jammed frames), which passes of several reductions (fem's
 * three) would double. lw_run_pass gives the pass over the runs of true of that mask (its
 * steps lowered with mask_true set to it) where the mask is sparse, else
 * `all`, the pass over all of d's pixels, built first: lw_domain_end has
 * restored what lw_domain_begin(d) changed, and the runs' loop uses d's
 * pixel var. */
const Symbol *lw_pass_mask(const Lowerer *L, Expr *const *reductions, int n);
LStmt *lw_run_pass(Lowerer *L, const Domain *d, const Symbol *mask, LStmt *steps, LStmt *all);
/* A block of statements, fusing elementwise runs (lower_block.c). */
void lw_block(Lowerer *L, Stmt *s, LBlock *out);
/* Reductions computed ahead of the statements that use them, and pinned. */
typedef struct Pinned {
    Expr **list;
    int n, cap;
} Pinned;
/* Computes, in one pass for every frame of the group, each reduction in
 * list's statements (and in its ifs' conditions) over the pixels of inputs
 * only (the frame, coordinates, params, pixel lets of those), and pins it;
 * lw_unpin forgets them. */
Pinned lw_prehoist(Lowerer *L, Stmt *list, LBlock *out);
void lw_unpin(Pinned *p);
/* Whether every reduction in e is one that lw_prehoist computes. */
int lw_reductions_ahead(const Expr *e);
/* A private buffer made by lowering (rank 0 beyond its kind's shape),
 * appended to L's buffers. */
Symbol *lw_scratch_buffer(Lowerer *L, const char *name, udf_kind kind, udf_dtype type);
/* How the frames of a jammed group go through the frame body (lower_jam.c). */
typedef enum Jam {
    JAM_NONE,  /* frame by frame */
    JAM_ALL,   /* every statement for all frames of the group at once */
    JAM_SPLIT, /* scalar statements and if conditions frame by frame,
                  then the elementwise ones (lw_split_group) */
} Jam;
Jam lw_jam_kind(const CheckedUdf *cu);
/* With JAM_SPLIT: the jammed group's frame bodies (lower_split.c). */
void lw_split_group(Lowerer *L, LBlock *out);
/* A copy of cu whose bodies keep only the taken branch of every `if` with
 * a condition that is constant for the input type (lower_branch.c); call
 * after check_types. */
CheckedUdf *lw_taken_branches(Arena *a, const CheckedUdf *cu);
/* The tile entry point (lower_tile.c). */
LFunc *lw_build_tile(Lowerer *L);
/* A new function, current in L (lower.c). */
LFunc *lw_new_func(Lowerer *L, LFuncKind kind, const char *suffix);
/* Nav buffers start at 0 in every frame (all but those the result computes). */
void lw_nav_init(Lowerer *L, LExpr *nav, LBlock *out);
/* The loop domain statement s can share with its neighbours, or
 * SHAPE_SCALAR if it stands alone. */
Shape lw_fusable(const Stmt *s);
/* Whether e computes a reduction (directly or through a pixel let). */
int lw_has_reduction(const Expr *e);
/* One statement on its own (lower.c). */
void lw_stmt(Lowerer *L, Stmt *s, LBlock *out);
/* An assignment (or derived declaration) at the current pixel/position. */
LStmt *lw_update_here(Lowerer *L, const Stmt *s);

/* The coordinates a loop over `shape` has: those of frame[y, x] for pixels
 * in a frame body (rows are its blocks), else 0 (one flat index). */
int lw_domain_coords(const Lowerer *L, Shape shape);
void lw_domain_begin(Lowerer *L, Shape shape, Domain *d);
/* Wraps `body` into the loops of the domain and restores the lowerer. */
LStmt *lw_domain_end(Lowerer *L, Domain *d, LStmt *body);
/* Marks the loops of a domain (lw_domain_end's nest) not to be vectorised;
 * returns them. */
LStmt *lw_scalar_loops(LStmt *loops);
/* The same, with the pixels split into blocks (UDF_SUM_BLOCK pixels, or the
 * rows of frame[y, x]): `before` runs before each block, `after` after it. */
LStmt *lw_domain_end_blocked(Lowerer *L, Domain *d, LStmt *body, LStmt *before, LStmt *after);

#endif
