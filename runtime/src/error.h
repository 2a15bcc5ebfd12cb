/* error.h — how libudfrt reports failure: every fallible function returns a
 * status code and leaves one message on the caller's udfrt_error. Library code
 * never prints and never exits; only main does. */
#ifndef UDFRT_ERROR_H
#define UDFRT_ERROR_H

/* Status codes double as udfc exit codes (SPEC §3). */
typedef enum udfrt_status {
    UDFRT_OK = 0,
    UDFRT_ERR_SOURCE = 1,   /* a .udf source problem */
    UDFRT_ERR_USAGE = 2,    /* a bad option or parameter value */
    UDFRT_ERR_DATA = 3,     /* unreadable/mismatched data, I/O failure, out of memory */
    UDFRT_ERR_INTERNAL = 4  /* a bug: please report */
} udfrt_status;

typedef struct udfrt_error {
    udfrt_status code;
    char msg[1024];
} udfrt_error;

/* Records the first failure (later ones are dropped: the first is the cause)
 * and returns `code`, so callers can write `return udfrt_fail(err, ...);`. */
udfrt_status udfrt_fail(udfrt_error *err, udfrt_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with ": <strerror(errnum)>" appended. */
udfrt_status udfrt_fail_errno(udfrt_error *err, udfrt_status code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
