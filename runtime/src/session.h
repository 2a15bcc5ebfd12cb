/* session.h — what the runtime's own tools need of a session beyond
 * udfrt.h: the plan a run would follow (for `udfc info`) and the number of
 * selected frames. */
#ifndef UDFRT_SESSION_H
#define UDFRT_SESSION_H

#include "run.h"

udfrt_plan udfrt_session_plan(const udfrt_session *s);
/* The selection (NULL: every position) and corrections (NULL: none). */
const uint8_t *udfrt_session_selection(const udfrt_session *s);
const udfrt_corrections *udfrt_session_corrections_of(const udfrt_session *s);

#endif
