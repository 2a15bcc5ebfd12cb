/* roi.h — the region of interest: one flag per nav position (SPEC §2.5,
 * LiberTEM's `roi`), from an array file or from one START:STOP range per nav
 * dim. Only selected positions are read and processed. */
#ifndef UDFRT_ROI_H
#define UDFRT_ROI_H

#include <stdint.h>

#include "dataset.h"

/* An array (PATH.npy or PATH.h5:/dataset, array_file.h) of nav shape, or of
 * any shape with nav_size elements (a flat ROI); any element type, nonzero
 * selects (numpy's astype(bool)). *out gets nav_size flags; free with
 * udfrt_free. */
udfrt_status udfrt_roi_load(const udfrt_dataset *ds, const char *path, uint8_t **out,
                            udfrt_error *err);
/* Selects the box start[d] <= i_d < stop[d] for every nav dim d; `rank` must
 * equal the nav rank and every stop lie within its dim (INT64_MAX: to the
 * end). `text` is the user's spelling, for messages. */
udfrt_status udfrt_roi_box(const udfrt_dataset *ds, const char *text, int rank,
                           const int64_t *start, const int64_t *stop, uint8_t **out,
                           udfrt_error *err);
int64_t udfrt_roi_count(const uint8_t *roi, int64_t n);

/* The text of --roi: an array file (anything with a letter, '.' or '/':
 * PATH.npy, PATH.h5:/dataset), or "START:STOP" per nav dim separated by
 * commas, where START or STOP may be left out (":" is the whole dim) and a
 * single index I means I:I+1. */
typedef struct udfrt_roi_spec {
    int is_file;
    int rank;
    int64_t start[UDF_MAX_RANK], stop[UDF_MAX_RANK]; /* stop INT64_MAX: to the end */
} udfrt_roi_spec;
/* Malformed text is UDFRT_ERR_USAGE. */
udfrt_status udfrt_roi_parse(const char *text, udfrt_roi_spec *spec, udfrt_error *err);
/* The flags for a ROI given as text (parse, then load or box). */
udfrt_status udfrt_roi_from_text(const udfrt_dataset *ds, const char *text, uint8_t **out,
                                 udfrt_error *err);

#endif
