/* roi.c — building the ROI flags; see roi.h. */
#include "roi.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
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
    if (udfrt_array_load(path, ds->nav_size, &a, &local) != UDFRT_OK)
        return udfrt_fail(err, local.code, "--roi: %s", local.msg);
    /* The nav shape, or one flat dim in the nav order: another shape of the
     * same size (a transposed (nx, ny) ROI) would select other positions. */
    int nav_shaped = a.rank == ds->nav_rank;
    for (int d = 0; nav_shaped && d < a.rank; d++)
        nav_shaped = a.shape[d] == ds->nav_shape[d];
    if (!nav_shaped && !(a.rank == 1 && a.elements == ds->nav_size)) {
        char have[256], want[256];
        udfrt_format_shape(a.rank, a.shape, have, sizeof have);
        udfrt_format_shape(ds->nav_rank, ds->nav_shape, want, sizeof want);
        udfrt_array_free(&a);
        return udfrt_fail(
            err, UDFRT_ERR_DATA,
            "--roi: '%s' has shape %s, but the nav shape is %s: give a ROI of the nav "
            "shape, or a flat one of %lld elements in scan order (--nav sets the nav "
            "shape)",
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
        return udfrt_fail(
            err, UDFRT_ERR_DATA, "--roi %s gives %d range%s, but the nav shape %s has %d dim%s",
            text, rank, rank == 1 ? "" : "s", want, ds->nav_rank, ds->nav_rank == 1 ? "" : "s");
    int64_t lo[UDF_MAX_RANK], hi[UDF_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        lo[d] = start[d];
        hi[d] = stop[d] == INT64_MAX ? ds->nav_shape[d] : stop[d];
        if (hi[d] > ds->nav_shape[d] || lo[d] > ds->nav_shape[d])
            return udfrt_fail(err, UDFRT_ERR_DATA, "--roi %s: range %d ends past the nav shape %s",
                              text, d + 1, want);
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

/* A non-negative integer at *p, advancing *p; -1 if there is none. */
static int64_t roi_bound(const char **p)
{
    if (**p < '0' || **p > '9')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    *p = end;
    return errno ? -1 : v;
}

udfrt_status udfrt_roi_parse(const char *text, udfrt_roi_spec *spec, udfrt_error *err)
{
    memset(spec, 0, sizeof *spec);
    for (const char *c = text; *c; c++)
        spec->is_file |= *c == '.' || *c == '/' || isalpha((unsigned char)*c);
    if (spec->is_file)
        return UDFRT_OK;
    for (const char *p = text;;) {
        if (spec->rank == UDF_MAX_RANK)
            break;
        int64_t start = *p == ':' ? 0 : roi_bound(&p), stop;
        if (start < 0)
            break;
        if (*p == ':') {
            p++;
            stop = *p == ',' || *p == '\0' ? INT64_MAX : roi_bound(&p);
            if (stop < 0)
                break;
        } else {
            stop = start + 1;
        }
        if (*p != ',' && *p != '\0')
            break;
        if (start > stop)
            return udfrt_fail(err, UDFRT_ERR_USAGE, "--roi %s: range %d starts after it stops",
                              text, spec->rank + 1);
        spec->start[spec->rank] = start;
        spec->stop[spec->rank++] = stop;
        if (*p == '\0')
            return UDFRT_OK;
        p++;
    }
    return udfrt_fail(err, UDFRT_ERR_USAGE,
                      "--roi expects an array file (.npy, or FILE.h5:/dataset) or one START:STOP "
                      "range per nav dim (like 0:32,16:48), not '%s'",
                      text);
}

udfrt_status udfrt_roi_from_text(const udfrt_dataset *ds, const char *text, uint8_t **out,
                                 udfrt_error *err)
{
    udfrt_roi_spec spec;
    udfrt_status st = udfrt_roi_parse(text, &spec, err);
    if (st != UDFRT_OK)
        return st;
    if (spec.is_file)
        return udfrt_roi_load(ds, text, out, err);
    return udfrt_roi_box(ds, text, spec.rank, spec.start, spec.stop, out, err);
}
