/* error.h — how libudfrt reports failure: every fallible function returns a
 * status code and leaves one message on the caller's udfrt_error. Library code
 * never prints and never exits; only main does. */
#ifndef UDFRT_ERROR_H
#define UDFRT_ERROR_H

#include <stddef.h>

#include "udfrt/udfrt.h" /* udfrt_status, udfrt_error */

/* Records the first failure (later ones are dropped: the first is the cause)
 * and returns `code`, so callers can write `return udfrt_fail(err, ...);`. */
udfrt_status udfrt_fail(udfrt_error *err, udfrt_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with ": <strerror(errnum)>" appended. */
udfrt_status udfrt_fail_errno(udfrt_error *err, udfrt_status code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Copies text read from a file into `out` (cap bytes) for a message: at
 * most n bytes, up to the first NUL or `stop`, with anything unprintable (a
 * corrupt header) as '?'. Returns out. */
const char *udfrt_shown(char *out, size_t cap, const char *text, size_t n, char stop);

#endif
