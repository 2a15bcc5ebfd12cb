/* types.c — element types (SPEC §2.3): the promotion rules, and typing a
 * checked udf for one input type. Literals take the type of the other
 * operand; assignment converts to the target's type. */
#include "builtins.h"
#include "check.h"

int type_is_float(udf_dtype t) { return t == UDF_DTYPE_F32 || t == UDF_DTYPE_F64; }

int type_is_signed(udf_dtype t)
{
    return t == UDF_DTYPE_I8 || t == UDF_DTYPE_I16 || t == UDF_DTYPE_I32 || t == UDF_DTYPE_I64 ||
           type_is_float(t);
}

int type_bits(udf_dtype t)
{
    switch (t) {
    case UDF_DTYPE_BOOL: return 1;
    case UDF_DTYPE_I8:
    case UDF_DTYPE_U8: return 8;
    case UDF_DTYPE_I16:
    case UDF_DTYPE_U16: return 16;
    case UDF_DTYPE_I32:
    case UDF_DTYPE_U32:
    case UDF_DTYPE_F32: return 32;
    default: return 64;
    }
}

int64_t type_query_answer(int query, udf_dtype t)
{
    switch ((TypeQuery)query) {
    case TQ_IS_FLOAT: return type_is_float(t);
    case TQ_IS_SIGNED: return type_is_signed(t);
    case TQ_BITS: return t == UDF_DTYPE_BOOL ? 8 : type_bits(t);
    case TQ_COUNT_: break;
    }
    return 0;
}

static udf_dtype signed_of_bits(int bits)
{
    return bits <= 8    ? UDF_DTYPE_I8
           : bits <= 16 ? UDF_DTYPE_I16
           : bits <= 32 ? UDF_DTYPE_I32
                        : UDF_DTYPE_I64;
}

udf_dtype type_of_op(Op op, udf_dtype operands)
{
    int logical = op == OP_AND || op == OP_OR || op == OP_EQ || op == OP_NE;
    if (operands == UDF_DTYPE_BOOL && !logical)
        operands = UDF_DTYPE_I64; /* arithmetic and ordering on bools count them */
    return op == OP_DIV ? type_float_of(operands) : operands;
}

udf_dtype type_promote(udf_dtype a, udf_dtype b)
{
    if (a == b)
        return a;
    if (a == UDF_DTYPE_BOOL)
        return b;
    if (b == UDF_DTYPE_BOOL)
        return a;
    int fa = type_is_float(a), fb = type_is_float(b);
    if (fa && fb)
        return type_bits(a) >= type_bits(b) ? a : b;
    if (fa || fb) {
        udf_dtype f = fa ? a : b, i = fa ? b : a;
        return f == UDF_DTYPE_F32 && type_bits(i) <= 16 ? UDF_DTYPE_F32 : UDF_DTYPE_F64;
    }
    int sa = type_is_signed(a), sb = type_is_signed(b);
    if (sa == sb)
        return type_bits(a) >= type_bits(b) ? a : b;
    udf_dtype s = sa ? a : b, u = sa ? b : a;
    if (type_bits(s) > type_bits(u))
        return s;
    return signed_of_bits(2 * type_bits(u));
}

udf_dtype type_float_of(udf_dtype t)
{
    if (type_is_float(t))
        return t;
    return type_bits(t) <= 16 ? UDF_DTYPE_F32 : UDF_DTYPE_F64;
}

udf_dtype type_resolve(udf_dtype declared, udf_dtype input)
{
    if ((int)declared == TYPE_FLOAT)
        return type_float_of(input);
    if ((int)declared == TYPE_INPUT)
        return input;
    return declared;
}

/* ---- typing ---- */

typedef struct Typer {
    udf_dtype input;
} Typer;

static void type_expr(Typer *ty, Expr *e);

/* The common type of operands, where untyped literals adapt to the others:
 * an integer literal takes the others' type; a float literal does too if that
 * is a float, else the float type of it. */
static udf_dtype operand_type(Expr *const *ops, int n)
{
    udf_dtype t = UDF_DTYPE_COUNT;
    int float_literal = 0;
    for (int i = 0; i < n; i++) {
        if (ops[i]->is_literal) {
            float_literal |= type_is_float(ops[i]->type);
            continue;
        }
        t = t == UDF_DTYPE_COUNT ? ops[i]->type : type_promote(t, ops[i]->type);
    }
    if (t == UDF_DTYPE_COUNT) { /* only literals */
        t = UDF_DTYPE_BOOL;
        for (int i = 0; i < n; i++)
            t = type_promote(t, ops[i]->type);
        return t;
    }
    return float_literal ? type_float_of(t) : t;
}

udf_dtype type_of_update(Op op, udf_dtype target, const Expr *value)
{
    udf_dtype t = !value->is_literal           ? type_promote(target, value->type)
                  : type_is_float(value->type) ? type_float_of(target)
                                               : target;
    return type_of_op(op, t);
}

static void type_binary(Expr *e)
{
    Expr *pair[2] = {e->lhs, e->rhs};
    e->optype = type_of_op(e->op, operand_type(pair, 2));
    switch (e->op) {
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
    case OP_AND:
    case OP_OR: e->type = UDF_DTYPE_BOOL; break;
    default: e->type = e->optype; break;
    }
}

static void type_call(Expr *e)
{
    Expr *args[3] = {0};
    int n = 0;
    for (Expr *a = e->args; a && n < 3; a = a->next)
        args[n++] = a;
    const struct Builtin *b = e->builtin;
    udf_dtype t = b->cls == BC_SELECT ? operand_type(args + 1, 2) : operand_type(args, n);
    if (b->id == BI_GRADIENT)
        t = args[0]->type;
    e->optype = b->cls == BC_FLOAT_FN ? type_float_of(t) : t;
    switch (b->cls) {
    case BC_REDUCE:
        if (b->id == BI_COUNT)
            e->type = UDF_DTYPE_I64;
        else if (b->id == BI_MEAN)
            e->type = type_is_float(t) ? t : UDF_DTYPE_F64;
        else if (b->id == BI_SUM && !type_is_float(t))
            e->type = type_is_signed(t) || t == UDF_DTYPE_BOOL ? UDF_DTYPE_I64 : UDF_DTYPE_U64;
        else
            e->type = t;
        break;
    case BC_FLOAT_FN: e->type = e->optype; break;
    case BC_PREDICATE: e->type = UDF_DTYPE_BOOL; break;
    case BC_RESULT_ONLY: e->type = e->optype = type_float_of(t); break;
    default: e->type = t; break;
    }
}

static void type_expr(Typer *ty, Expr *e)
{
    if (!e)
        return;
    for (Expr *a = e->args; a; a = a->next)
        type_expr(ty, a);
    type_expr(ty, e->lhs);
    type_expr(ty, e->rhs);
    switch (e->kind) {
    case E_INT: e->type = UDF_DTYPE_I64; break;
    case E_FLOAT: e->type = UDF_DTYPE_F64; break;
    case E_BOOL: e->type = UDF_DTYPE_BOOL; break;
    case E_NAME:
        if (e->sym->kind == SYM_FRAME)
            e->type = ty->input;
        else if (e->sym->kind == SYM_LET)
            e->type = e->sym->value->type;
        else
            e->type = e->sym->type;
        break;
    case E_UNARY: e->type = e->op == OP_NOT ? UDF_DTYPE_BOOL : e->lhs->type; break;
    case E_BINARY: type_binary(e); break;
    case E_CALL: type_call(e); break;
    case E_CAST: e->type = type_resolve(e->cast_to, ty->input); break;
    case E_TYPE_QUERY: {
        int query = type_query_lookup(e->name);
        e->type = query == TQ_BITS ? UDF_DTYPE_I64 : UDF_DTYPE_BOOL;
        e->ival = type_query_answer(query, type_resolve(e->cast_to, ty->input));
        break;
    }
    case E_INDEX: e->type = e->sym->kind == SYM_SHAPE ? UDF_DTYPE_I64 : e->sym->type; break;
    case E_FIELD: e->type = e->sym->type; break;
    }
}

static void type_stmts(Typer *ty, Stmt *s)
{
    for (; s; s = s->next) {
        if (s->kind == S_DERIVED) {
            type_expr(ty, s->decl->init);
            s->sym->type = type_resolve(s->decl->dtype, ty->input);
            continue;
        }
        if (s->target && s->target->kind == E_INDEX)
            for (Expr *a = s->target->args; a; a = a->next)
                type_expr(ty, a);
        if (s->target)
            s->target->type = s->target->sym->type;
        type_expr(ty, s->value);
        type_expr(ty, s->cond);
        if (s->kind == S_LET)
            s->sym->type = s->value->type;
        type_stmts(ty, s->then_body);
        type_stmts(ty, s->else_body);
    }
}

void check_types(CheckedUdf *cu, udf_dtype input)
{
    Typer ty = {.input = input};
    for (int i = 0; i < cu->n_buffers; i++)
        cu->buffers[i]->type = type_resolve(cu->buffers[i]->decl->dtype, input);
    for (int i = 0; i < cu->n_params; i++)
        cu->params[i]->type = type_resolve(cu->params[i]->decl->dtype, input);
    for (int i = 0; i < cu->n_dimvars; i++)
        cu->dimvars[i]->type = UDF_DTYPE_I64;
    for (int i = 0; i < cu->n_coords; i++)
        cu->coords[i]->type = UDF_DTYPE_I64;
    for (int i = 0; i < cu->n_params; i++)
        type_expr(&ty, cu->params[i]->decl->init);
    for (Body *b = cu->udf->bodies; b; b = b->next)
        type_stmts(&ty, b->stmts);
}
