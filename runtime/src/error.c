/* error.c — recording the first failure of an operation; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static udfrt_status record(udfrt_error *err, udfrt_status code, int errnum, const char *fmt,
                           va_list ap)
{
    if (!err || err->code != UDFRT_OK)
        return code;
    err->code = code;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (errnum && n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
    return code;
}

udfrt_status udfrt_fail(udfrt_error *err, udfrt_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(err, code, 0, fmt, ap);
    va_end(ap);
    return code;
}

udfrt_status udfrt_fail_errno(udfrt_error *err, udfrt_status code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(err, code, errnum, fmt, ap);
    va_end(ap);
    return code;
}

const char *udfrt_shown(char *out, size_t cap, const char *text, size_t n, char stop)
{
    size_t k = 0;
    for (size_t i = 0; i < n && text[i] && text[i] != stop && k + 1 < cap; i++)
        out[k++] = text[i] >= ' ' && text[i] <= '~' ? text[i] : '?';
    out[k] = '\0';
    return out;
}
