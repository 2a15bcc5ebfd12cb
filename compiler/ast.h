/* ast.h — the syntax tree of a .udf source, as the parser builds it and the
 * checker annotates it. Lists are linked through `next`. All nodes live in the
 * compilation's arena. */
#ifndef UDF_AST_H
#define UDF_AST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "source.h"
#include "udfrt/kernel_abi.h"

/* Type names beyond the element types, resolved per input type (check_types):
 * `float` is f32 unless the frame type needs f64 (numpy's result_type of the
 * frame type and f32); `input` is the frame type itself. */
enum { TYPE_FLOAT = UDF_DTYPE_COUNT + 1, TYPE_INPUT = UDF_DTYPE_COUNT + 2 };

/* Operators, binary and unary: enum suffix, spelling. */
#define UDF_OPS(X)                                                                             \
    X(ADD, "+")                                                                                \
    X(SUB, "-")                                                                                \
    X(MUL, "*") X(DIV, "/") X(FLOORDIV, "//") X(MOD, "%") X(POW, "**") X(EQ, "==") X(NE, "!=") \
        X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=") X(AND, "&&") X(OR, "||") X(NEG, "-")     \
            X(NOT, "!")

typedef enum Op {
    OP_NONE,
#define X_ENUM(e, s) OP_##e,
    UDF_OPS(X_ENUM)
#undef X_ENUM
} Op;

const char *op_spelling(Op op);

typedef enum ExprKind {
    E_INT,       /* ival; text keeps the spelling */
    E_FLOAT,     /* fval */
    E_BOOL,      /* ival 0/1 */
    E_NAME,      /* name */
    E_INDEX,     /* base[args] */
    E_FIELD,     /* name.field (merge bodies) */
    E_UNARY,     /* op lhs */
    E_BINARY,    /* lhs op rhs */
    E_CALL,      /* name(args) */
    E_CAST,      /* cast_to(args) */
    E_TYPE_QUERY /* name(cast_to): ival is the answer for the input type (check_types) */
} ExprKind;

/* Whether a value is one number (per frame in the frame body), one number per
 * detector pixel, or (in `result`) one number per scan position. */
typedef enum Shape { SHAPE_SCALAR, SHAPE_PIXEL, SHAPE_NAV } Shape;

typedef struct Symbol Symbol;
typedef struct Builtin Builtin;

typedef struct Expr {
    ExprKind kind;
    Loc loc;
    struct Expr *next;
    int64_t ival;
    double fval;
    const char *text; /* literal spelling, for messages */
    const char *name; /* E_NAME, E_CALL, E_FIELD (the part before '.') */
    const char *field;
    Op op;
    struct Expr *lhs, *rhs;
    struct Expr *base; /* E_INDEX */
    struct Expr *args; /* E_CALL, E_CAST, E_INDEX */
    udf_dtype cast_to;
    /* Filled by the checker (type and optype per input type, check_types). */
    udf_dtype type;
    udf_dtype optype; /* E_BINARY, E_CALL: the type the operation computes in */
    Shape shape;
    int is_literal; /* untyped literal: takes the other operand's type */
    Symbol *sym;
    const Builtin *builtin;
    int hoisted;   /* lowering: 1 + the var holding this reduction's value, or 0 */
    int hoisted_k; /* lowering: free index values the hoisted value has a var per (1 or fjam) */
    int pinned;    /* lowering: hoisted for a whole block, not per statement */
    int depth;     /* levels of nesting: 1 for a leaf (parser) */
} Expr;

/* The deepest expression a udf may write. The checker, lowering and the code
 * generator recurse over expressions; this keeps them far from the end of an
 * 8 MiB stack (a chain of ~25000 additions overflowed it). */
#define EXPR_DEPTH_MAX 2000

typedef enum StmtKind { S_LET, S_ASSIGN, S_IF, S_DERIVED } StmtKind;

typedef struct Decl Decl;

typedef struct Stmt {
    StmtKind kind;
    Loc loc;
    struct Stmt *next;
    const char *name; /* S_LET */
    Loc name_loc;
    Expr *target; /* S_ASSIGN: E_NAME or E_INDEX */
    Op assign_op; /* OP_NONE for '=', else the operator of '+=' ... */
    Expr *value;
    Expr *cond; /* S_IF */
    struct Stmt *then_body, *else_body;
    Decl *decl;  /* S_DERIVED: a result buffer declared in `result` */
    Symbol *sym; /* filled by the checker (S_LET, S_DERIVED) */
} Stmt;

typedef enum DeclKind { D_NAV, D_SIG, D_SINGLE, D_PARAM, D_PARAM_SIG, D_PARAM_NAV } DeclKind;

struct Decl {
    DeclKind kind;
    Loc loc;
    Loc name_loc;
    struct Decl *next;
    int is_private;
    udf_dtype dtype;
    const char *name;
    Expr *dims;  /* list */
    Expr *init;  /* initial value, default, or (S_DERIVED) the defining expression */
    Expr *range; /* params: `in [lo, hi]`, the two bounds, or NULL */
};

typedef enum BodyKind { B_FRAME, B_MERGE, B_RESULT } BodyKind;

typedef struct Body {
    BodyKind kind;
    Loc loc;
    struct Body *next;
    Expr *coords;                /* frame[y, x]: E_NAME list */
    const char *part_a, *part_b; /* merge(a, b) */
    Stmt *stmts;
} Body;

typedef struct Udf {
    const char *name;
    Loc loc;
    const char *doc;
    Decl *decls;
    Body *bodies;
    struct Udf *next;
} Udf;

typedef struct Program {
    Source *src;
    Arena *arena;
    Udf *udfs;
} Program;

/* The parser's state, passed to every scanner and parser action. */
typedef struct ParseState {
    Arena *arena;
    Source *src;
    Program *program;
} ParseState;

Expr *ast_expr(Arena *a, ExprKind kind, Loc loc);
Stmt *ast_stmt(Arena *a, StmtKind kind, Loc loc);
/* Appends `item` to the list starting at `head`; returns the head. */
#define AST_APPEND(T, head, item) ((T *)ast_append_((void **)&(head), (item), offsetof(T, next)))
void *ast_append_(void **head, void *item, size_t next_offset);

/* Parses the whole source; NULL only when nothing usable came out. Syntax
 * errors are reported on src (check src->errors). */
Program *parse_program(Source *src, Arena *arena);

/* The comment lines right above `line`, without their '#', or "". */
const char *ast_doc_comment(Arena *a, const Source *src, int line);

const char *dtype_name(udf_dtype t);
void ast_print(FILE *out, const Program *prog);

#endif
