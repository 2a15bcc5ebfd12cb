/* units.c — loading the UDFs of a command line; see units.h. */
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "inputs.h"
#include "stdlib_sources.h"

static const char *stdlib_text(const char *name)
{
    for (const stdlib_entry *e = stdlib_entries; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e->text;
    return NULL;
}

static int looks_like_path(const char *arg)
{
    size_t n = strlen(arg);
    return strchr(arg, '/') || (n > 4 && strcmp(arg + n - 4, ".udf") == 0);
}

static int looks_like_data(const char *arg)
{
    static const char *const suffixes[] = {".npy", ".raw", ".h5", ".hdf5", ".mib", ".hdr"};
    size_t n = strlen(arg);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(arg + n - k, suffixes[i]) == 0)
            return 1;
    }
    return strcmp(arg, "demo") == 0 || strncmp(arg, "demo:", 5) == 0;
}

static Source *open_source(const char *arg, int *rc)
{
    if (looks_like_data(arg)) {
        fprintf(stderr,
                "udfc: error: '%s' looks like a data set, not a udf; give it with "
                "--data %s\n",
                arg, arg);
        *rc = 2;
        return NULL;
    }
    const char *text = looks_like_path(arg) ? NULL : stdlib_text(arg);
    if (text) {
        char path[256];
        snprintf(path, sizeof path, "stdlib/%s.udf", arg);
        return source_from_text(path, text);
    }
    const char *why = NULL;
    Source *src = source_read(arg, &why);
    if (src) {
        udfrt_note_input(arg); /* no output may replace a udf's source */
        return src;
    }
    if (looks_like_path(arg)) {
        fprintf(stderr, "udfc: error: cannot read '%s': %s\n", arg, why);
        *rc = 3; /* a file that cannot be read, like data (SPEC §3) */
        return NULL;
    }
    fprintf(stderr,
            "udfc: error: '%s' is neither a .udf file nor a standard-library udf; "
            "the standard library has:",
            arg);
    for (const stdlib_entry *e = stdlib_entries; e->name; e++)
        fprintf(stderr, " %s", e->name);
    fputc('\n', stderr);
    *rc = 2;
    return NULL;
}

/* Grows set->udfs to hold `more` udfs beyond those it has. */
static int reserve_udfs(UnitSet *set, int more)
{
    CheckedUdf **grown = realloc(set->udfs, sizeof *grown * (size_t)(set->n_udfs + more + 1));
    if (!grown)
        return 0;
    set->udfs = grown;
    return 1;
}

int units_load(UnitSet *set, const char *const *args, int n)
{
    memset(set, 0, sizeof *set);
    set->units = calloc((size_t)n + 1, sizeof *set->units);
    if (!set->units) {
        fputs("udfc: error: out of memory\n", stderr);
        return 3;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        Source *src = open_source(args[i], &rc);
        if (!src)
            continue;
        Unit *u = &set->units[set->n_units++];
        u->src = src;
        u->arena = arena_create();
        u->checked = compile_check(src, u->arena);
        if (!u->checked) {
            if (!rc)
                rc = 1;
            continue;
        }
        if (!reserve_udfs(set, u->checked->n_udfs)) {
            fputs("udfc: error: out of memory\n", stderr);
            return 3;
        }
        for (int k = 0; k < u->checked->n_udfs; k++) {
            CheckedUdf *cu = &u->checked->udfs[k];
            for (int j = 0; j < set->n_udfs; j++)
                if (strcmp(set->udfs[j]->udf->name, cu->udf->name) == 0) {
                    fprintf(stderr, "udfc: error: udf '%s' is defined in both %s and %s\n",
                            cu->udf->name, set->udfs[j]->src->path, cu->src->path);
                    rc = 2;
                }
            set->udfs[set->n_udfs++] = cu;
        }
    }
    if (n == 0) {
        fputs("udfc: error: name at least one udf (a .udf file or a standard-library name)\n",
              stderr);
        rc = 2;
    }
    return rc;
}

int units_select(UnitSet *set, const char *const *select, int n)
{
    if (n == 0)
        return 0;
    CheckedUdf **chosen = calloc((size_t)set->n_udfs * (size_t)n + 1, sizeof *chosen);
    if (!chosen) {
        fputs("udfc: error: out of memory\n", stderr);
        return 3;
    }
    int n_chosen = 0;
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int j = 0; j < set->n_udfs; j++)
            if (strcmp(set->udfs[j]->udf->name, select[i]) == 0) {
                chosen[n_chosen++] = set->udfs[j];
                found = 1;
            }
        for (int k = 0; k < i && found; k++)
            if (strcmp(select[k], select[i]) == 0) {
                fprintf(stderr, "udfc: error: --udf %s: the udf is in this run twice\n", select[i]);
                free(chosen);
                return 2;
            }
        if (!found) {
            fprintf(stderr,
                    "udfc: error: --udf %s: no udf of that name; the sources define:", select[i]);
            for (int j = 0; j < set->n_udfs; j++)
                fprintf(stderr, " %s", set->udfs[j]->udf->name);
            fputc('\n', stderr);
            free(chosen);
            return 2;
        }
    }
    free(set->udfs);
    set->udfs = chosen;
    set->n_udfs = n_chosen;
    return 0;
}

void units_release(UnitSet *set)
{
    for (int i = 0; i < set->n_units; i++) {
        arena_destroy(set->units[i].arena);
        source_destroy(set->units[i].src);
    }
    free(set->units);
    free(set->udfs);
    memset(set, 0, sizeof *set);
}
