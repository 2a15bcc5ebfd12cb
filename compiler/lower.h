/* lower.h — from a checked udf to loop IR, for one input element type.
 *
 * The frame body is split into what runs once per frame (scalar statements,
 * reductions, each computed by its own pass over the pixels before the
 * statement that needs it) and what runs per pixel (detector-shaped
 * statements), all inside a loop over the frames of a tile. */
#ifndef UDF_LOWER_H
#define UDF_LOWER_H

#include "check.h"
#include "lir.h"

typedef struct LoweredUdf {
    CheckedUdf *cu;
    udf_dtype input;
    LFunc *tile;
    LFunc *merge; /* NULL when no buffer needs merging */
} LoweredUdf;

LoweredUdf *lower_udf(Arena *a, CheckedUdf *cu, udf_dtype input);

#endif
