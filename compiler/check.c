/* check.c — semantic checks and typing of udf programs; see check.h.
 *
 * Errors never cascade: an expression that failed to check gets `poisoned`
 * and every check that would look at it stays silent. */
#include "check.h"

#include <math.h>
#include <string.h>

#include "builtins.h"

typedef enum Where { IN_FRAME, IN_INIT } Where;

typedef struct Checker {
    Source *src;
    Arena *arena;
    CheckedUdf *cu;
    Symbol *globals; /* buffers, params, predefined names of the udf */
    Symbol *lets;    /* lets of the body being checked, newest first */
    int n_lets;
    Where where;
} Checker;

/* ---- types (SPEC §2.3) ---- */

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

static udf_dtype signed_of_bits(int bits)
{
    return bits <= 8 ? UDF_DTYPE_I8 : bits <= 16 ? UDF_DTYPE_I16 : bits <= 32 ? UDF_DTYPE_I32
                                                                              : UDF_DTYPE_I64;
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

/* ---- names ---- */

static const char *const reserved_names[] = {"frame", "index", "nav_shape", "sig_shape"};

static Symbol *new_symbol(Checker *c, SymKind kind, const char *name, Loc loc)
{
    Symbol *s = ARENA_NEW(c->arena, Symbol);
    s->kind = kind;
    s->name = name;
    s->loc = loc;
    return s;
}

static Symbol *find_in(Symbol *list, const char *name)
{
    for (Symbol *s = list; s; s = s->next_in_scope)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static Symbol *lookup(Checker *c, const char *name)
{
    Symbol *s = find_in(c->lets, name);
    return s ? s : find_in(c->globals, name);
}

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32)
        return 99;
    int row[33];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The visible name or builtin closest to `name`, if it is a likely typo. */
static const char *suggest(Checker *c, const char *name)
{
    const char *best = NULL;
    /* Up to one edit for short names, two for longer ones. */
    int best_d = (strlen(name) <= 4 ? 1 : 2) + 1;
    Symbol *lists[2] = {c->lets, c->globals};
    for (int l = 0; l < 2; l++)
        for (Symbol *s = lists[l]; s; s = s->next_in_scope) {
            int d = edit_distance(name, s->name);
            if (d < best_d) {
                best_d = d;
                best = s->name;
            }
        }
    int n;
    const struct Builtin *bt = builtin_table(&n);
    for (int i = 0; i < n; i++) {
        int d = edit_distance(name, bt[i].name);
        if (d < best_d) {
            best_d = d;
            best = bt[i].name;
        }
    }
    return best;
}

static void unknown_name(Checker *c, Loc loc, const char *what, const char *name)
{
    const char *hint = suggest(c, name);
    if (hint)
        diag_error(c->src, loc, "unknown %s '%s'; did you mean '%s'?", what, name, hint);
    else
        diag_error(c->src, loc, "unknown %s '%s'", what, name);
}

/* ---- expressions ---- */

/* Returns 0 after reporting an error in `e` (or below it). */
static int check_expr(Checker *c, Expr *e);

static int check_args(Checker *c, Expr *args, Shape *shape)
{
    int ok = 1;
    *shape = SHAPE_SCALAR;
    for (Expr *a = args; a; a = a->next) {
        if (!check_expr(c, a)) {
            ok = 0;
            continue;
        }
        if (a->shape == SHAPE_PIXEL)
            *shape = SHAPE_PIXEL;
    }
    return ok;
}

static int count_list(const Expr *e)
{
    int n = 0;
    for (; e; e = e->next)
        n++;
    return n;
}

static int check_name(Checker *c, Expr *e)
{
    Symbol *s = lookup(c, e->name);
    if (!s) {
        unknown_name(c, e->loc, "name", e->name);
        return 0;
    }
    e->sym = s;
    switch (s->kind) {
    case SYM_FRAME:
    case SYM_INDEX:
        if (c->where != IN_FRAME) {
            diag_error(c->src, e->loc, "'%s' exists only inside the frame body", e->name);
            return 0;
        }
        break;
    case SYM_BUFFER:
        if (c->where != IN_FRAME) {
            diag_error(c->src, e->loc, "a start value cannot read buffer '%s'", e->name);
            return 0;
        }
        break;
    case SYM_SHAPE:
        diag_error(c->src, e->loc, "'%s' needs an index: %s[d] is the size of dim d", e->name,
                   e->name);
        return 0;
    default: break;
    }
    e->shape = s->shape;
    return 1;
}

static int check_call(Checker *c, Expr *e)
{
    Shape shape;
    if (!check_args(c, e->args, &shape))
        return 0;
    int arity = count_list(e->args), name_exists;
    const struct Builtin *b = builtin_lookup(e->name, arity, &name_exists);
    if (!b) {
        if (name_exists)
            diag_error(c->src, e->loc, "'%s' does not take %d argument%s", e->name, arity,
                       arity == 1 ? "" : "s");
        else
            unknown_name(c, e->loc, "function", e->name);
        return 0;
    }
    e->builtin = b;
    switch (b->cls) {
    case BC_REDUCE:
        if (shape != SHAPE_PIXEL) {
            diag_error(c->src, e->loc,
                       "%s() reduces over the detector, but its argument is one number per frame",
                       e->name);
            return 0;
        }
        e->shape = SHAPE_SCALAR;
        return 1;
    case BC_RESULT_ONLY:
        diag_error(c->src, e->loc, "%s() works on whole buffers and is allowed only in `result`",
                   e->name);
        return 0;
    default: e->shape = shape; return 1;
    }
}

static int check_expr(Checker *c, Expr *e)
{
    e->shape = SHAPE_SCALAR;
    switch (e->kind) {
    case E_INT:
    case E_FLOAT:
    case E_BOOL: e->is_literal = 1; return 1;
    case E_NAME: return check_name(c, e);
    case E_UNARY:
        if (!check_expr(c, e->lhs))
            return 0;
        e->shape = e->lhs->shape;
        e->is_literal = e->lhs->is_literal;
        return 1;
    case E_BINARY: {
        int ok = check_expr(c, e->lhs);
        ok = check_expr(c, e->rhs) && ok;
        if (!ok)
            return 0;
        e->shape = e->lhs->shape == SHAPE_PIXEL || e->rhs->shape == SHAPE_PIXEL ? SHAPE_PIXEL
                                                                               : SHAPE_SCALAR;
        e->is_literal = e->lhs->is_literal && e->rhs->is_literal;
        return 1;
    }
    case E_CALL: return check_call(c, e);
    case E_CAST:
        if (count_list(e->args) != 1) {
            diag_error(c->src, e->loc, "a cast to %s takes one argument", dtype_name(e->cast_to));
            return 0;
        }
        if (!check_expr(c, e->args))
            return 0;
        e->shape = e->args->shape;
        return 1;
    case E_INDEX:
    case E_FIELD:
        diag_error(c->src, e->loc, "indexing and fields are not supported yet");
        return 0;
    }
    return 0;
}

/* Whether `e` reads symbol `s`. */
static int reads(const Expr *e, const Symbol *s)
{
    for (; e; e = e->next) {
        if (e->sym == s || (e->kind == E_NAME && e->sym && e->sym->kind == SYM_LET &&
                            reads(e->sym->value, s)))
            return 1;
        if (reads(e->lhs, s) || reads(e->rhs, s) || reads(e->args, s) || reads(e->base, s))
            return 1;
    }
    return 0;
}

/* ---- statements of the frame body ---- */

/* The merge rule an update implies (SPEC §2.4): `b += e` or `b -= e` sums,
 * `b = max(b, e)` / `min` keep extremes; anything else needs merge(a, b). */
static MergeKind implied_merge(const Stmt *s, const Symbol *b)
{
    if ((s->assign_op == OP_ADD || s->assign_op == OP_SUB) && !reads(s->value, b))
        return MERGE_SUM;
    const Expr *v = s->value;
    if (s->assign_op != OP_NONE || v->kind != E_CALL || !v->builtin ||
        (v->builtin->id != BI_MAX && v->builtin->id != BI_MIN))
        return MERGE_USER;
    const Expr *x = v->args, *y = v->args->next;
    const Expr *other = x->kind == E_NAME && x->sym == b ? y : y->kind == E_NAME && y->sym == b ? x
                                                                                              : NULL;
    if (!other || reads(other, b))
        return MERGE_USER;
    return v->builtin->id == BI_MAX ? MERGE_MAX : MERGE_MIN;
}

static void note_update(Symbol *b, MergeKind kind)
{
    if (b->merge == MERGE_NONE)
        b->merge = kind;
    else if (b->merge != kind)
        b->merge = MERGE_USER;
}

static void check_assign(Checker *c, Stmt *s)
{
    int ok = check_expr(c, s->value);
    Expr *t = s->target;
    if (t->kind != E_NAME) {
        diag_error(c->src, t->loc, "indexed assignment is not supported yet");
        return;
    }
    Symbol *b = lookup(c, t->name);
    if (!b) {
        unknown_name(c, t->loc, "buffer", t->name);
        return;
    }
    t->sym = b;
    if (b->kind != SYM_BUFFER) {
        const char *what = b->kind == SYM_LET     ? "a `let` value, which is immutable"
                           : b->kind == SYM_PARAM ? "a parameter, which is read-only"
                                                  : "not a buffer";
        diag_error(c->src, t->loc, "cannot assign to '%s': it is %s", t->name, what);
        return;
    }
    t->shape = b->shape;
    if (!ok)
        return;
    if (b->buf_kind != UDF_KIND_SIG && s->value->shape == SHAPE_PIXEL) {
        diag_error(c->src, s->value->loc,
                   "'%s' is a %s buffer (one value per %s), but this value has one number per "
                   "detector pixel; reduce it, e.g. sum(...)",
                   b->name, b->buf_kind == UDF_KIND_NAV ? "nav" : "single",
                   b->buf_kind == UDF_KIND_NAV ? "frame" : "run");
        return;
    }
    if (b->buf_kind != UDF_KIND_NAV)
        note_update(b, implied_merge(s, b));
}

static void check_stmts(Checker *c, Stmt *s)
{
    for (; s; s = s->next) {
        switch (s->kind) {
        case S_LET: {
            int ok = check_expr(c, s->value);
            Symbol *prev = lookup(c, s->name);
            if (prev && prev->kind != SYM_LET && prev->kind != SYM_SHAPE) {
                diag_error(c->src, s->name_loc, "'%s' is already defined", s->name);
                continue;
            }
            if (find_in(c->lets, s->name)) {
                diag_error(c->src, s->name_loc, "'%s' is already defined in this body", s->name);
                continue;
            }
            Symbol *sym = new_symbol(c, SYM_LET, s->name, s->name_loc);
            sym->value = s->value;
            sym->shape = ok ? s->value->shape : SHAPE_SCALAR;
            sym->slot = c->n_lets++;
            sym->next_in_scope = c->lets;
            c->lets = sym;
            s->sym = sym;
            break;
        }
        case S_ASSIGN: check_assign(c, s); break;
        case S_IF: diag_error(c->src, s->loc, "`if` is not supported yet"); break;
        case S_DERIVED:
            diag_error(c->src, s->loc, "buffer declarations belong before the bodies, or in `result`");
            break;
        }
    }
}

/* ---- declarations ---- */

/* Evaluates a start value: a literal, maybe negated (-inf). */
static int constant_value(Checker *c, Expr *e, double *out)
{
    switch (e->kind) {
    case E_INT:
    case E_BOOL: *out = (double)e->ival; return 1;
    case E_FLOAT: *out = e->fval; return 1;
    case E_UNARY:
        if (e->op == OP_NEG && constant_value(c, e->lhs, out)) {
            *out = -*out;
            return 1;
        }
        break;
    default: break;
    }
    diag_error(c->src, e->loc, "a start value must be a number (like 0, -1.5 or -inf)");
    return 0;
}

static int is_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof reserved_names / sizeof *reserved_names; i++)
        if (strcmp(reserved_names[i], name) == 0)
            return 1;
    return 0;
}

static void declare(Checker *c, Decl *d)
{
    if (is_reserved(d->name)) {
        diag_error(c->src, d->name_loc, "'%s' is a predefined name and cannot be declared",
                   d->name);
        return;
    }
    Symbol *prev = find_in(c->globals, d->name);
    if (prev) {
        diag_error(c->src, d->name_loc, "'%s' is declared twice", d->name);
        diag_note(c->src, prev->loc, "first declared here");
        return;
    }
    if (d->kind == D_PARAM || d->kind == D_PARAM_SIG || d->kind == D_PARAM_NAV) {
        diag_error(c->src, d->loc, "parameters are not supported yet");
        return;
    }
    if (d->dims) {
        diag_error(c->src, d->dims->loc, "buffer dims are not supported yet");
        return;
    }
    Symbol *s = new_symbol(c, SYM_BUFFER, d->name, d->name_loc);
    s->decl = d;
    s->buf_kind = d->kind == D_NAV ? UDF_KIND_NAV : d->kind == D_SIG ? UDF_KIND_SIG
                                                                     : UDF_KIND_SINGLE;
    s->shape = s->buf_kind == UDF_KIND_SIG ? SHAPE_PIXEL : SHAPE_SCALAR;
    /* A bad start value is reported, but the buffer is still declared, so
     * that its uses do not report it unknown. */
    if (d->init && constant_value(c, d->init, &s->init) && s->buf_kind == UDF_KIND_NAV &&
        s->init != 0) {
        /* nav elements start at 0 in every frame (SPEC §2.3) */
        diag_error(c->src, d->init->loc, "nav buffers start at 0 in every frame; drop the start value");
    }
    s->slot = c->cu->n_buffers;
    s->next_in_scope = c->globals;
    c->globals = s;
    c->cu->buffers[c->cu->n_buffers++] = s;
}

static void add_predefined(Checker *c)
{
    static const struct {
        const char *name;
        SymKind kind;
        Shape shape;
    } predefined[] = {
        {"frame", SYM_FRAME, SHAPE_PIXEL},
        {"index", SYM_INDEX, SHAPE_SCALAR},
        {"nav_shape", SYM_SHAPE, SHAPE_SCALAR},
        {"sig_shape", SYM_SHAPE, SHAPE_SCALAR},
    };
    for (size_t i = 0; i < sizeof predefined / sizeof *predefined; i++) {
        Symbol *s = new_symbol(c, predefined[i].kind, predefined[i].name, (Loc){0});
        s->shape = predefined[i].shape;
        s->type = UDF_DTYPE_I64;
        s->next_in_scope = c->globals;
        c->globals = s;
    }
}

static void check_udf(Checker *c, Udf *u)
{
    CheckedUdf *cu = c->cu;
    cu->udf = u;
    cu->src = c->src;
    int n_decls = 0;
    for (Decl *d = u->decls; d; d = d->next)
        n_decls++;
    cu->buffers = ARENA_ARRAY(c->arena, Symbol *, n_decls + 1);
    c->globals = NULL;
    c->lets = NULL;
    c->n_lets = 0;
    add_predefined(c);
    c->where = IN_INIT;
    for (Decl *d = u->decls; d; d = d->next)
        declare(c, d);
    for (Body *b = u->bodies; b; b = b->next) {
        if (b->kind == B_FRAME && !cu->frame && !b->coords) {
            cu->frame = b;
            c->where = IN_FRAME;
            c->lets = NULL;
            check_stmts(c, b->stmts);
            cu->n_lets = c->n_lets;
        } else if (b->kind == B_FRAME && cu->frame) {
            diag_error(c->src, b->loc, "udf '%s' has more than one frame body", u->name);
        } else {
            diag_error(c->src, b->loc, "this body is not supported yet");
        }
    }
    if (!cu->frame)
        diag_error(c->src, u->loc, "udf '%s' has no frame body: say what to do with each frame",
                   u->name);
    for (int i = 0; i < cu->n_buffers; i++) {
        Symbol *b = cu->buffers[i];
        if (b->merge == MERGE_USER)
            diag_error(c->src, b->loc,
                       "buffer '%s' needs a merge: its updates are not all `+=`, "
                       "`= max(%s, ...)` or `= min(%s, ...)`; assign it in merge(a, b)",
                       b->name, b->name, b->name);
    }
}

CheckedProgram *check_program(Program *prog)
{
    Source *src = prog->src;
    CheckedProgram *cp = ARENA_NEW(prog->arena, CheckedProgram);
    cp->program = prog;
    for (Udf *u = prog->udfs; u; u = u->next)
        cp->n_udfs++;
    cp->udfs = ARENA_ARRAY(prog->arena, CheckedUdf, cp->n_udfs + 1);
    Checker c = {.src = src, .arena = prog->arena};
    int i = 0;
    for (Udf *u = prog->udfs; u; u = u->next, i++) {
        for (Udf *v = prog->udfs; v != u; v = v->next)
            if (strcmp(v->name, u->name) == 0) {
                diag_error(src, u->loc, "udf '%s' is defined twice", u->name);
                break;
            }
        c.cu = &cp->udfs[i];
        check_udf(&c, u);
    }
    if (!prog->udfs && src->errors == 0)
        diag_error(src, (Loc){1, 1, 1, 1}, "no udf in this file (expected `udf NAME { ... }`)");
    return src->errors ? NULL : cp;
}

/* ---- typing ---- */

static void type_expr(Expr *e, udf_dtype input);

/* The common type of operands, where untyped literals adapt to the others
 * (SPEC §2.3): an integer literal takes the other operand's type; a float
 * literal does too if that is a float, else the float type of it. */
static udf_dtype operand_type(Expr *list_or_pair[], int n)
{
    udf_dtype t = UDF_DTYPE_COUNT;
    int float_literal = 0;
    for (int i = 0; i < n; i++) {
        Expr *e = list_or_pair[i];
        if (e->is_literal) {
            float_literal |= type_is_float(e->type);
            continue;
        }
        t = t == UDF_DTYPE_COUNT ? e->type : type_promote(t, e->type);
    }
    if (t == UDF_DTYPE_COUNT) { /* only literals */
        t = UDF_DTYPE_BOOL;
        for (int i = 0; i < n; i++)
            t = type_promote(t, list_or_pair[i]->type);
        return t;
    }
    return float_literal ? type_float_of(t) : t;
}

static void type_expr(Expr *e, udf_dtype input)
{
    for (Expr *a = e->args; a; a = a->next)
        type_expr(a, input);
    switch (e->kind) {
    case E_INT: e->type = UDF_DTYPE_I64; break;
    case E_FLOAT: e->type = UDF_DTYPE_F64; break;
    case E_BOOL: e->type = UDF_DTYPE_BOOL; break;
    case E_NAME:
        if (e->sym->kind == SYM_FRAME)
            e->type = input;
        else if (e->sym->kind == SYM_LET)
            e->type = e->sym->value->type;
        else
            e->type = e->sym->type;
        break;
    case E_UNARY:
        type_expr(e->lhs, input);
        e->type = e->op == OP_NOT ? UDF_DTYPE_BOOL : e->lhs->type;
        break;
    case E_BINARY: {
        type_expr(e->lhs, input);
        type_expr(e->rhs, input);
        Expr *pair[2] = {e->lhs, e->rhs};
        udf_dtype t = operand_type(pair, 2);
        if (t == UDF_DTYPE_BOOL && e->op != OP_AND && e->op != OP_OR && e->op != OP_EQ &&
            e->op != OP_NE)
            t = UDF_DTYPE_I64; /* arithmetic and ordering on bools count them */
        e->optype = e->op == OP_DIV ? type_float_of(t) : t;
        switch (e->op) {
        case OP_DIV: e->type = type_float_of(t); break;
        case OP_EQ:
        case OP_NE:
        case OP_LT:
        case OP_LE:
        case OP_GT:
        case OP_GE:
        case OP_AND:
        case OP_OR: e->type = UDF_DTYPE_BOOL; break;
        default: e->type = t; break;
        }
        break;
    }
    case E_CALL: {
        Expr *args[3];
        int n = 0;
        for (Expr *a = e->args; a && n < 3; a = a->next)
            args[n++] = a;
        udf_dtype t = e->builtin->cls == BC_SELECT ? operand_type(args + 1, 2)
                                                   : operand_type(args, n);
        e->optype = e->builtin->cls == BC_FLOAT_FN ? type_float_of(t) : t;
        switch (e->builtin->cls) {
        case BC_REDUCE:
            if (e->builtin->id == BI_COUNT)
                e->type = UDF_DTYPE_I64;
            else if (e->builtin->id == BI_MEAN)
                e->type = type_is_float(t) ? t : UDF_DTYPE_F64;
            else if (e->builtin->id == BI_SUM && !type_is_float(t))
                e->type = type_is_signed(t) || t == UDF_DTYPE_BOOL ? UDF_DTYPE_I64 : UDF_DTYPE_U64;
            else
                e->type = t;
            break;
        case BC_FLOAT_FN: e->type = type_float_of(t); break;
        case BC_PREDICATE: e->type = UDF_DTYPE_BOOL; break;
        default: e->type = t; break;
        }
        break;
    }
    case E_CAST: e->type = e->cast_to; break;
    case E_INDEX:
    case E_FIELD: break;
    }
}

static void type_stmts(Stmt *s, udf_dtype input)
{
    for (; s; s = s->next) {
        if (s->value)
            type_expr(s->value, input);
        if (s->cond)
            type_expr(s->cond, input);
        if (s->sym)
            s->sym->type = s->value->type;
        type_stmts(s->then_body, input);
        type_stmts(s->else_body, input);
    }
}

void check_types(CheckedUdf *cu, udf_dtype input)
{
    for (int i = 0; i < cu->n_buffers; i++)
        cu->buffers[i]->type = cu->buffers[i]->decl->dtype;
    if (cu->frame)
        type_stmts(cu->frame->stmts, input);
}
