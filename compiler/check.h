/* check.h — semantic checks of a parsed program: names, kinds of values (one
 * per frame, per detector pixel, or per scan position), what may be assigned
 * where, free indices, and the merge rule of every sig/single buffer. Reports
 * every user error on the source and produces, per udf, the tables the later
 * stages need.
 *
 * Element types depend on the data set's type (`frame` has it), so they are
 * assigned separately, per input type, by check_types (types.c). */
#ifndef UDF_CHECK_H
#define UDF_CHECK_H

#include "ast.h"

typedef enum SymKind {
    SYM_BUFFER, /* nav/sig/single buffer (also derived result buffers) */
    SYM_PARAM,
    SYM_DIMVAR, /* a dim bound from a param's shape or an integer param */
    SYM_LET,
    SYM_FRAME, /* `frame` */
    SYM_INDEX, /* `index`: flat nav index of the frame */
    SYM_SHAPE, /* nav_shape / sig_shape */
    SYM_SIZE,  /* nav_size / sig_size: scan positions / detector pixels */
    SYM_COORD, /* frame[y, x]: a pixel coordinate */
    SYM_FREE,  /* a free index of one statement */
    SYM_PART   /* merge(a, b): a part */
} SymKind;

typedef enum MergeKind { MERGE_NONE, MERGE_SUM, MERGE_MAX, MERGE_MIN, MERGE_USER } MergeKind;

typedef enum DimKind { DIM_LITERAL, DIM_VAR, DIM_NAV_SHAPE, DIM_SIG_SHAPE } DimKind;

/* One extra dim: a literal, a dim variable, or a dim of the data set. */
typedef struct Dim {
    DimKind kind;
    int64_t value;      /* literal, or the shape index */
    struct Symbol *var; /* DIM_VAR */
} Dim;

/* Where a body runs; decides what a buffer name means there. */
typedef enum BodyPlace { IN_DECL, IN_FRAME, IN_MERGE, IN_RESULT } BodyPlace;

struct Symbol {
    SymKind kind;
    const char *name;
    Loc loc;
    Decl *decl;  /* buffers and params */
    Shape shape; /* the shape of a plain reference (in frame bodies for buffers) */
    int slot;    /* index among buffers / params / dimvars / lets / coords */
    /* Buffers and params. */
    udf_kind buf_kind;
    udf_param_kind param_kind;
    int rank;
    Dim *dims;
    double init;                       /* buffers: start value */
    double range_lo, range_hi;         /* scalar params: allowed values (NaN: no range) */
    MergeKind merge;                   /* sig/single: inferred from the frame body */
    int in_frame, in_merge, in_result; /* assigned in that body */
    int derived;                       /* declared in, or only assigned in, `result` */
    int scratch;                       /* made by lowering to keep a let's values (private) */
    int per_jam; /* scratch of a jammed frame body: its one dim is the frame in the group */
    int uninit;  /* scratch written whole, once per partition, before any read */
    /* Dim variables: bound from axis `axis` of param `param` (axis < 0: its value). */
    struct Symbol *param;
    int axis;
    /* Lets. */
    Expr *value;
    unsigned long long walked; /* the last walk that entered its value (expr_walk_begin) */
    /* Free indices: the dim they range over. */
    Dim range;
    udf_dtype type; /* filled by check_types */
    struct Symbol *next_in_scope;
    struct Symbol *next_free; /* free indices of one statement */
};

typedef struct CheckedUdf {
    Udf *udf;
    Source *src;
    Symbol **buffers;
    int n_buffers;
    Symbol **params;
    int n_params;
    Symbol **dimvars;
    int n_dimvars;
    Symbol **coords; /* frame[y, x] names, or NULL */
    int n_coords;
    int n_lets; /* let symbols, numbered by Symbol.slot */
    int min_sig_rank, min_nav_rank;
    Body *frame, *merge, *result;
    Symbol *part_a, *part_b; /* merge(a, b) */
} CheckedUdf;

typedef struct CheckedProgram {
    Program *program;
    CheckedUdf *udfs;
    int n_udfs;
} CheckedProgram;

/* Checks every udf; returns NULL if any error was reported (src->errors). */
CheckedProgram *check_program(Program *prog);

/* Assigns element types to every expression and symbol of `cu` for data of
 * type `input` (SPEC §2.3 promotion). Never fails. */
void check_types(CheckedUdf *cu, udf_dtype input);

/* The promotion rules, shared with lowering (types.c). */
udf_dtype type_promote(udf_dtype a, udf_dtype b);
/* The type binary operator `op` computes in, for operands promoted to
 * `operands`: bools count (i64) in arithmetic and ordering, `/` is float. */
udf_dtype type_of_op(Op op, udf_dtype operands);
/* The type `b op= value` computes in for a target b of type `target`: that
 * of `b op value`, where a literal value adapts to b as in any operation. */
udf_dtype type_of_update(Op op, udf_dtype target, const Expr *value);
/* The float type an operation on `t` computes in (`/`, sqrt, ...). */
udf_dtype type_float_of(udf_dtype t);
/* `float` and `input` resolved for frames of type `input`. */
udf_dtype type_resolve(udf_dtype declared, udf_dtype input);
int type_is_float(udf_dtype t);
int type_is_signed(udf_dtype t);
int type_bits(udf_dtype t);
/* Type query `query` (builtins.h) about element type t: 0 or 1, or the bits
 * of one element in memory (8 for bool). */
int64_t type_query_answer(int query, udf_dtype t);

/* Whether expression `e` (or a list of them) reads symbol `s`, directly or
 * through lets. */
int expr_reads(const Expr *e, const Symbol *s);
/* The same through pixel (and nav) lets only: scalar lets are values already
 * computed for each frame. */
int expr_reads_per_pixel(const Expr *e, const Symbol *s);

/* Walks through expressions that follow lets into their values enter each
 * let's value once per walk: a chain of lets each using the previous one twice
 * would otherwise take time exponential in its length. expr_walk_begin numbers
 * a new walk; expr_walk_enters gives the let `e` names if the walk has not
 * entered it yet (and marks it entered), else NULL. */
unsigned long long expr_walk_begin(void);
Symbol *expr_walk_enters(const Expr *e, unsigned long long walk);

/* Structural equality of two checked expressions (not their `next`): the
 * same value wherever both are computed for the same frame and pixel. */
int expr_same(const Expr *a, const Expr *b);

/* Whether dims a and b are the same dim in every run. */
int dim_same(const Dim *a, const Dim *b);

#endif
