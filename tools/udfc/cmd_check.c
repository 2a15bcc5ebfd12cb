/* cmd_check.c — `udfc check FILE.udf...`: diagnostics only. */
#include <stdio.h>

#include "commands.h"
#include "units.h"

int cmd_check(int argc, char **argv)
{
    UnitSet set;
    int rc = units_load(&set, (const char *const *)argv, argc);
    units_release(&set);
    return rc;
}
