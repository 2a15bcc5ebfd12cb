/* units.h — the UDFs named on a command line: each argument is a .udf path or
 * a standard-library name; each is read, parsed and checked. */
#ifndef UDFC_UNITS_H
#define UDFC_UNITS_H

#include "check.h"

typedef struct Unit {
    Source *src;
    Arena *arena;
    CheckedProgram *checked;
} Unit;

typedef struct UnitSet {
    Unit *units; /* one per argument that could be read */
    int n_units;
    CheckedUdf **udfs; /* selected udfs, in command-line order */
    int n_udfs;
} UnitSet;

/* Loads and checks every argument, reporting all source errors. Returns an
 * exit code: 0, 1 (source errors), 2 (an argument names nothing) or 3 (a
 * .udf file that cannot be read; out of memory). */
int units_load(UnitSet *set, const char *const *args, int n);
/* Keeps only the udfs named in select[] (all if n == 0); 2 for an unknown
 * name or one named twice. */
int units_select(UnitSet *set, const char *const *select, int n);
void units_release(UnitSet *set);

#endif
