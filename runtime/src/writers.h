/* writers.h — result files. Each writer creates its files atomically (whole
 * or not at all) and reports failures as UDFRT_ERR_DATA naming the path. */
#ifndef UDFRT_WRITERS_H
#define UDFRT_WRITERS_H

#include "results.h"

/* One HDF5 file with /<udf>/<buffer> datasets. */
udfrt_status udfrt_write_h5(const char *path, const udfrt_result *results, int n, udfrt_error *err);

#endif
