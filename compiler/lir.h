/* lir.h — the loop IR: what one kernel entry point does, as explicit loops
 * over frames and pixels, typed scalar operations, loads and stores. Lowering
 * (lower.c) builds it from the checked AST; codegen (codegen.c) turns it into
 * LLVM IR; `udfc emit ir` prints it. Values are scalars; vector code is the
 * code generator's business. */
#ifndef UDF_LIR_H
#define UDF_LIR_H

#include <stdio.h>

#include "ast.h"

/* Types: the element types, plus an index (i64) and a pointer. */
enum { LT_PTR = UDF_DTYPE_COUNT };
typedef int LType;

/* Scalar operations beyond the AST's operators. */
typedef enum LFn {
    LF_NONE,
    LF_MIN,
    LF_MAX,
    LF_ABS,
    LF_SQRT,
    LF_EXP,
    LF_LOG,
    LF_LOG_POS, /* log of an argument known to be a positive normal number (range.h) */
    LF_LOG1P,
    LF_SIN,
    LF_COS,
    LF_TAN,
    LF_ATAN2,
    LF_FLOOR,
    LF_CEIL,
    LF_ROUND,
    LF_POW,
    LF_ISNAN
} LFn;

/* Where a load or store points: through a pointer var (the current frame), a
 * buffer (in merge: of the destination), a merge's source buffer, or a
 * parameter. */
typedef enum LBaseKind { LB_VAR, LB_BUF, LB_SRC, LB_PARAM } LBaseKind;

/* Fields of the kernel's udf_ctx and udf_tile. */
typedef enum LField {
    LX_SIG_SIZE,
    LX_NAV_SIZE,
    LX_NAV_SHAPE,
    LX_SIG_SHAPE,
    LX_DIM,   /* udf_ctx */
    LX_DEPTH, /* udf_tile */
    LX_FRAME_PTR,
    LX_NAV_INDEX,
    LX_ORDINAL, /* per frame: arg = frame var */
    LX_GIVEN    /* prepare: param ival was given */
} LField;

typedef enum LExprKind {
    LE_CONST,
    LE_VAR,
    LE_LOAD,
    LE_FIELD,
    LE_BIN,
    LE_UN,
    LE_CAST,
    LE_FN,
    LE_SELECT
} LExprKind;

typedef struct LExpr {
    LExprKind kind;
    LType type;
    int64_t ival; /* LE_CONST (integers), LE_FIELD: index into shape/dims */
    double fval;  /* LE_CONST (floats) */
    int var;      /* LE_VAR; LE_LOAD with LB_VAR: the pointer var */
    Op op;        /* LE_BIN, LE_UN */
    LFn fn;       /* LE_FN */
    LField field; /* LE_FIELD */
    LBaseKind base;
    int slot;                /* LE_LOAD: buffer or param number */
    int reassoc;             /* LE_BIN: a float reduction step that may be reordered */
    int exact;               /* LE_BIN: a float step without `contract` (no FMA) */
    struct LExpr *a, *b, *c; /* operands; LE_LOAD: a = element index */
} LExpr;

/* LS_CALL: runs a piece of the function (lir_outline.h), handing it the
 * vars it shares with the rest of the function. */
typedef enum LStmtKind { LS_SET, LS_STORE, LS_FOR, LS_IF, LS_CALL } LStmtKind;

struct LFunc;

typedef struct LStmt {
    LStmtKind kind;
    struct LStmt *next;
    int var;        /* LS_SET target; LS_FOR loop variable */
    LExpr *value;   /* LS_SET, LS_STORE */
    LBaseKind base; /* LS_STORE */
    int slot;
    LType elem;                     /* LS_STORE: element type in memory */
    LExpr *index;                   /* LS_STORE */
    LExpr *lo, *hi;                 /* LS_FOR: [lo, hi) */
    int scalar;                     /* LS_FOR: not worth vectorising (short, or run
                                       once per partition) */
    int short_trips;                /* LS_FOR: runs a few iterations each time (a run
                                       of pixels): vectorised with masked tails */
    LExpr *cond;                    /* LS_IF */
    struct LStmt *body, *else_body; /* LS_FOR body; LS_IF branches */
    const struct LFunc *callee;     /* LS_CALL: a piece, whose shared vars it passes */
} LStmt;

typedef struct LVar {
    const char *name;
    LType type;
} LVar;

/* LFK_PIECE: statements of a tile moved into a function of their own
 * (lir_outline.h); it takes the tile's arguments and the addresses of the
 * vars it shares with its caller. */
typedef enum LFuncKind { LFK_TILE, LFK_MERGE, LFK_RESULT, LFK_PREPARE, LFK_PIECE } LFuncKind;

typedef struct LFunc {
    LFuncKind kind;
    const char *name;
    LVar *vars;
    int n_vars, cap_vars;
    LStmt *body;
    LType input; /* element type of frames */
    /* LFK_PIECE: the vars read or written on both sides of the call (numbered
     * as in the caller, whose var table a piece uses), and of those, which
     * the piece assigns (copied back on return). */
    const int *shared;
    const unsigned char *assigned;
    int n_shared;
} LFunc;

/* Builders; all memory comes from the arena. */
int lir_var(Arena *a, LFunc *f, const char *name, LType type);
LExpr *lir_const_int(Arena *a, LType type, int64_t v);
LExpr *lir_const_float(Arena *a, LType type, double v);
LExpr *lir_varref(Arena *a, const LFunc *f, int var);
LExpr *lir_field(Arena *a, LField field, int64_t arg, LExpr *frame);
LExpr *lir_load(Arena *a, LBaseKind base, int slot, LType type, LExpr *index);
LExpr *lir_bin(Arena *a, Op op, LType type, LExpr *x, LExpr *y);
LExpr *lir_un(Arena *a, Op op, LExpr *x);
LExpr *lir_cast(Arena *a, LType to, LExpr *x);
LExpr *lir_fn(Arena *a, LFn fn, LType type, LExpr *x, LExpr *y);
LExpr *lir_select(Arena *a, LExpr *c, LExpr *x, LExpr *y);
LStmt *lir_set(Arena *a, int var, LExpr *value);
LStmt *lir_store(Arena *a, LBaseKind base, int slot, LType elem, LExpr *index, LExpr *value);
LStmt *lir_for(Arena *a, int var, LExpr *lo, LExpr *hi, LStmt *body);
LStmt *lir_if(Arena *a, LExpr *cond, LStmt *then_body, LStmt *else_body);
LStmt *lir_call(Arena *a, const LFunc *piece);

/* A statement list under construction: append at the tail. */
typedef struct LBlock {
    LStmt *head, **tail;
} LBlock;
void lir_block_init(LBlock *b);
void lir_append(LBlock *b, LStmt *s);

/* Sets used[slot] for every buffer f loads or stores (LB_BUF and LB_SRC). */
void lir_mark_buffers(const LFunc *f, char *used);

const char *lir_type_name(LType t);
void lir_print(FILE *out, const LFunc *f);
/* Statements and expression nodes in f's body (0 for NULL): a measure of
 * the code generator's work on it. */
size_t lir_size(const LFunc *f);
/* The same for one statement and the statements nested in it (a call
 * counts as one: its piece is measured apart). */
size_t lir_stmt_size(const LStmt *s);

#endif
