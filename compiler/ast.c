/* ast.c — AST constructors, the doc-comment finder and the printer behind
 * `udfc emit ast`. */
#include "ast.h"

#include <string.h>

const char *op_spelling(Op op)
{
    static const char *const spelling[] = {[OP_NONE] = "=",
#define X_SPELL(e, s) [OP_##e] = s,
                                           UDF_OPS(X_SPELL)
#undef X_SPELL
    };
    return spelling[op];
}

const char *dtype_name(udf_dtype t)
{
    static const char *const names[] = {
#define X_NAME(e, name, size, is_float, is_signed) name,
        UDF_DTYPES(X_NAME)
#undef X_NAME
    };
    if ((int)t == TYPE_FLOAT)
        return "float";
    if ((int)t == TYPE_INPUT)
        return "input";
    return (unsigned)t < UDF_DTYPE_COUNT ? names[t] : "?";
}

Expr *ast_expr(Arena *a, ExprKind kind, Loc loc)
{
    Expr *e = ARENA_NEW(a, Expr);
    e->kind = kind;
    e->loc = loc;
    e->depth = 1;
    return e;
}

Stmt *ast_stmt(Arena *a, StmtKind kind, Loc loc)
{
    Stmt *s = ARENA_NEW(a, Stmt);
    s->kind = kind;
    s->loc = loc;
    return s;
}

void *ast_append_(void **head, void *item, size_t next_offset)
{
    void **link = head;
    while (*link)
        link = (void **)((char *)*link + next_offset);
    *link = item;
    return *head;
}

const char *ast_doc_comment(Arena *a, const Source *src, int line)
{
    const char *text = src->text, *line_start = text;
    for (int l = 1; l < line && line_start; l++) {
        line_start = strchr(line_start, '\n');
        if (line_start)
            line_start++;
    }
    if (!line_start)
        return "";
    /* Walk back over the comment lines right above. */
    const char *first = line_start;
    while (first > text) {
        const char *prev = first - 1;
        while (prev > text && prev[-1] != '\n')
            prev--;
        if (prev[strspn(prev, " \t")] != '#')
            break;
        first = prev;
    }
    char *doc = arena_alloc(a, (size_t)(line_start - first) + 1);
    for (const char *p = first; p < line_start; p = strchr(p, '\n') + 1) {
        const char *s = p + strspn(p, " \t") + 1;
        if (*s == ' ')
            s++;
        strncat(doc, s, strcspn(s, "\n") + 1);
    }
    return doc;
}

/* ---- printer: one node per line, children indented ---- */

static void indent(FILE *out, int depth) { fprintf(out, "%*s", 2 * depth, ""); }

static void print_expr(FILE *out, const Expr *e);

static void print_list(FILE *out, const Expr *e)
{
    for (; e; e = e->next) {
        print_expr(out, e);
        if (e->next)
            fputs(", ", out);
    }
}

/* Expressions print fully parenthesised, so precedence is visible. */
static void print_expr(FILE *out, const Expr *e)
{
    switch (e->kind) {
    case E_INT: fprintf(out, "%lld", (long long)e->ival); break;
    case E_FLOAT: fprintf(out, "%.17g", e->fval); break;
    case E_BOOL: fputs(e->ival ? "true" : "false", out); break;
    case E_NAME: fputs(e->name, out); break;
    case E_FIELD: fprintf(out, "%s.%s", e->name, e->field); break;
    case E_INDEX:
        print_expr(out, e->base);
        fputc('[', out);
        print_list(out, e->args);
        fputc(']', out);
        break;
    case E_UNARY:
        fprintf(out, "(%s", op_spelling(e->op));
        print_expr(out, e->lhs);
        fputc(')', out);
        break;
    case E_BINARY:
        fputc('(', out);
        print_expr(out, e->lhs);
        fprintf(out, " %s ", op_spelling(e->op));
        print_expr(out, e->rhs);
        fputc(')', out);
        break;
    case E_TYPE_QUERY: fprintf(out, "%s(%s)", e->name, dtype_name(e->cast_to)); break;
    case E_CALL:
    case E_CAST:
        fprintf(out, "%s(", e->kind == E_CALL ? e->name : dtype_name(e->cast_to));
        print_list(out, e->args);
        fputc(')', out);
        break;
    }
}

static const char *const decl_words[] = {
    [D_NAV] = "nav",
    [D_SIG] = "sig",
    [D_SINGLE] = "single",
    [D_PARAM] = "param",
    [D_PARAM_SIG] = "param sig",
    [D_PARAM_NAV] = "param nav",
};

static void print_decl(FILE *out, const Decl *d, int depth)
{
    indent(out, depth);
    fprintf(out, "%s%s %s %s", d->is_private ? "private " : "", decl_words[d->kind],
            dtype_name(d->dtype), d->name);
    if (d->dims) {
        fputc('[', out);
        print_list(out, d->dims);
        fputc(']', out);
    }
    if (d->init) {
        fputs(" = ", out);
        print_expr(out, d->init);
    }
    fputs(";\n", out);
}

static void print_stmts(FILE *out, const Stmt *s, int depth)
{
    for (; s; s = s->next) {
        switch (s->kind) {
        case S_LET:
            indent(out, depth);
            fprintf(out, "let %s = ", s->name);
            print_expr(out, s->value);
            fputs(";\n", out);
            break;
        case S_ASSIGN:
            indent(out, depth);
            print_expr(out, s->target);
            fprintf(out, " %s= ", s->assign_op ? op_spelling(s->assign_op) : "");
            print_expr(out, s->value);
            fputs(";\n", out);
            break;
        case S_IF:
            indent(out, depth);
            fputs("if ", out);
            print_expr(out, s->cond);
            fputs(" {\n", out);
            print_stmts(out, s->then_body, depth + 1);
            if (s->else_body) {
                indent(out, depth);
                fputs("} else {\n", out);
                print_stmts(out, s->else_body, depth + 1);
            }
            indent(out, depth);
            fputs("}\n", out);
            break;
        case S_DERIVED: print_decl(out, s->decl, depth); break;
        }
    }
}

void ast_print(FILE *out, const Program *prog)
{
    for (const Udf *u = prog->udfs; u; u = u->next) {
        fprintf(out, "udf %s {\n", u->name);
        for (const Decl *d = u->decls; d; d = d->next)
            print_decl(out, d, 1);
        for (const Body *b = u->bodies; b; b = b->next) {
            indent(out, 1);
            switch (b->kind) {
            case B_FRAME:
                fputs("frame", out);
                if (b->coords) {
                    fputc('[', out);
                    print_list(out, b->coords);
                    fputc(']', out);
                }
                break;
            case B_MERGE: fprintf(out, "merge(%s, %s)", b->part_a, b->part_b); break;
            case B_RESULT: fputs("result", out); break;
            }
            fputs(" {\n", out);
            print_stmts(out, b->stmts, 2);
            indent(out, 1);
            fputs("}\n", out);
        }
        fputs("}\n", out);
    }
}
