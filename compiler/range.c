/* range.c — integer value ranges of checked expressions; see range.h. Only
 * bounds within ±2^53 are kept, so that the double arithmetic on them is exact.
 * Lets are followed into their values; a query visits at most WORK nodes (a
 * chain of lets each using the previous one twice would otherwise take
 * exponential time) and gives up, knowing nothing, beyond. */
#include "range.h"

#include <math.h>

#include "builtins.h"
#include "check.h"

/* Every value of an expression is an integer in [lo, hi] (computed exactly,
 * so never NaN or infinite), or nothing is known (known = 0). */
typedef struct Range {
    int known;
    double lo, hi;
} Range;

static const Range UNKNOWN = {0, 0, 0};

enum { WORK = 4096 };

static Range range_in(const Expr *e, int *work);

static Range span(double lo, double hi)
{
    const double limit = 0x1p53;
    if (!(lo >= -limit && hi <= limit))
        return UNKNOWN;
    return (Range){1, lo, hi};
}

/* The integers type t holds exactly: its range, or ±2^24 / ±2^53 for floats. */
static Range exact_in(udf_dtype t)
{
    switch (t) {
    case UDF_DTYPE_BOOL: return span(0, 1);
    case UDF_DTYPE_I8: return span(INT8_MIN, INT8_MAX);
    case UDF_DTYPE_U8: return span(0, UINT8_MAX);
    case UDF_DTYPE_I16: return span(INT16_MIN, INT16_MAX);
    case UDF_DTYPE_U16: return span(0, UINT16_MAX);
    case UDF_DTYPE_I32: return span(INT32_MIN, INT32_MAX);
    case UDF_DTYPE_U32: return span(0, UINT32_MAX);
    case UDF_DTYPE_I64: return span(-0x1p53, 0x1p53);
    case UDF_DTYPE_U64: return span(0, 0x1p53);
    case UDF_DTYPE_F32: return span(-0x1p24, 0x1p24);
    case UDF_DTYPE_F64: return span(-0x1p53, 0x1p53);
    default: return UNKNOWN;
    }
}

/* r as values of type t: unchanged if t holds all of them exactly. */
static Range as_type(Range r, udf_dtype t)
{
    Range in = exact_in(t);
    return r.known && in.known && r.lo >= in.lo && r.hi <= in.hi ? r : UNKNOWN;
}

/* The expression `e` stands for, seen through lets and conversions that keep
 * every value (so the order of values is kept too). */
static const Expr *underlying(const Expr *e, int *work)
{
    for (;;) {
        if (e->kind == E_NAME && e->sym && e->sym->kind == SYM_LET)
            e = e->sym->value;
        else if (e->kind == E_CAST && as_type(range_in(e->args, work), e->type).known)
            e = e->args;
        else
            return e;
    }
}

/* Whether m is the minimum over the frame's pixels of x's values: then
 * x − m ≥ 0 at every pixel. */
static int is_own_minimum(const Expr *x, const Expr *m, int *work)
{
    x = underlying(x, work);
    m = underlying(m, work);
    if (m->kind != E_CALL || m->builtin->id != BI_RMIN)
        return 0;
    const Expr *of = underlying(m->args, work);
    return x == of || (x->kind == E_NAME && of->kind == E_NAME && x->sym && x->sym == of->sym);
}

static Range arithmetic(const Expr *e, int *work)
{
    Range l = as_type(range_in(e->lhs, work), e->optype);
    Range r = as_type(range_in(e->rhs, work), e->optype);
    if (!l.known || !r.known)
        return UNKNOWN;
    switch (e->op) {
    case OP_ADD: return span(l.lo + r.lo, l.hi + r.hi);
    case OP_SUB: {
        double lo = l.lo - r.hi;
        return span(is_own_minimum(e->lhs, e->rhs, work) ? fmax(lo, 0) : lo, l.hi - r.lo);
    }
    case OP_MUL: {
        double p[] = {l.lo * r.lo, l.lo * r.hi, l.hi * r.lo, l.hi * r.hi};
        return span(fmin(fmin(p[0], p[1]), fmin(p[2], p[3])),
                    fmax(fmax(p[0], p[1]), fmax(p[2], p[3])));
    }
    default: return UNKNOWN;
    }
}

static Range name(const Symbol *s, udf_dtype type, int *work)
{
    switch (s->kind) {
    case SYM_FRAME: /* 64-bit integers may exceed the ±2^53 kept here */
        return type_is_float(type) || type_bits(type) == 64 ? UNKNOWN : exact_in(type);
    case SYM_LET: return range_in(s->value, work);
    default: return UNKNOWN;
    }
}

/* The values of a or b. */
static Range either(Range a, Range b)
{
    return a.known && b.known ? span(fmin(a.lo, b.lo), fmax(a.hi, b.hi)) : UNKNOWN;
}

static Range range_in(const Expr *e, int *work)
{
    if (--*work < 0)
        return UNKNOWN;
    Range r = UNKNOWN;
    switch (e->kind) {
    case E_INT:
    case E_BOOL:
    case E_TYPE_QUERY: r = span((double)e->ival, (double)e->ival); break;
    case E_FLOAT:
        if (e->fval == floor(e->fval))
            r = span(e->fval, e->fval);
        break;
    case E_NAME: r = e->sym ? name(e->sym, e->type, work) : UNKNOWN; break;
    case E_CAST: r = range_in(e->args, work); break;
    case E_UNARY:
        if (e->op == OP_NEG) {
            Range x = as_type(range_in(e->lhs, work), e->type);
            r = x.known ? span(-x.hi, -x.lo) : UNKNOWN;
        }
        break;
    case E_BINARY: r = arithmetic(e, work); break;
    case E_CALL: /* a frame's minimum or maximum lies within its values' range */
        if (e->builtin && (e->builtin->id == BI_RMIN || e->builtin->id == BI_RMAX))
            r = range_in(e->args, work);
        else if (e->builtin && e->builtin->id == BI_SELECT)
            r = either(range_in(e->args->next, work), range_in(e->args->next->next, work));
        break;
    default: break;
    }
    return as_type(r, e->type);
}

int range_positive_normal(const Expr *e, udf_dtype t)
{
    int work = WORK;
    Range r = as_type(range_in(e, &work), t);
    return r.known && r.lo >= 1;
}

int range_bounded(const Expr *e)
{
    int work = WORK;
    return range_in(e, &work).known;
}

int range_integers(const Expr *e, double *lo, double *hi)
{
    int work = WORK;
    Range r = range_in(e, &work);
    *lo = r.lo;
    *hi = r.hi;
    return r.known;
}

static int is_float_sum(const Expr *e)
{
    return e->kind == E_BINARY && (e->op == OP_ADD || e->op == OP_SUB) && type_is_float(e->optype);
}

/* Whether no value of e is -0 (integers converted to floats, sums of such,
 * ...): sums of such values are never -0 however they are grouped. */
static int never_negative_zero(const Expr *e, int *work)
{
    if (--*work < 0)
        return 0;
    if (!type_is_float(e->type))
        return 1; /* an integer converts to +0 */
    switch (e->kind) {
    case E_INT:
    case E_BOOL:
    case E_TYPE_QUERY: return 1;
    case E_FLOAT: return !signbit(e->fval);
    case E_CAST: return never_negative_zero(e->args, work);
    case E_NAME:
        return e->sym && e->sym->kind == SYM_LET && never_negative_zero(e->sym->value, work);
    case E_CALL:
        return e->builtin && (e->builtin->id == BI_RMIN || e->builtin->id == BI_RMAX) &&
               never_negative_zero(e->args, work);
    case E_BINARY: /* a + b is -0 only if both are; a - b only if a is */
        if (e->op == OP_SUB)
            return never_negative_zero(e->lhs, work);
        return e->op == OP_ADD &&
               (never_negative_zero(e->lhs, work) || never_negative_zero(e->rhs, work));
    default: return 0;
    }
}

/* Appends the terms of the chain of +/- of type t under e; 0 if too many. */
static int flatten(const Expr *e, udf_dtype t, int negative, RangeTerm *terms, int *n, int cap)
{
    if (is_float_sum(e) && e->optype == t)
        return flatten(e->lhs, t, negative, terms, n, cap) &&
               flatten(e->rhs, t, e->op == OP_SUB ? !negative : negative, terms, n, cap);
    if (*n == cap)
        return 0;
    terms[(*n)++] = (RangeTerm){e, negative};
    return 1;
}

int range_sum_terms(const Expr *e, RangeTerm *terms, int cap)
{
    int n = 0, work = WORK;
    if (!is_float_sum(e) || !flatten(e, e->optype, 0, terms, &n, cap))
        return 0;
    double magnitude = 0;
    for (int i = 0; i < n; i++) {
        Range r = as_type(range_in(terms[i].e, &work), e->optype);
        if (!r.known || !never_negative_zero(terms[i].e, &work))
            return 0;
        magnitude += fmax(fabs(r.lo), fabs(r.hi));
    }
    return magnitude <= exact_in(e->optype).hi ? n : 0;
}
