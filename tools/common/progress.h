/* progress.h — the progress line of `udfc run` on stderr (frames done,
 * throughput, time left), redrawn in place and ended by a summary. */
#ifndef UDFC_PROGRESS_H
#define UDFC_PROGRESS_H

#include "run.h"

typedef struct ProgressLine {
    int open; /* a line is drawn and not yet ended */
} ProgressLine;

/* A udfrt_progress_fn; ctx is a ProgressLine. */
void progress_print(void *ctx, const udfrt_progress *p);
/* Ends a line left open by a run that failed, so the error starts afresh. */
void progress_close(ProgressLine *line);

#endif
