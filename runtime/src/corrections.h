/* corrections.h — detector corrections applied to each frame as it is read
 * (SPEC §3 --dark --gain --exclude, LiberTEM's CorrectionSet): the stored
 * elements become a float type T, (raw - dark) * gain is computed in T, then
 * every excluded pixel takes the mean of its valid neighbours in the 3^d - 1
 * neighbourhood (pixels outside the frame and other excluded pixels are not
 * valid). Kernels see the corrected frames, of type T. */
#ifndef UDFRT_CORRECTIONS_H
#define UDFRT_CORRECTIONS_H

#include <stdint.h>

#include "dataset.h"

typedef struct udfrt_corrections udfrt_corrections;

/* T for stored elements of type `stored`: LiberTEM's result_type(float32,
 * stored) — f32 for bool, 8- and 16-bit integers and f32; f64 otherwise. */
udf_dtype udfrt_corrections_dtype(udf_dtype stored);

/* From arrays of ds->sig_size elements in C order, each optional (NULL):
 * dark, gain, and excluded flags. Fails (UDFRT_ERR_DATA) for an excluded
 * pixel without valid neighbours; `exclude_name` names its source. */
udfrt_status udfrt_corrections_create(const udfrt_dataset *ds, const double *dark,
                                      const double *gain, const uint8_t *excluded,
                                      const char *exclude_name, udfrt_corrections **out,
                                      udfrt_error *err);
/* From array files (each NULL, PATH.npy or PATH.h5:/dataset): dark and gain
 * of the sig shape, any element type; exclude a mask of the sig shape,
 * nonzero = excluded. */
udfrt_status udfrt_corrections_load(const udfrt_dataset *ds, const char *dark_path,
                                    const char *gain_path, const char *exclude_path,
                                    udfrt_corrections **out, udfrt_error *err);
void udfrt_corrections_destroy(udfrt_corrections *c);

/* T of these corrections. */
udf_dtype udfrt_corrections_output(const udfrt_corrections *c);
/* How kernels may apply these corrections to `stored` frames as they load
 * them (kernel_abi.h UDF_FUSED | stored | the planes given), or 0 when
 * excluded pixels need whole corrected frames. */
int32_t udfrt_corrections_fusable(const udfrt_corrections *c, udf_dtype stored);
/* The dark and gain planes (sig_size elements of T), or NULL if not given. */
const void *udfrt_corrections_dark(const udfrt_corrections *c);
const void *udfrt_corrections_gain(const udfrt_corrections *c);
int64_t udfrt_corrections_excluded(const udfrt_corrections *c);
/* One frame: `raw` has sig_size elements of the data set's type, `out` gets
 * sig_size elements of T. */
void udfrt_corrections_apply(const udfrt_corrections *c, const void *raw, void *out);

#endif
