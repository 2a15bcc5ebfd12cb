/* cmd_emit.c — `udfc emit {ast,ir,llvm,asm} FILE.udf [--dtype T]
 * [--corrections SET]`: prints one stage of the compiler for every udf of the
 * file, for frames of type T (default u16), or for frames of type T that the
 * kernels correct as they load them (SET: dark, gain or dark+gain). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "compile.h"
#include "dtype.h"
#include "fused_sets.h"
#include "units.h"

#define USAGE "usage: udfc emit {ast,ir,llvm,asm} FILE.udf [--dtype T] [--corrections SET]\n"

int cmd_emit(int argc, char **argv)
{
    static const char *const stages[] = {"ast", "ir", "llvm", "asm"};
    if (argc < 2) {
        fputs("udfc: error: " USAGE, stderr);
        return 2;
    }
    int stage = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(argv[0], stages[i]) == 0)
            stage = i;
    if (stage < 0) {
        fprintf(stderr, "udfc: error: unknown stage '%s' (expected ast, ir, llvm or asm)\n",
                argv[0]);
        return 2;
    }
    int input = UDF_DTYPE_U16, planes[MAX_FUSED_SETS], n_sets = 0;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc ||
            (strcmp(argv[i], "--dtype") != 0 && strcmp(argv[i], "--corrections") != 0)) {
            fputs("udfc: error: " USAGE, stderr);
            return 2;
        }
        if (strcmp(argv[i], "--corrections") == 0) {
            n_sets = fused_sets_parse(argv[i], argv[i + 1], planes);
            if (n_sets < 0)
                return 2;
            if (n_sets > 1) {
                fprintf(stderr, "udfc: error: --corrections of emit takes one set, not '%s'\n",
                        argv[i + 1]);
                return 2;
            }
            continue;
        }
        input = udfrt_dtype_parse(argv[i + 1]);
        if (input < 0) {
            fprintf(stderr, "udfc: error: unknown --dtype '%s'\n", argv[i + 1]);
            return 2;
        }
    }
    KernelVariant variant =
        n_sets ? fused_variant((udf_dtype)input, planes[0]) : (KernelVariant){(udf_dtype)input, 0};
    UnitSet set;
    int rc = units_load(&set, (const char *const *)&argv[1], 1);
    if (rc == 0) {
        char why[1024];
        if (!compile_emit(stdout, set.units[0].checked, (EmitStage)stage, &variant, why,
                          sizeof why)) {
            fprintf(stderr, "udfc: internal error: %s (please report)\n", why);
            rc = 4;
        }
    }
    units_release(&set);
    return rc;
}
