/* data_setup.h — a data set opened with everything that shapes a pass over
 * it: the nav/sig reinterpretation and sync offset, the ROI and the detector
 * corrections. Shared by `udfc run` and `udfc info`. */
#ifndef UDFC_DATA_SETUP_H
#define UDFC_DATA_SETUP_H

#include "corrections.h"
#include "dataset.h"
#include "options.h"

typedef struct DataSetup {
    udfrt_dataset *ds;
    uint8_t *roi;                   /* NULL: every position */
    udfrt_corrections *corrections; /* NULL: none */
} DataSetup;

/* Returns 0, or the exit code after printing one `udfc: error:` line. */
int data_setup_open(const RunOptions *o, DataSetup *d);
void data_setup_release(DataSetup *d);

#endif
