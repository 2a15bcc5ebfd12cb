/* session_setup.h — a data set opened and a session configured from run
 * options: the nav/sig reinterpretation and sync offset, the ROI, the
 * detector corrections, threads and partitions. Shared by `udfc run`,
 * `udfc info` and `udfrun`. */
#ifndef CLI_SESSION_SETUP_H
#define CLI_SESSION_SETUP_H

#include "options.h"
#include "udfrt/udfrt.h"

typedef struct SessionSetup {
    udfrt_dataset *ds;
    udfrt_session *session;
} SessionSetup;

/* Returns 0, or the exit code after printing one error line. */
int session_setup_open(const RunOptions *o, SessionSetup *s);
void session_setup_release(SessionSetup *s);
/* Prints an error line for err and returns its exit code. */
int cli_report(const udfrt_error *err);

#endif
