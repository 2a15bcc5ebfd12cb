/* params.c — --param handling for udfc run; see params.h. */
#include "params.h"

#include <stdio.h>
#include <string.h>

static int declares(const udf_kernel_desc *k, const char *name)
{
    for (int i = 0; i < k->n_params; i++)
        if (strcmp(k->params[i].name, name) == 0)
            return 1;
    return 0;
}

static int unknown_param(const char *given, const udfrt_job *jobs, int n_jobs)
{
    fprintf(stderr, "udfc: error: --param %s: no udf of this run has that param; they have:",
            given);
    int any = 0;
    for (int j = 0; j < n_jobs; j++)
        for (int i = 0; i < jobs[j].kernel->n_params; i++, any = 1)
            fprintf(stderr, " %s.%s", jobs[j].kernel->name, jobs[j].kernel->params[i].name);
    fputs(any ? "\n" : " none\n", stderr);
    return 2;
}

int params_load(ParamSet *set, const RunOptions *o, const udfrt_job *jobs, int n_jobs)
{
    memset(set, 0, sizeof *set);
    for (int i = 0; i < o->n_params; i++) {
        const char *arg = o->params[i];
        size_t name_len = strcspn(arg, "=");
        const char *value = arg + name_len + 1;
        if (name_len >= sizeof set->names[0]) {
            fprintf(stderr, "udfc: error: --param name too long: '%.40s...'\n", arg);
            return 2;
        }
        char *name = set->names[i];
        memcpy(name, arg, name_len);
        name[name_len] = '\0';
        char *dot = strchr(name, '.');
        const char *udf = NULL;
        if (dot) {
            *dot = '\0';
            udf = name;
            name = dot + 1;
        }
        int found = 0;
        for (int j = 0; j < n_jobs; j++)
            if ((!udf || strcmp(jobs[j].kernel->name, udf) == 0) && declares(jobs[j].kernel, name))
                found = 1;
        if (!found)
            return unknown_param(arg, jobs, n_jobs);
        udfrt_param_value *v = &set->values[set->n];
        set->udf[set->n] = udf;
        v->name = name;
        if (value[0] == '@') {
            udfrt_error err = {0};
            if (udfrt_array_load(value + 1, &set->arrays[set->n], &err) != UDFRT_OK) {
                fprintf(stderr, "udfc: error: --param %.*s: %s\n", (int)name_len, arg, err.msg);
                set->n++;
                return err.code;
            }
            v->array = &set->arrays[set->n];
        } else {
            v->text = value;
        }
        set->n++;
    }
    return 0;
}

int params_bind(ParamSet *set, udfrt_job *jobs, int n_jobs, const udfrt_dataset *ds)
{
    udfrt_param_value mine[MAX_PARAM_ARGS];
    for (int j = 0; j < n_jobs; j++) {
        int n = 0;
        for (int i = 0; i < set->n; i++)
            if (!set->udf[i] || strcmp(set->udf[i], jobs[j].kernel->name) == 0)
                mine[n++] = set->values[i];
        udfrt_error err = {0};
        if (udfrt_bind(&jobs[j], ds, mine, n, &err) != UDFRT_OK) {
            fprintf(stderr, "udfc: error: %s\n", err.msg);
            return err.code;
        }
    }
    return 0;
}

void params_release(ParamSet *set)
{
    for (int i = 0; i < set->n; i++)
        udfrt_array_free(&set->arrays[i]);
    set->n = 0;
}
