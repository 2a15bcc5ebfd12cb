/* session_setup.c — see session_setup.h. */
#include "session_setup.h"

#include <stdio.h>

int cli_report(const udfrt_error *err)
{
    fprintf(stderr, "%s: error: %s\n", cli_tool, err->msg);
    return err->code;
}

int session_setup_open(const RunOptions *o, SessionSetup *s)
{
    s->ds = NULL;
    s->session = NULL;
    udfrt_error err = {0};
    udfrt_status st = udfrt_dataset_open(o->data ? o->data : "demo", &o->open, &s->ds, &err);
    if (st == UDFRT_OK)
        st = udfrt_session_create(s->ds, &s->session, &err);
    if (st == UDFRT_OK && o->roi)
        st = udfrt_session_roi(s->session, o->roi, &err);
    if (st == UDFRT_OK && (o->dark || o->gain || o->exclude))
        st = udfrt_session_corrections(s->session, o->dark, o->gain, o->exclude, &err);
    if (st != UDFRT_OK) {
        session_setup_release(s);
        return cli_report(&err);
    }
    udfrt_session_threads(s->session, o->threads);
    udfrt_session_partitions(s->session, o->partitions);
    return 0;
}

void session_setup_release(SessionSetup *s)
{
    udfrt_session_destroy(s->session);
    udfrt_dataset_destroy(s->ds);
    s->session = NULL;
    s->ds = NULL;
}
