/* source.h — a .udf source held in memory, and the diagnostics reported on it.
 * Every user error goes through diag_error so that all share one format:
 *   FILE:LINE:COL: error: MESSAGE
 *    LINE | source line
 *         |     ^~~~
 */
#ifndef UDF_SOURCE_H
#define UDF_SOURCE_H

#include <stddef.h>
#include <stdio.h>

/* A source range: 1-based line and column (bytes), end exclusive. */
typedef struct Loc {
    int line, col, end_line, end_col;
} Loc;

typedef struct Source {
    const char *path; /* as given by the user, used in messages */
    char *text;       /* NUL-terminated */
    size_t len;
    FILE *diag_out; /* where diagnostics go (stderr) */
    int errors;     /* errors reported so far */
    Loc last_error; /* to drop a second report at the same place */
} Source;

/* Reads `path` whole. Returns NULL with a message in `why` (errno text). */
Source *source_read(const char *path, const char **why);
/* Wraps text already in memory (tests, stdlib by name). Copies it. */
Source *source_from_text(const char *path, const char *text);
void source_destroy(Source *src);

void diag_error(Source *src, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A note attached to the previous error, same format with "note". */
void diag_note(Source *src, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
