/* range.h — what lowering may assume about the values of a checked
 * expression for one input type: bounds that hold for every pixel and frame,
 * derived from the frame's element type, literals, exact arithmetic and one
 * relation (a value minus its own minimum over the frame is never negative).
 * Lowering uses it to drop special cases the values cannot reach, such as
 * those of log in logsum's log(float(frame) - min(frame) + 1). */
#ifndef UDF_RANGE_H
#define UDF_RANGE_H

#include "ast.h"

/* Every value of an expression is an integer in [lo, hi] (computed exactly,
 * so never NaN or infinite), or nothing is known (known = 0). */
typedef struct Range {
    int known;
    double lo, hi;
} Range;

/* The range of `e`, typed by check_types for the input type at hand. */
Range range_of(const Expr *e);

/* Whether `e` is a float addition or subtraction of exact integers that
 * stays exact however its chain of additions and subtractions (through lets)
 * is regrouped: the sum of its terms' largest magnitudes fits the float
 * type's integers. */
int range_regroups_exactly(const Expr *e);

#endif
