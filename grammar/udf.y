/* udf.y — the pure, reentrant parser of .udf sources. Builds the AST of ast.h
 * in the parse's arena (so values dropped during error recovery cannot leak)
 * and recovers at ';' and '}' so that one run reports every independent
 * syntax error once.
 *
 * Operator precedence, loosest first (documented in docs/language.md):
 *   ||   &&   == != < <= > >= (non-associative)   + -   * / // %
 *   unary - ! (prefix)   ** (right-associative; -x**2 is -(x**2))   postfix [] . ()
 */
%require "3.6"
%define api.pure full
%define api.token.prefix {TOK_}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {ParseState *ps}

%code requires {
#include "ast.h"
typedef void *yyscan_t;
#define YYLTYPE Loc
#define YYLTYPE_IS_DECLARED 1
#define YYLTYPE_IS_TRIVIAL 1
}

%code {
#include <string.h>

#include "lexer.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                     \
    do {                                                                \
        if (N) {                                                        \
            (Cur).line = YYRHSLOC(Rhs, 1).line;                         \
            (Cur).col = YYRHSLOC(Rhs, 1).col;                           \
            (Cur).end_line = YYRHSLOC(Rhs, N).end_line;                 \
            (Cur).end_col = YYRHSLOC(Rhs, N).end_col;                   \
        } else {                                                        \
            (Cur).line = (Cur).end_line = YYRHSLOC(Rhs, 0).end_line;    \
            (Cur).col = (Cur).end_col = YYRHSLOC(Rhs, 0).end_col;       \
        }                                                               \
    } while (0)

static Expr *nested(ParseState *ps, Expr *e);
static Expr *binary(ParseState *ps, Op op, Expr *l, Expr *r, Loc loc);
static Expr *unary(ParseState *ps, Op op, Expr *e, Loc loc);
static Expr *name_expr(ParseState *ps, const char *name, Loc loc);
static Stmt *assign(ParseState *ps, Expr *target, Op op, Expr *value, Loc loc);
static Decl *decl(ParseState *ps, DeclKind kind, udf_dtype t, const char *name, Loc name_loc,
                  Expr *dims, Expr *init, Loc loc);
static Body *body(ParseState *ps, BodyKind kind, Stmt *stmts, Loc loc);
static void yyerror(Loc *loc, yyscan_t scanner, ParseState *ps, const char *msg);
}

%initial-action {
    @$.line = @$.end_line = 1;
    @$.col = @$.end_col = 1;
}

%union {
    int64_t ival;
    double fval;
    char *str;
    udf_dtype dtype;
    Op op;
    DeclKind dkind;
    Expr *expr;
    Stmt *stmt;
    Decl *decl;
    Body *body;
    Udf *udf;
    struct { Decl *decls; Body *bodies; } items;
}

%token UDF "udf" NAV "nav" SIG "sig" SINGLE "single" PRIVATE "private" PARAM "param" IN "in"
%token FRAME "frame" MERGE "merge" RESULT "result" LET "let" IF "if" ELSE "else"
%token <ival> INT "integer" BOOL "true or false"
%token <fval> FLOAT "number"
%token <str> IDENT "identifier"
%token <dtype> TYPE "type"
%token FLOORDIV "//" POW "**" EQ "==" NE "!=" LE "<=" GE ">=" AND "&&" OR "||"
%token ADD_ASSIGN "+=" SUB_ASSIGN "-=" MUL_ASSIGN "*=" DIV_ASSIGN "/="

%left OR
%left AND
%nonassoc EQ NE '<' LE '>' GE
%left '+' '-'
%left '*' '/' FLOORDIV '%'
%precedence UNARY
%right POW

%type <expr> expr postfix primary args args_opt dims_opt init_opt range_opt names lvalue
%type <stmt> stmt stmts block else_opt
%type <decl> decl
%type <body> body
%type <udf> udf
%type <items> items
%type <dkind> bufkind
%type <op> assign_op

%%

program:
    %empty
  | program udf         { AST_APPEND(Udf, ps->program->udfs, $2); }
  | program error '}'   { yyerrok; }
  ;

udf:
    "udf" IDENT '{' items '}' {
        $$ = ARENA_NEW(ps->arena, Udf);
        $$->name = $2;
        $$->loc = @2;
        $$->decls = $4.decls;
        $$->bodies = $4.bodies;
        $$->doc = ast_doc_comment(ps->arena, ps->src, @1.line);
    }
  ;

items:
    %empty              { $$.decls = NULL; $$.bodies = NULL; }
  | items decl          { $$ = $1; AST_APPEND(Decl, $$.decls, $2); }
  | items body          { $$ = $1; AST_APPEND(Body, $$.bodies, $2); }
  | items error ';'     { $$ = $1; yyerrok; }
  | items error block   { $$ = $1; yyerrok; }
  ;

bufkind:
    "nav"               { $$ = D_NAV; }
  | "sig"               { $$ = D_SIG; }
  | "single"            { $$ = D_SINGLE; }
  ;

decl:
    bufkind TYPE IDENT dims_opt init_opt ';'
        { $$ = decl(ps, $1, $2, $3, @3, $4, $5, @$); }
  | "private" bufkind TYPE IDENT dims_opt init_opt ';'
        { $$ = decl(ps, $2, $3, $4, @4, $5, $6, @$); $$->is_private = 1; }
  | "param" TYPE IDENT dims_opt init_opt range_opt ';'
        { $$ = decl(ps, D_PARAM, $2, $3, @3, $4, $5, @$); $$->range = $6; }
  | "param" "sig" TYPE IDENT dims_opt ';'
        { $$ = decl(ps, D_PARAM_SIG, $3, $4, @4, $5, NULL, @$); }
  | "param" "nav" TYPE IDENT dims_opt ';'
        { $$ = decl(ps, D_PARAM_NAV, $3, $4, @4, $5, NULL, @$); }
  ;

dims_opt:
    %empty              { $$ = NULL; }
  | '[' args ']'        { $$ = $2; }
  ;

init_opt:
    %empty              { $$ = NULL; }
  | '=' expr            { $$ = $2; }
  ;

range_opt:
    %empty              { $$ = NULL; }
  | "in" '[' expr ',' expr ']' { $$ = AST_APPEND(Expr, $3, $5); }
  ;

body:
    "frame" block       { $$ = body(ps, B_FRAME, $2, @1); }
  | "frame" '[' names ']' block
                        { $$ = body(ps, B_FRAME, $5, @1); $$->coords = $3; }
  | "merge" '(' IDENT ',' IDENT ')' block
                        { $$ = body(ps, B_MERGE, $7, @1); $$->part_a = $3; $$->part_b = $5; }
  | "result" block      { $$ = body(ps, B_RESULT, $2, @1); }
  ;

names:
    IDENT               { $$ = name_expr(ps, $1, @1); }
  | names ',' IDENT     { $$ = AST_APPEND(Expr, $1, name_expr(ps, $3, @3)); }
  ;

block:
    '{' stmts '}'       { $$ = $2; }
  | '{' stmts error '}' { $$ = $2; yyerrok; }
  ;

stmts:
    %empty              { $$ = NULL; }
  | stmts stmt          { $$ = $2 ? AST_APPEND(Stmt, $1, $2) : $1; }
  ;

stmt:
    "let" IDENT '=' expr ';' {
        $$ = ast_stmt(ps->arena, S_LET, @$);
        $$->name = $2;
        $$->name_loc = @2;
        $$->value = $4;
    }
  | lvalue assign_op expr ';'   { $$ = assign(ps, $1, $2, $3, @$); }
  | "if" expr block else_opt {
        $$ = ast_stmt(ps->arena, S_IF, @$);
        $$->cond = $2;
        $$->then_body = $3;
        $$->else_body = $4;
    }
  | bufkind TYPE IDENT dims_opt '=' expr ';' {
        $$ = ast_stmt(ps->arena, S_DERIVED, @$);
        $$->decl = decl(ps, $1, $2, $3, @3, $4, $6, @$);
        $$->name = $3;
        $$->name_loc = @3;
    }
  | error ';'           { $$ = NULL; yyerrok; }
  ;

else_opt:
    %empty              { $$ = NULL; }
  | "else" block        { $$ = $2; }
  | "else" "if" expr block else_opt {
        $$ = ast_stmt(ps->arena, S_IF, @2);
        $$->cond = $3;
        $$->then_body = $4;
        $$->else_body = $5;
    }
  ;

lvalue:
    IDENT               { $$ = name_expr(ps, $1, @1); }
  | "frame"             { $$ = name_expr(ps, "frame", @1); }
  | IDENT '[' args ']'  {
        $$ = ast_expr(ps->arena, E_INDEX, @$);
        $$->base = name_expr(ps, $1, @1);
        $$->args = $3;
    }
  ;

assign_op:
    '='                 { $$ = OP_NONE; }
  | "+="                { $$ = OP_ADD; }
  | "-="                { $$ = OP_SUB; }
  | "*="                { $$ = OP_MUL; }
  | "/="                { $$ = OP_DIV; }
  ;

expr:
    postfix
  | expr "||" expr      { $$ = binary(ps, OP_OR, $1, $3, @$); }
  | expr "&&" expr      { $$ = binary(ps, OP_AND, $1, $3, @$); }
  | expr "==" expr      { $$ = binary(ps, OP_EQ, $1, $3, @$); }
  | expr "!=" expr      { $$ = binary(ps, OP_NE, $1, $3, @$); }
  | expr '<' expr       { $$ = binary(ps, OP_LT, $1, $3, @$); }
  | expr "<=" expr      { $$ = binary(ps, OP_LE, $1, $3, @$); }
  | expr '>' expr       { $$ = binary(ps, OP_GT, $1, $3, @$); }
  | expr ">=" expr      { $$ = binary(ps, OP_GE, $1, $3, @$); }
  | expr '+' expr       { $$ = binary(ps, OP_ADD, $1, $3, @$); }
  | expr '-' expr       { $$ = binary(ps, OP_SUB, $1, $3, @$); }
  | expr '*' expr       { $$ = binary(ps, OP_MUL, $1, $3, @$); }
  | expr '/' expr       { $$ = binary(ps, OP_DIV, $1, $3, @$); }
  | expr "//" expr      { $$ = binary(ps, OP_FLOORDIV, $1, $3, @$); }
  | expr '%' expr       { $$ = binary(ps, OP_MOD, $1, $3, @$); }
  | expr "**" expr      { $$ = binary(ps, OP_POW, $1, $3, @$); }
  | '-' expr %prec UNARY { $$ = unary(ps, OP_NEG, $2, @$); }
  | '+' expr %prec UNARY { $$ = $2; }
  | '!' expr %prec UNARY { $$ = unary(ps, OP_NOT, $2, @$); }
  ;

postfix:
    primary
  | IDENT '(' args_opt ')' {
        $$ = ast_expr(ps->arena, E_CALL, @$);
        $$->name = $1;
        $$->args = $3;
        nested(ps, $$);
    }
  | IDENT '(' TYPE ')' {
        $$ = ast_expr(ps->arena, E_TYPE_QUERY, @$);
        $$->name = $1;
        $$->cast_to = $3;
    }
  | TYPE '(' args_opt ')' {
        $$ = ast_expr(ps->arena, E_CAST, @$);
        $$->cast_to = $1;
        $$->args = $3;
        nested(ps, $$);
    }
  | postfix '[' args ']' {
        $$ = ast_expr(ps->arena, E_INDEX, @$);
        $$->base = $1;
        $$->args = $3;
        nested(ps, $$);
    }
  | IDENT '.' IDENT {
        $$ = ast_expr(ps->arena, E_FIELD, @$);
        $$->name = $1;
        $$->field = $3;
    }
  ;

primary:
    INT                 { $$ = ast_expr(ps->arena, E_INT, @$); $$->ival = $1; }
  | FLOAT               { $$ = ast_expr(ps->arena, E_FLOAT, @$); $$->fval = $1; }
  | BOOL                { $$ = ast_expr(ps->arena, E_BOOL, @$); $$->ival = $1; }
  | IDENT               { $$ = name_expr(ps, $1, @1); }
  | "frame"             { $$ = name_expr(ps, "frame", @1); }
  | '(' expr ')'        { $$ = $2; }
  ;

args_opt:
    %empty              { $$ = NULL; }
  | args
  ;

args:
    expr
  | args ',' expr       { $$ = AST_APPEND(Expr, $1, $3); }
  ;

%%

/* e with its depth, one more than its deepest operand's; past
 * EXPR_DEPTH_MAX an error, once, at the node that first goes past. */
static Expr *nested(ParseState *ps, Expr *e)
{
    int deepest = 0;
    const Expr *operands[] = {e->lhs, e->rhs, e->base};
    for (size_t i = 0; i < sizeof operands / sizeof *operands; i++)
        if (operands[i] && operands[i]->depth > deepest)
            deepest = operands[i]->depth;
    for (const Expr *a = e->args; a; a = a->next)
        if (a->depth > deepest)
            deepest = a->depth;
    e->depth = deepest + 1;
    if (e->depth == EXPR_DEPTH_MAX + 1)
        diag_error(ps->src, e->loc,
                   "expression nested more than %d levels deep; split it with lets",
                   EXPR_DEPTH_MAX);
    return e;
}

static Expr *binary(ParseState *ps, Op op, Expr *l, Expr *r, Loc loc)
{
    Expr *e = ast_expr(ps->arena, E_BINARY, loc);
    e->op = op;
    e->lhs = l;
    e->rhs = r;
    return nested(ps, e);
}

static Expr *unary(ParseState *ps, Op op, Expr *operand, Loc loc)
{
    Expr *e = ast_expr(ps->arena, E_UNARY, loc);
    e->op = op;
    e->lhs = operand;
    return nested(ps, e);
}

static Expr *name_expr(ParseState *ps, const char *name, Loc loc)
{
    Expr *e = ast_expr(ps->arena, E_NAME, loc);
    e->name = name;
    return e;
}

static Stmt *assign(ParseState *ps, Expr *target, Op op, Expr *value, Loc loc)
{
    Stmt *s = ast_stmt(ps->arena, S_ASSIGN, loc);
    s->target = target;
    s->assign_op = op;
    s->value = value;
    return s;
}

static Decl *decl(ParseState *ps, DeclKind kind, udf_dtype t, const char *name, Loc name_loc,
                  Expr *dims, Expr *init, Loc loc)
{
    Decl *d = ARENA_NEW(ps->arena, Decl);
    d->kind = kind;
    d->dtype = t;
    d->name = name;
    d->name_loc = name_loc;
    d->dims = dims;
    d->init = init;
    d->loc = loc;
    return d;
}

static Body *body(ParseState *ps, BodyKind kind, Stmt *stmts, Loc loc)
{
    Body *b = ARENA_NEW(ps->arena, Body);
    b->kind = kind;
    b->stmts = stmts;
    b->loc = loc;
    return b;
}

/* Token names as users should read them: keywords and punctuation quoted. */
static const char *token_name(yysymbol_kind_t sym)
{
    switch (sym) {
    case YYSYMBOL_YYEOF: return "end of file";
    case YYSYMBOL_INT: return "integer";
    case YYSYMBOL_FLOAT: return "number";
    case YYSYMBOL_BOOL: return "'true' or 'false'";
    case YYSYMBOL_IDENT: return "identifier";
    case YYSYMBOL_TYPE: return "type";
    default: break;
    }
    /* Keywords come unquoted from bison ("frame"); punctuation quoted ("';'"). */
    static char quoted[YYNTOKENS][24];
    const char *name = yysymbol_name(sym);
    if (name[0] != '\'' && name[0] != '"' && sym < YYNTOKENS) {
        snprintf(quoted[sym], sizeof quoted[sym], "'%s'", name);
        return quoted[sym];
    }
    return name;
}

/* Binary operators; listed together as "an operator". */
static int is_operator(yysymbol_kind_t sym)
{
    static const char *const operators[] = {
        "'+'", "'-'", "'*'", "'/'", "'%'", "'<'", "'>'", "//", "**", "==", "!=", "<=", ">=",
        "&&", "||", "'.'"};
    for (size_t i = 0; i < sizeof operators / sizeof *operators; i++)
        if (strcmp(yysymbol_name(sym), operators[i]) == 0)
            return 1;
    return 0;
}

/* Tokens that can start an expression; listed together as "an expression". */
static int starts_expression(yysymbol_kind_t sym)
{
    static const char *const operators[] = {"'-'", "'+'", "'!'", "'('"};
    switch (sym) {
    case YYSYMBOL_INT:
    case YYSYMBOL_FLOAT:
    case YYSYMBOL_BOOL:
    case YYSYMBOL_IDENT:
    case YYSYMBOL_TYPE:
    case YYSYMBOL_FRAME: return 1;
    default: break;
    }
    for (size_t i = 0; i < sizeof operators / sizeof *operators; i++)
        if (strcmp(yysymbol_name(sym), operators[i]) == 0)
            return 1;
    return 0;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ParseState *ps)
{
    (void)scanner;
    enum { MAX_EXPECTED = 64, MAX_LISTED = 5 };
    yysymbol_kind_t expected[MAX_EXPECTED];
    int n = yypcontext_expected_tokens(ctx, expected, MAX_EXPECTED);
    const char *names[MAX_EXPECTED + 2];
    int listed = 0, expression = 0, operator = 0;
    for (int i = 0; i < n; i++)
        expression |= expected[i] == YYSYMBOL_INT;
    for (int i = 0; i < n; i++) {
        if (expression && starts_expression(expected[i]))
            continue;
        if (is_operator(expected[i]))
            operator = 1;
        else
            names[listed++] = token_name(expected[i]);
    }
    if (expression)
        names[listed++] = "an expression";
    if (operator)
        names[listed++] = "an operator";
    /* Long lists read better as what they stand for. */
    int item_expected = 0, stmt_expected = 0;
    for (int i = 0; i < n; i++) {
        item_expected |= expected[i] == YYSYMBOL_MERGE;
        stmt_expected |= expected[i] == YYSYMBOL_LET;
    }
    char msg[512];
    int len = snprintf(msg, sizeof msg, "unexpected %s", token_name(yypcontext_token(ctx)));
    if (listed > MAX_LISTED && item_expected)
        snprintf(msg + len, sizeof msg - (size_t)len,
                 ", expected a declaration (nav, sig, single, private, param), a body "
                 "(frame, merge, result) or '}'");
    else if (listed > MAX_LISTED && stmt_expected)
        snprintf(msg + len, sizeof msg - (size_t)len, ", expected a statement or '}'");
    else if (listed > 0 && listed <= MAX_LISTED) {
        len += snprintf(msg + len, sizeof msg - (size_t)len, ", expected ");
        for (int i = 0; i < listed && len < (int)sizeof msg; i++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s",
                            i == 0 ? "" : i == listed - 1 ? " or " : ", ", names[i]);
    }
    diag_error(ps->src, *yypcontext_location(ctx), "%s", msg);
    return 0;
}

static void yyerror(Loc *loc, yyscan_t scanner, ParseState *ps, const char *msg)
{
    (void)scanner;
    diag_error(ps->src, *loc, "%s", msg);
}

Program *parse_program(Source *src, Arena *arena)
{
    ParseState ps = {.arena = arena, .src = src};
    ps.program = ARENA_NEW(arena, Program);
    ps.program->src = src;
    ps.program->arena = arena;
    yyscan_t scanner;
    if (yylex_init_extra(&ps, &scanner))
        return NULL;
    YY_BUFFER_STATE buf = yy_scan_bytes(src->text, (int)src->len, scanner);
    int rc = yyparse(scanner, &ps);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    return rc == 2 ? NULL : ps.program;
}
