/* cmd_emit.c — `udfc emit {ast,ir,llvm,asm} FILE.udf [--dtype T]`: prints one
 * stage of the compiler for every udf of the file, for frames of type T
 * (default u16). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "compile.h"
#include "dtype.h"
#include "units.h"

int cmd_emit(int argc, char **argv)
{
    static const char *const stages[] = {"ast", "ir", "llvm", "asm"};
    if (argc < 2) {
        fputs("udfc: error: usage: udfc emit {ast,ir,llvm,asm} FILE.udf [--dtype T]\n", stderr);
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
    int input = UDF_DTYPE_U16;
    if (argc == 4 && strcmp(argv[2], "--dtype") == 0) {
        input = udfrt_dtype_parse(argv[3]);
        if (input < 0) {
            fprintf(stderr, "udfc: error: unknown --dtype '%s'\n", argv[3]);
            return 2;
        }
    } else if (argc != 2) {
        fputs("udfc: error: usage: udfc emit {ast,ir,llvm,asm} FILE.udf [--dtype T]\n", stderr);
        return 2;
    }
    UnitSet set;
    int rc = units_load(&set, (const char *const *)&argv[1], 1);
    if (rc == 0) {
        char why[1024];
        if (!compile_emit(stdout, set.units[0].checked, (EmitStage)stage, (udf_dtype)input, why,
                          sizeof why)) {
            fprintf(stderr, "udfc: internal error: %s (please report)\n", why);
            rc = 4;
        }
    }
    units_release(&set);
    return rc;
}
