/* options.c — parsing run options (udfc run, udfc info, udfrun); see options.h. Every
 * option takes `--name value` or `--name=value`. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roi.h"

const char *cli_tool = "udfc";

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "%s: error: ", cli_tool);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(see `%s help`)\n", cli_tool);
    return 2;
}

/* An integer in [lo, hi]; `meaning` says what it counts, for messages. */
static int parse_int(const char *opt, const char *text, long long lo, long long hi,
                     const char *meaning, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end) {
        fprintf(stderr, "%s: error: %s expects an integer (%s), not '%s'\n", cli_tool, opt, meaning,
                text);
        return 2;
    }
    if (errno || v < lo || v > hi) {
        fprintf(stderr, "%s: error: %s expects an integer from %lld to %lld (%s), not '%s'\n",
                cli_tool, opt, lo, hi, meaning, text);
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
        if (*rank == UDF_MAX_RANK) {
            fprintf(stderr, "%s: error: %s takes at most %d sizes, not '%s'\n", cli_tool, opt,
                    UDF_MAX_RANK, text);
            return 2;
        }
        if (end == p || v <= 0 || errno || (*end && *end != ',')) {
            fprintf(stderr,
                    "%s: error: %s expects positive sizes separated by commas (like 64,64), "
                    "not '%s'\n",
                    cli_tool, opt, text);
            return 2;
        }
        dims[(*rank)++] = v;
        if (!*end)
            return 0;
        p = end + 1;
    }
}

/* --roi is checked here (malformed: exit 2) and built once the data set is
 * open. */
static int parse_roi(const char *text, const char **roi)
{
    udfrt_roi_spec spec;
    udfrt_error err = {0};
    if (udfrt_roi_parse(text, &spec, &err) != UDFRT_OK) {
        fprintf(stderr, "%s: error: %s\n", cli_tool, err.msg);
        return 2;
    }
    *roi = text;
    return 0;
}

typedef enum OptId {
    OPT_DATA,
    OPT_DTYPE,
    OPT_NAV,
    OPT_SIG,
    OPT_SIG_DIMS,
    OPT_OFFSET,
    OPT_SYNC_OFFSET,
    OPT_ROI,
    OPT_PARTITIONS,
    OPT_DARK,
    OPT_GAIN,
    OPT_EXCLUDE,
    OPT_UDF,
    OPT_JOBS,
    OPT_OUTPUT,
    OPT_NPY,
    OPT_PNG,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_STATS,
    OPT_PARAM
} OptId;

/* `run_only`: options that change nothing `udfc info` reports. */
static const struct {
    const char *name;
    OptId id;
    int takes_value, run_only;
} table[] = {
    {"--data", OPT_DATA, 1, 0},
    {"--dtype", OPT_DTYPE, 1, 0},
    {"--nav", OPT_NAV, 1, 0},
    {"--sig", OPT_SIG, 1, 0},
    {"--sig-dims", OPT_SIG_DIMS, 1, 0},
    {"--offset", OPT_OFFSET, 1, 0},
    {"--sync-offset", OPT_SYNC_OFFSET, 1, 0},
    {"--roi", OPT_ROI, 1, 0},
    {"--partitions", OPT_PARTITIONS, 1, 0},
    {"--dark", OPT_DARK, 1, 0},
    {"--gain", OPT_GAIN, 1, 0},
    {"--exclude", OPT_EXCLUDE, 1, 0},
    {"--udf", OPT_UDF, 1, 1},
    {"-j", OPT_JOBS, 1, 1},
    {"--threads", OPT_JOBS, 1, 1},
    {"-o", OPT_OUTPUT, 1, 1},
    {"--output", OPT_OUTPUT, 1, 1},
    {"--npy", OPT_NPY, 1, 1},
    {"--png", OPT_PNG, 1, 1},
    {"--progress", OPT_PROGRESS, 0, 1},
    {"--no-progress", OPT_NO_PROGRESS, 0, 1},
    {"--stats", OPT_STATS, 0, 1},
    {"--param", OPT_PARAM, 1, 1},
};
enum { N_OPTIONS = sizeof table / sizeof *table };

static int apply(OptId id, const char *name, const char *value, RunOptions *o)
{
    long long v;
    switch (id) {
    case OPT_DATA: o->data = value; return 0;
    case OPT_DTYPE: o->open.dtype = value; return 0;
    case OPT_NAV: return parse_shape(name, value, &o->open.nav_rank, o->open.nav_shape);
    case OPT_SIG: return parse_shape(name, value, &o->open.sig_rank, o->open.sig_shape);
    case OPT_SIG_DIMS:
        if (parse_int(name, value, 1, UDF_MAX_RANK, "trailing dims that are sig", &v))
            return 2;
        o->open.sig_dims = (int)v;
        return 0;
    case OPT_OFFSET:
        if (parse_int(name, value, 0, (long long)1 << 62, "bytes before the first frame", &v))
            return 2;
        o->open.offset = v;
        return 0;
    case OPT_SYNC_OFFSET:
        if (parse_int(name, value, -((long long)1 << 62), (long long)1 << 62,
                      "frames to skip at the start, or positions to insert if negative", &v))
            return 2;
        o->open.sync_offset = v;
        return 0;
    case OPT_ROI: return parse_roi(value, &o->roi);
    case OPT_PARTITIONS:
        if (parse_int(name, value, 1, (long long)1 << 40, "partitions of the frames", &v))
            return 2;
        o->partitions = v;
        return 0;
    case OPT_DARK: o->dark = value; return 0;
    case OPT_GAIN: o->gain = value; return 0;
    case OPT_EXCLUDE: o->exclude = value; return 0;
    case OPT_UDF:
        if (o->n_select == MAX_UDF_ARGS)
            return usage_error("too many %s options%s", name, "");
        o->select[o->n_select++] = value;
        return 0;
    case OPT_JOBS:
        if (parse_int(name, value, 1, 4096, "threads", &v))
            return 2;
        o->threads = (int)v;
        return 0;
    case OPT_OUTPUT: o->output = value; return 0;
    case OPT_NPY: o->npy_dir = value; return 0;
    case OPT_PNG: o->png_dir = value; return 0;
    case OPT_PROGRESS: o->progress = 1; return 0;
    case OPT_NO_PROGRESS: o->progress = 0; return 0;
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

/* Edit distance between a[0..na) and b, counting a swap of two neighbouring
 * characters as one edit (optimal string alignment), for "did you mean". */
static size_t distance(const char *a, size_t na, const char *b)
{
    enum { MAX = 40 };
    size_t nb = strlen(b), d[MAX][MAX];
    if (na >= MAX || nb >= MAX)
        return MAX;
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            best = d[i - 1][j] + 1 < best ? d[i - 1][j] + 1 : best;
            best = d[i][j - 1] + 1 < best ? d[i][j - 1] + 1 : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

static int unknown_option(const char *arg, size_t name_len, int positional_udfs)
{
    const char *best = NULL;
    size_t best_d = 3; /* suggest only near misses */
    for (size_t k = 0; k < N_OPTIONS; k++) {
        if (table[k].run_only && !positional_udfs)
            continue;
        size_t d = distance(arg, name_len, table[k].name);
        if (d < best_d) {
            best_d = d;
            best = table[k].name;
        }
    }
    fprintf(stderr, "%s: error: unknown option '%.*s'", cli_tool, (int)name_len, arg);
    if (best)
        fprintf(stderr, " (did you mean %s?)", best);
    fprintf(stderr, "\n(see `%s help`)\n", cli_tool);
    return 2;
}

int options_parse(int argc, char **argv, int positional_udfs, RunOptions *o)
{
    o->progress = -1;
    int options_end = 0; /* after `--`, every argument is a UDF (or the data set) */
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_end && strcmp(arg, "--") == 0) {
            options_end = 1;
            continue;
        }
        if (options_end || arg[0] != '-' || strcmp(arg, "-") == 0) {
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
        size_t k = 0;
        while (k < N_OPTIONS &&
               (strlen(table[k].name) != name_len || strncmp(table[k].name, arg, name_len) != 0))
            k++;
        if (k == N_OPTIONS)
            return unknown_option(arg, name_len, positional_udfs);
        if (table[k].run_only && !positional_udfs)
            return usage_error("option %s is for `udfc run`, not `udfc info`%s", table[k].name, "");
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
        if (table[k].takes_value && !*value)
            return usage_error("option %s needs a value, not an empty string%s", table[k].name, "");
        int rc = apply(table[k].id, table[k].name, value, o);
        if (rc)
            return rc;
    }
    return 0;
}
