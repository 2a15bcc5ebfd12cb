/* range.h — what lowering may assume about the values of a checked
 * expression for one input type: bounds that hold for every pixel and frame,
 * derived from the frame's element type, literals, exact arithmetic, select
 * and one relation (a value minus its own minimum over the frame is never
 * negative). Lowering uses it to drop special cases the values cannot reach,
 * such as those of log in logsum's log(float(frame) - min(frame) + 1), to
 * add that sum's per-frame terms first (1 - min(frame)), once per frame, and
 * to sum a bounded value along a row before multiplying by a row factor
 * (lower_reduce.c), and to sum a scatter's runs in integers (lower_runs.c). */
#ifndef UDF_RANGE_H
#define UDF_RANGE_H

#include "ast.h"

/* Whether every value of `e`, converted to float type t, is a positive normal
 * number: an integer from 1 up that t holds exactly. */
int range_positive_normal(const Expr *e, udf_dtype t);

/* Whether every value of `e` is an integer within ±2^53: never NaN or
 * infinite, and a sum of a row of them stays finite in any float type. */
int range_bounded(const Expr *e);

/* Whether every value of `e` is an integer in [*lo, *hi] (then set), both
 * within ±2^53. */
int range_integers(const Expr *e, double *lo, double *hi);

/* A term of a float sum: e, added or (negative) subtracted. */
typedef struct RangeTerm {
    const Expr *e;
    int negative;
} RangeTerm;

/* The terms of the chain of additions and subtractions `e` heads (operands
 * of nodes of e's type, in order; the first is added) into terms[cap], and
 * their count, if every regrouping of them gives the same value, zeros' signs
 * included: all are integers, the sum of their largest magnitudes fits the
 * float type's integers, and none can be -0. Otherwise 0. */
int range_sum_terms(const Expr *e, RangeTerm *terms, int cap);

#endif
