/* writers.h — result files. Every writer writes into temporaries of a staging
 * (atomic_file.h), so that files appear whole or not at all once the caller
 * commits it, and reports failures as UDFRT_ERR_DATA naming the path. */
#ifndef UDFRT_WRITERS_H
#define UDFRT_WRITERS_H

#include "atomic_file.h"
#include "results.h"

/* One HDF5 file with /<udf>/<buffer> datasets and a `kind` attribute. */
udfrt_status udfrt_write_h5(udfrt_staging *s, const char *path, const udfrt_result *results, int n,
                            udfrt_error *err);
/* DIR/<udf>.<buffer>.npy per result. */
udfrt_status udfrt_write_npy(udfrt_staging *s, const char *dir, const udfrt_result *results, int n,
                             udfrt_error *err);
/* DIR/<udf>.<buffer>.png per 2-D nav or sig result: 8-bit grey, contrast
 * stretched between the UDF_PNG_LOW/HIGH_PERCENTILE of the finite values
 * (clipped outside), NaN black. */
udfrt_status udfrt_write_png(udfrt_staging *s, const char *dir, const udfrt_result *results, int n,
                             udfrt_error *err);

/* Creates `dir` and missing parents (mkdir -p), recording those it made in
 * the staging (removed if it is not committed); fails unless it ends up a
 * directory. */
udfrt_status udfrt_make_dir(const char *dir, udfrt_staging *staging, udfrt_error *err);
/* Whether udfrt_make_dir(dir) can succeed, without creating anything: what
 * of it exists is a directory, and the deepest part that exists is writable. */
udfrt_status udfrt_check_dir(const char *dir, udfrt_error *err);
/* Checks that a file could be created at `path`: its directory exists and
 * `path` is not a directory itself. */
udfrt_status udfrt_check_output_file(const char *path, udfrt_error *err);

#endif
