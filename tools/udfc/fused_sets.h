/* fused_sets.h — `--corrections` of `udfc build` and `udfc emit`: which sets
 * of detector corrections kernels apply as they load frames (kernel_abi.h
 * UDF_FUSED), so that `udfrun --dark/--gain` runs at the uncorrected speed
 * as `udfc run` does. */
#ifndef UDFC_FUSED_SETS_H
#define UDFC_FUSED_SETS_H

#include "compile.h"

#define MAX_FUSED_SETS 3

/* A comma-separated list of sets, each "dark", "gain" or "dark+gain", into
 * planes[] (UDF_FUSED_DARK and/or UDF_FUSED_GAIN, each set once); returns
 * how many, or -1 after printing a usage error naming `option`. */
int fused_sets_parse(const char *option, const char *list, int planes[MAX_FUSED_SETS]);

/* The kernel for frames stored as `stored`, corrected with `planes` as they
 * are loaded: compiled for the corrected type (f32, or f64 for 32/64-bit). */
KernelVariant fused_variant(udf_dtype stored, int planes);

#endif
