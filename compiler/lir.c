/* lir.c — loop IR builders and the printer behind `udfc emit ir`. */
#include "lir.h"

#include <string.h>

int lir_var(Arena *a, LFunc *f, const char *name, LType type)
{
    if (f->n_vars == f->cap_vars) {
        int cap = f->cap_vars ? 2 * f->cap_vars : 16;
        LVar *vars = ARENA_ARRAY(a, LVar, cap);
        if (f->n_vars)
            memcpy(vars, f->vars, sizeof *vars * (size_t)f->n_vars);
        f->vars = vars;
        f->cap_vars = cap;
    }
    f->vars[f->n_vars] = (LVar){name, type};
    return f->n_vars++;
}

static LExpr *node(Arena *a, LExprKind kind, LType type)
{
    LExpr *e = ARENA_NEW(a, LExpr);
    e->kind = kind;
    e->type = type;
    return e;
}

LExpr *lir_const_int(Arena *a, LType type, int64_t v)
{
    LExpr *e = node(a, LE_CONST, type);
    e->ival = v;
    e->fval = (double)v;
    return e;
}

LExpr *lir_const_float(Arena *a, LType type, double v)
{
    LExpr *e = node(a, LE_CONST, type);
    e->fval = v;
    return e;
}

LExpr *lir_varref(Arena *a, const LFunc *f, int var)
{
    LExpr *e = node(a, LE_VAR, f->vars[var].type);
    e->var = var;
    return e;
}

LExpr *lir_field(Arena *a, LField field, int64_t arg, LExpr *frame)
{
    LType type = field == LX_FRAME_PTR ? LT_PTR
                 : field == LX_GIVEN   ? UDF_DTYPE_BOOL
                                       : UDF_DTYPE_I64;
    LExpr *e = node(a, LE_FIELD, type);
    e->field = field;
    e->ival = arg;
    e->a = frame;
    return e;
}

LExpr *lir_load(Arena *a, LBaseKind base, int slot, LType type, LExpr *index)
{
    LExpr *e = node(a, LE_LOAD, type);
    e->base = base;
    e->slot = slot;
    e->var = slot;
    e->a = index;
    return e;
}

static int is_const(const LExpr *e, int64_t v)
{
    return e->kind == LE_CONST && e->type == UDF_DTYPE_I64 && e->ival == v;
}

LExpr *lir_bin(Arena *a, Op op, LType type, LExpr *x, LExpr *y)
{
    /* Index arithmetic reads better (and the printed IR stays short)
     * without x * 1 and x + 0. */
    if (type == UDF_DTYPE_I64 && op == OP_MUL && (is_const(x, 1) || is_const(y, 1)))
        return is_const(x, 1) ? y : x;
    if (type == UDF_DTYPE_I64 && op == OP_ADD && (is_const(x, 0) || is_const(y, 0)))
        return is_const(x, 0) ? y : x;
    LExpr *e = node(a, LE_BIN, type);
    e->op = op;
    e->a = x;
    e->b = y;
    return e;
}

LExpr *lir_un(Arena *a, Op op, LExpr *x)
{
    LExpr *e = node(a, LE_UN, op == OP_NOT ? UDF_DTYPE_BOOL : x->type);
    e->op = op;
    e->a = x;
    return e;
}

LExpr *lir_cast(Arena *a, LType to, LExpr *x)
{
    if (x->type == to)
        return x;
    LExpr *e = node(a, LE_CAST, to);
    e->a = x;
    return e;
}

LExpr *lir_fn(Arena *a, LFn fn, LType type, LExpr *x, LExpr *y)
{
    LExpr *e = node(a, LE_FN, type);
    e->fn = fn;
    e->a = x;
    e->b = y;
    return e;
}

LExpr *lir_select(Arena *a, LExpr *c, LExpr *x, LExpr *y)
{
    LExpr *e = node(a, LE_SELECT, x->type);
    e->a = c;
    e->b = x;
    e->c = y;
    return e;
}

static LStmt *stmt(Arena *a, LStmtKind kind)
{
    LStmt *s = ARENA_NEW(a, LStmt);
    s->kind = kind;
    return s;
}

LStmt *lir_set(Arena *a, int var, LExpr *value)
{
    LStmt *s = stmt(a, LS_SET);
    s->var = var;
    s->value = value;
    return s;
}

LStmt *lir_store(Arena *a, LBaseKind base, int slot, LType elem, LExpr *index, LExpr *value)
{
    LStmt *s = stmt(a, LS_STORE);
    s->base = base;
    s->slot = slot;
    s->elem = elem;
    s->index = index;
    s->value = value;
    return s;
}

LStmt *lir_for(Arena *a, int var, LExpr *lo, LExpr *hi, LStmt *body)
{
    LStmt *s = stmt(a, LS_FOR);
    s->var = var;
    s->lo = lo;
    s->hi = hi;
    s->body = body;
    return s;
}

LStmt *lir_if(Arena *a, LExpr *cond, LStmt *then_body, LStmt *else_body)
{
    LStmt *s = stmt(a, LS_IF);
    s->cond = cond;
    s->body = then_body;
    s->else_body = else_body;
    return s;
}

LStmt *lir_call(Arena *a, const LFunc *piece)
{
    LStmt *s = stmt(a, LS_CALL);
    s->callee = piece;
    return s;
}

void lir_block_init(LBlock *b)
{
    b->head = NULL;
    b->tail = &b->head;
}

void lir_append(LBlock *b, LStmt *s)
{
    *b->tail = s;
    while (s->next)
        s = s->next;
    b->tail = &s->next;
}

/* ---- printer ---- */

const char *lir_type_name(LType t) { return t == LT_PTR ? "ptr" : dtype_name((udf_dtype)t); }

static const char *const fn_names[] = {
    [LF_NONE] = "?",      [LF_MIN] = "min",     [LF_MAX] = "max",   [LF_ABS] = "abs",
    [LF_SQRT] = "sqrt",   [LF_EXP] = "exp",     [LF_LOG] = "log",   [LF_LOG_POS] = "log_pos",
    [LF_LOG1P] = "log1p", [LF_SIN] = "sin",     [LF_COS] = "cos",   [LF_TAN] = "tan",
    [LF_ATAN2] = "atan2", [LF_FLOOR] = "floor", [LF_CEIL] = "ceil", [LF_ROUND] = "round",
    [LF_POW] = "pow",     [LF_ISNAN] = "isnan",
};

static const char *const field_names[] = {
    [LX_SIG_SIZE] = "sig_size",
    [LX_NAV_SIZE] = "nav_size",
    [LX_NAV_SHAPE] = "nav_shape",
    [LX_SIG_SHAPE] = "sig_shape",
    [LX_DIM] = "dim",
    [LX_DEPTH] = "depth",
    [LX_FRAME_PTR] = "frame_ptr",
    [LX_NAV_INDEX] = "nav_index",
    [LX_ORDINAL] = "ordinal",
    [LX_GIVEN] = "given",
};

static void print_base(FILE *out, const LFunc *f, LBaseKind base, int slot)
{
    switch (base) {
    case LB_VAR: fputs(f->vars[slot].name, out); break;
    case LB_BUF: fprintf(out, "buf%d", slot); break;
    case LB_SRC: fprintf(out, "src%d", slot); break;
    case LB_PARAM: fprintf(out, "param%d", slot); break;
    }
}

static void mark_expr(const LExpr *e, char *used)
{
    if (!e)
        return;
    if (e->kind == LE_LOAD && (e->base == LB_BUF || e->base == LB_SRC))
        used[e->slot] = 1;
    mark_expr(e->a, used);
    mark_expr(e->b, used);
    mark_expr(e->c, used);
}

static void mark_stmts(const LStmt *s, char *used)
{
    for (; s; s = s->next) {
        if (s->kind == LS_CALL)
            mark_stmts(s->callee->body, used);
        if (s->kind == LS_STORE && (s->base == LB_BUF || s->base == LB_SRC))
            used[s->slot] = 1;
        mark_expr(s->value, used);
        mark_expr(s->index, used);
        mark_expr(s->lo, used);
        mark_expr(s->hi, used);
        mark_expr(s->cond, used);
        mark_stmts(s->body, used);
        mark_stmts(s->else_body, used);
    }
}

static size_t expr_size(const LExpr *e)
{
    return e ? 1 + expr_size(e->a) + expr_size(e->b) + expr_size(e->c) : 0;
}

static size_t stmts_size(const LStmt *s)
{
    size_t n = 0;
    for (; s; s = s->next)
        n += lir_stmt_size(s);
    return n;
}

size_t lir_stmt_size(const LStmt *s)
{
    return 1 + expr_size(s->value) + expr_size(s->index) + expr_size(s->lo) + expr_size(s->hi) +
           expr_size(s->cond) + stmts_size(s->body) + stmts_size(s->else_body);
}

size_t lir_size(const LFunc *f) { return f ? stmts_size(f->body) : 0; }

void lir_mark_buffers(const LFunc *f, char *used)
{
    if (f)
        mark_stmts(f->body, used);
}

static void print_expr(FILE *out, const LFunc *f, const LExpr *e)
{
    switch (e->kind) {
    case LE_CONST:
        if (e->type == UDF_DTYPE_F32 || e->type == UDF_DTYPE_F64)
            fprintf(out, "%.9g:%s", e->fval, lir_type_name(e->type));
        else
            fprintf(out, "%lld:%s", (long long)e->ival, lir_type_name(e->type));
        break;
    case LE_VAR: fputs(f->vars[e->var].name, out); break;
    case LE_LOAD:
        fprintf(out, "load.%s ", lir_type_name(e->type));
        print_base(out, f, e->base, e->var);
        fputc('[', out);
        print_expr(out, f, e->a);
        fputc(']', out);
        break;
    case LE_FIELD:
        fputs(field_names[e->field], out);
        if (e->field == LX_NAV_SHAPE || e->field == LX_SIG_SHAPE || e->field == LX_DIM ||
            e->field == LX_GIVEN)
            fprintf(out, "[%lld]", (long long)e->ival);
        if (e->a) {
            fputc('[', out);
            print_expr(out, f, e->a);
            fputc(']', out);
        }
        break;
    case LE_BIN:
        fputc('(', out);
        print_expr(out, f, e->a);
        /* ~: may be reordered (a reduction step); !: never contracted (an FMA) */
        fprintf(out, " %s%s ", op_spelling(e->op), e->reassoc ? "~" : e->exact ? "!" : "");
        print_expr(out, f, e->b);
        fputc(')', out);
        break;
    case LE_UN:
        fputs(op_spelling(e->op), out);
        print_expr(out, f, e->a);
        break;
    case LE_CAST:
        fprintf(out, "%s(", lir_type_name(e->type));
        print_expr(out, f, e->a);
        fputc(')', out);
        break;
    case LE_FN:
        fprintf(out, "%s.%s(", fn_names[e->fn], lir_type_name(e->type));
        print_expr(out, f, e->a);
        if (e->b) {
            fputs(", ", out);
            print_expr(out, f, e->b);
        }
        fputc(')', out);
        break;
    case LE_SELECT:
        fputs("select(", out);
        print_expr(out, f, e->a);
        fputs(", ", out);
        print_expr(out, f, e->b);
        fputs(", ", out);
        print_expr(out, f, e->c);
        fputc(')', out);
        break;
    }
}

static void print_stmts(FILE *out, const LFunc *f, const LStmt *s, int depth)
{
    for (; s; s = s->next) {
        fprintf(out, "%*s", 2 * depth, "");
        switch (s->kind) {
        case LS_SET:
            fprintf(out, "%s = ", f->vars[s->var].name);
            print_expr(out, f, s->value);
            fputc('\n', out);
            break;
        case LS_STORE:
            fprintf(out, "store.%s ", lir_type_name(s->elem));
            print_base(out, f, s->base, s->slot);
            fputc('[', out);
            print_expr(out, f, s->index);
            fputs("] = ", out);
            print_expr(out, f, s->value);
            fputc('\n', out);
            break;
        case LS_FOR:
            fprintf(out, "for %s in ", f->vars[s->var].name);
            print_expr(out, f, s->lo);
            fputs(" .. ", out);
            print_expr(out, f, s->hi);
            fputs(s->scalar ? " scalar {\n" : " {\n", out);
            print_stmts(out, f, s->body, depth + 1);
            fprintf(out, "%*s}\n", 2 * depth, "");
            break;
        case LS_IF:
            fputs("if ", out);
            print_expr(out, f, s->cond);
            fputs(" {\n", out);
            print_stmts(out, f, s->body, depth + 1);
            if (s->else_body) {
                fprintf(out, "%*s} else {\n", 2 * depth, "");
                print_stmts(out, f, s->else_body, depth + 1);
            }
            fprintf(out, "%*s}\n", 2 * depth, "");
            break;
        case LS_CALL:
            fprintf(out, "call %s(", s->callee->name);
            for (int i = 0; i < s->callee->n_shared; i++)
                fprintf(out, "%s%s", i ? ", " : "", f->vars[s->callee->shared[i]].name);
            fputs(")\n", out);
            break;
        }
    }
}

void lir_print(FILE *out, const LFunc *f)
{
    static const char *const kinds[] = {"tile", "merge", "result", "prepare", "piece"};
    fprintf(out, "%s %s {\n", kinds[f->kind], f->name);
    for (int i = 0; i < f->n_vars; i++)
        fprintf(out, "%s%s: %s%s", i % 6 ? ", " : "  var ", f->vars[i].name,
                lir_type_name(f->vars[i].type), i % 6 == 5 || i == f->n_vars - 1 ? "\n" : "");
    print_stmts(out, f, f->body, 1);
    fputs("}\n", out);
}
