/* check.h — semantic checks of a parsed program: names, kinds (one value per
 * frame vs one per detector pixel), what may be assigned where, and the merge
 * rule of every sig/single buffer. Reports every user error on the source and
 * produces, per udf, the tables the later stages need.
 *
 * Element types depend on the data set's type (`frame` has it), so they are
 * assigned separately, per input type, by check_types. */
#ifndef UDF_CHECK_H
#define UDF_CHECK_H

#include "ast.h"

typedef enum SymKind {
    SYM_BUFFER,   /* nav/sig/single buffer (also derived result buffers) */
    SYM_PARAM,
    SYM_DIMVAR,   /* a dim bound from a param's shape */
    SYM_LET,
    SYM_FRAME,    /* `frame` */
    SYM_INDEX,    /* `index`: flat nav index of the frame */
    SYM_SHAPE     /* nav_shape / sig_shape */
} SymKind;

typedef enum MergeKind { MERGE_NONE, MERGE_SUM, MERGE_MAX, MERGE_MIN, MERGE_USER } MergeKind;

struct Symbol {
    SymKind kind;
    const char *name;
    Loc loc;
    Decl *decl;     /* buffers and params */
    Shape shape;    /* SHAPE_PIXEL for sig buffers/params, `frame`, pixel lets */
    udf_kind buf_kind;
    int slot;       /* index among buffers / params / dimvars; let: local number */
    Expr *value;    /* SYM_LET: the defining expression */
    MergeKind merge;
    double init;    /* buffers: start value */
    udf_dtype type; /* filled by check_types */
    struct Symbol *next_in_scope;
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
    int n_lets; /* let symbols, numbered by Symbol.slot */
    Body *frame, *merge, *result;
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

/* The promotion rules, shared with lowering. */
udf_dtype type_promote(udf_dtype a, udf_dtype b);
/* The float type an operation on `t` computes in (`/`, sqrt, ...). */
udf_dtype type_float_of(udf_dtype t);
int type_is_float(udf_dtype t);
int type_is_signed(udf_dtype t);
int type_bits(udf_dtype t);

#endif
