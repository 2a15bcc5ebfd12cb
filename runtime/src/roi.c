/* roi.c — building the ROI flags; see roi.h. */
#include "roi.h"

#include <string.h>

#include "alloc.h"
#include "array_file.h"
#include "dtype.h"

udfrt_status udfrt_roi_load(const udfrt_dataset *ds, const char *path, uint8_t **out,
                            udfrt_error *err)
{
    *out = NULL;
    udfrt_array a;
    udfrt_error local = {0};
    if (udfrt_array_load(path, &a, &local) != UDFRT_OK)
        return udfrt_fail(err, local.code, "--roi: %s", local.msg);
    if (a.elements != ds->nav_size) {
        char have[256], want[256];
        udfrt_format_shape(a.rank, a.shape, have, sizeof have);
        udfrt_format_shape(ds->nav_rank, ds->nav_shape, want, sizeof want);
        udfrt_array_free(&a);
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "--roi: '%s' has shape %s, but the nav shape is %s (the ROI needs %lld "
                          "elements, one per scan position)",
                          path, have, want, (long long)ds->nav_size);
    }
    uint8_t *roi = udfrt_malloc((size_t)ds->nav_size);
    if (!roi) {
        udfrt_array_free(&a);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the ROI");
    }
    /* As numpy's astype(bool): -0.0 does not select, NaN does. */
    for (int64_t i = 0; i < a.elements; i++)
        roi[i] = udfrt_load_double(a.data, a.dtype, (size_t)i) != 0;
    udfrt_array_free(&a);
    *out = roi;
    return UDFRT_OK;
}

udfrt_status udfrt_roi_box(const udfrt_dataset *ds, const char *text, int rank,
                           const int64_t *start, const int64_t *stop, uint8_t **out,
                           udfrt_error *err)
{
    *out = NULL;
    char want[256];
    udfrt_format_shape(ds->nav_rank, ds->nav_shape, want, sizeof want);
    if (rank != ds->nav_rank)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "--roi %s gives %d range%s, but the nav shape %s has %d dim%s", text,
                          rank, rank == 1 ? "" : "s", want, ds->nav_rank,
                          ds->nav_rank == 1 ? "" : "s");
    int64_t lo[UDF_MAX_RANK], hi[UDF_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        lo[d] = start[d];
        hi[d] = stop[d] == INT64_MAX ? ds->nav_shape[d] : stop[d];
        if (hi[d] > ds->nav_shape[d] || lo[d] > ds->nav_shape[d])
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "--roi %s: range %d ends past the nav shape %s", text, d + 1, want);
    }
    uint8_t *roi = udfrt_calloc((size_t)ds->nav_size, 1);
    if (!roi)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the ROI");
    for (int64_t i = 0; i < ds->nav_size; i++) {
        int64_t rest = i;
        int inside = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t c = rest % ds->nav_shape[d];
            rest /= ds->nav_shape[d];
            inside &= c >= lo[d] && c < hi[d];
        }
        roi[i] = (uint8_t)inside;
    }
    *out = roi;
    return UDFRT_OK;
}

int64_t udfrt_roi_count(const uint8_t *roi, int64_t n)
{
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++)
        count += roi[i] != 0;
    return count;
}
