/* cmd_check.c — `udfc check FILE.udf...`: diagnostics only. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "units.h"

int cmd_check(int argc, char **argv)
{
    /* Every argument is a udf; the first `--` (end of options) is not one. */
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            memmove(argv + i, argv + i + 1, (size_t)(argc - i - 1) * sizeof *argv);
            argc--;
            break;
        }
    UnitSet set;
    int rc = units_load(&set, (const char *const *)argv, argc);
    units_release(&set);
    return rc;
}
