/* data_setup.c — opening the data set, ROI and corrections of a command line;
 * see data_setup.h. */
#include "data_setup.h"

#include <stdio.h>

#include "alloc.h"
#include "roi.h"

int data_setup_open(const RunOptions *o, DataSetup *d)
{
    d->ds = NULL;
    d->roi = NULL;
    d->corrections = NULL;
    udfrt_error err = {0};
    udfrt_status st = udfrt_dataset_open(o->data ? o->data : "demo", &o->open, &d->ds, &err);
    if (st == UDFRT_OK && o->roi.text && o->roi.is_file)
        st = udfrt_roi_load(d->ds, o->roi.text, &d->roi, &err);
    else if (st == UDFRT_OK && o->roi.text)
        st = udfrt_roi_box(d->ds, o->roi.text, o->roi.rank, o->roi.start, o->roi.stop, &d->roi,
                           &err);
    if (st == UDFRT_OK && (o->dark || o->gain || o->exclude))
        st = udfrt_corrections_load(d->ds, o->dark, o->gain, o->exclude, &d->corrections, &err);
    if (st == UDFRT_OK)
        return 0;
    fprintf(stderr, "udfc: error: %s\n", err.msg);
    data_setup_release(d);
    return st;
}

void data_setup_release(DataSetup *d)
{
    udfrt_corrections_destroy(d->corrections);
    udfrt_free(d->roi);
    udfrt_dataset_destroy(d->ds);
    d->corrections = NULL;
    d->roi = NULL;
    d->ds = NULL;
}
