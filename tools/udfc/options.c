/* options.c — parsing `udfc run`/`udfc info` options; see options.h. Every
 * option takes `--name value` or `--name=value`. */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fputs("udfc: error: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputs("\n(see `udfc help`)\n", stderr);
    return 2;
}

static int parse_int(const char *opt, const char *text, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < lo || v > hi) {
        char range[64];
        snprintf(range, sizeof range, "an integer from %lld to %lld", lo, hi);
        fprintf(stderr, "udfc: error: %s expects %s, not '%s'\n", opt, range, text);
        return 2;
    }
    *out = v;
    return 0;
}

/* "A,B,..." with positive integers. */
static int parse_shape(const char *opt, const char *text, int *rank, int64_t *dims)
{
    *rank = 0;
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || errno || *rank == UDF_MAX_RANK || (*end && *end != ',')) {
            fprintf(stderr,
                    "udfc: error: %s expects positive sizes separated by commas (like 64,64), "
                    "not '%s'\n",
                    opt, text);
            return 2;
        }
        dims[(*rank)++] = v;
        if (!*end)
            return 0;
        p = end + 1;
    }
}

typedef enum OptId {
    OPT_DATA, OPT_DTYPE, OPT_NAV, OPT_SIG, OPT_SIG_DIMS, OPT_OFFSET, OPT_UDF, OPT_JOBS,
    OPT_OUTPUT, OPT_STATS, OPT_PARAM
} OptId;

static const struct {
    const char *name;
    OptId id;
    int takes_value;
} table[] = {
    {"--data", OPT_DATA, 1},     {"--dtype", OPT_DTYPE, 1},   {"--nav", OPT_NAV, 1},
    {"--sig", OPT_SIG, 1},       {"--sig-dims", OPT_SIG_DIMS, 1}, {"--offset", OPT_OFFSET, 1},
    {"--udf", OPT_UDF, 1},       {"-j", OPT_JOBS, 1},         {"--threads", OPT_JOBS, 1},
    {"-o", OPT_OUTPUT, 1},       {"--output", OPT_OUTPUT, 1}, {"--stats", OPT_STATS, 0},
    {"--param", OPT_PARAM, 1},
};

static int apply(OptId id, const char *name, const char *value, RunOptions *o)
{
    long long v;
    switch (id) {
    case OPT_DATA: o->data = value; return 0;
    case OPT_DTYPE: o->open.dtype = value; return 0;
    case OPT_NAV: return parse_shape(name, value, &o->open.nav_rank, o->open.nav_shape);
    case OPT_SIG: return parse_shape(name, value, &o->open.sig_rank, o->open.sig_shape);
    case OPT_SIG_DIMS:
        if (parse_int(name, value, 1, UDF_MAX_RANK, &v))
            return 2;
        o->open.sig_dims = (int)v;
        return 0;
    case OPT_OFFSET:
        if (parse_int(name, value, 0, (long long)1 << 62, &v))
            return 2;
        o->open.offset = v;
        return 0;
    case OPT_UDF:
        if (o->n_select == MAX_UDF_ARGS)
            return usage_error("too many %s options%s", name, "");
        o->select[o->n_select++] = value;
        return 0;
    case OPT_JOBS:
        if (parse_int(name, value, 1, 4096, &v))
            return 2;
        o->threads = (int)v;
        return 0;
    case OPT_OUTPUT: o->output = value; return 0;
    case OPT_STATS: o->stats = 1; return 0;
    case OPT_PARAM:
        if (!strchr(value, '=') || value[0] == '=' || !value[strcspn(value, "=") + 1])
            return usage_error("--param expects NAME=VALUE or NAME=@FILE.npy, not '%s'%s", value,
                               "");
        if (o->n_params == MAX_PARAM_ARGS)
            return usage_error("too many --param options%s%s", "", "");
        o->params[o->n_params++] = value;
        return 0;
    }
    return 0;
}

int options_parse(int argc, char **argv, int positional_udfs, RunOptions *o)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (positional_udfs) {
                if (o->n_udf_args == MAX_UDF_ARGS)
                    return usage_error("too many UDFs (the limit is 64)%s%s", "", "");
                o->udf_args[o->n_udf_args++] = arg;
            } else if (!o->data) {
                o->data = arg;
            } else {
                return usage_error("unexpected argument '%s'%s", arg, "");
            }
            continue;
        }
        size_t name_len = strcspn(arg, "=");
        int found = 0;
        for (size_t k = 0; k < sizeof table / sizeof *table; k++) {
            if (strlen(table[k].name) != name_len || strncmp(table[k].name, arg, name_len) != 0)
                continue;
            found = 1;
            const char *value = NULL;
            if (arg[name_len] == '=') {
                if (!table[k].takes_value)
                    return usage_error("option %s takes no value%s", table[k].name, "");
                value = arg + name_len + 1;
            } else if (table[k].takes_value) {
                if (i + 1 >= argc)
                    return usage_error("option %s needs a value%s", table[k].name, "");
                value = argv[++i];
            }
            int rc = apply(table[k].id, table[k].name, value, o);
            if (rc)
                return rc;
            break;
        }
        if (!found)
            return usage_error("unknown option '%s'%s", arg, "");
    }
    return 0;
}
