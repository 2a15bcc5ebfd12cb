/* fused_sets.c — parsing `--corrections`; see fused_sets.h. */
#include "fused_sets.h"

#include <stdio.h>
#include <string.h>

int fused_sets_parse(const char *option, const char *list, int planes[MAX_FUSED_SETS])
{
    static const struct {
        const char *name;
        int planes;
    } sets[] = {{"dark", UDF_FUSED_DARK},
                {"gain", UDF_FUSED_GAIN},
                {"dark+gain", UDF_FUSED_DARK | UDF_FUSED_GAIN},
                {"gain+dark", UDF_FUSED_DARK | UDF_FUSED_GAIN}};
    int n = 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
            if (strlen(sets[i].name) == len && strncmp(p, sets[i].name, len) == 0)
                found = sets[i].planes;
        if (found < 0) {
            fprintf(stderr,
                    "udfc: error: %s expects sets of corrections separated by commas, each dark, "
                    "gain or dark+gain (like dark+gain,dark), not '%s'\n",
                    option, list);
            return -1;
        }
        int seen = 0;
        for (int i = 0; i < n; i++)
            seen |= planes[i] == found;
        if (!seen)
            planes[n++] = found;
        if (!p[len])
            return n;
        p += len + 1;
    }
}

KernelVariant fused_variant(udf_dtype stored, int planes)
{
    return (KernelVariant){type_float_of(stored), UDF_FUSED | (int)stored | planes};
}
