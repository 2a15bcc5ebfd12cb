/* builtins.c — the builtin function and type query tables; see builtins.h. */
#include "builtins.h"

#include <string.h>

static const struct Builtin table[] = {
#define X_ROW(id, name, arity, cls) {BI_##id, name, arity, cls},
    UDF_BUILTINS(X_ROW)
#undef X_ROW
};

const struct Builtin *builtin_lookup(const char *name, int arity, int *name_exists)
{
    *name_exists = 0;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (strcmp(table[i].name, name) != 0)
            continue;
        *name_exists = 1;
        if (table[i].arity == arity)
            return &table[i];
    }
    return NULL;
}

const struct Builtin *builtin_table(int *count)
{
    *count = (int)(sizeof table / sizeof *table);
    return table;
}

static const char *const query_names[] = {
#define X_NAME(id, name) name,
    UDF_TYPE_QUERIES(X_NAME)
#undef X_NAME
};

int type_query_lookup(const char *name)
{
    for (int i = 0; i < TQ_COUNT_; i++)
        if (strcmp(query_names[i], name) == 0)
            return i;
    return -1;
}
