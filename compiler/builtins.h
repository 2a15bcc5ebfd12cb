/* builtins.h — the functions of the language (SPEC §2.3), written once:
 * X(id, name, arity, class). `min` and `max` exist as reductions (1 argument)
 * and as elementwise functions (2 arguments). Also the type queries. */
#ifndef UDF_BUILTINS_H
#define UDF_BUILTINS_H

typedef enum BuiltinClass {
    BC_REDUCE,     /* over the detector: pixel value in, one number per frame out */
    BC_FLOAT_FN,   /* elementwise, computed in the float type of its argument */
    BC_SAME_TYPE,  /* elementwise, in the promoted type of its arguments */
    BC_SELECT,     /* select(cond, a, b) */
    BC_PREDICATE,  /* elementwise, gives bool */
    BC_RESULT_ONLY /* whole-buffer functions of the result body */
} BuiltinClass;

#define UDF_BUILTINS(X)                \
    X(SUM, "sum", 1, BC_REDUCE)        \
    X(MEAN, "mean", 1, BC_REDUCE)      \
    X(RMIN, "min", 1, BC_REDUCE)       \
    X(RMAX, "max", 1, BC_REDUCE)       \
    X(COUNT, "count", 1, BC_REDUCE)    \
    X(ABS, "abs", 1, BC_SAME_TYPE)     \
    X(MIN, "min", 2, BC_SAME_TYPE)     \
    X(MAX, "max", 2, BC_SAME_TYPE)     \
    X(CLAMP, "clamp", 3, BC_SAME_TYPE) \
    X(SELECT, "select", 3, BC_SELECT)  \
    X(ISNAN, "isnan", 1, BC_PREDICATE) \
    X(SQRT, "sqrt", 1, BC_FLOAT_FN)    \
    X(EXP, "exp", 1, BC_FLOAT_FN)      \
    X(LOG, "log", 1, BC_FLOAT_FN)      \
    X(LOG1P, "log1p", 1, BC_FLOAT_FN)  \
    X(SIN, "sin", 1, BC_FLOAT_FN)      \
    X(COS, "cos", 1, BC_FLOAT_FN)      \
    X(TAN, "tan", 1, BC_FLOAT_FN)      \
    X(ATAN2, "atan2", 2, BC_FLOAT_FN)  \
    X(FLOOR, "floor", 1, BC_FLOAT_FN)  \
    X(CEIL, "ceil", 1, BC_FLOAT_FN)    \
    X(ROUND, "round", 1, BC_FLOAT_FN)  \
    X(GRADIENT, "gradient", 2, BC_RESULT_ONLY)

typedef enum BuiltinId {
#define X_ENUM(id, name, arity, cls) BI_##id,
    UDF_BUILTINS(X_ENUM)
#undef X_ENUM
        BI_COUNT_
} BuiltinId;

struct Builtin {
    BuiltinId id;
    const char *name;
    int arity;
    BuiltinClass cls;
};

/* The builtin called `name` with `arity` arguments; NULL if none. Sets
 * *name_exists when some builtin has that name (so the arity was wrong). */
const struct Builtin *builtin_lookup(const char *name, int arity, int *name_exists);
/* Every builtin, for "did you mean" suggestions. */
const struct Builtin *builtin_table(int *count);

/* Questions about an element type, `name(T)` (`is_float(input)`): constants
 * once the data's type is known, so `if` on them picks a formula per type. */
#define UDF_TYPE_QUERIES(X)   \
    X(IS_FLOAT, "is_float")   \
    X(IS_SIGNED, "is_signed") \
    X(BITS, "bits")

typedef enum TypeQuery {
#define X_ENUM(id, name) TQ_##id,
    UDF_TYPE_QUERIES(X_ENUM)
#undef X_ENUM
        TQ_COUNT_
} TypeQuery;

/* The query called `name`, or -1. Answered by type_query_answer (check.h). */
int type_query_lookup(const char *name);

#endif
