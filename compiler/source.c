/* source.c — source files in memory and diagnostic printing; see source.h. */
#include "source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "udfrt/config.h"

static Source *source_adopt(const char *path, char *text, size_t len)
{
    Source *src = calloc(1, sizeof *src);
    char *path_copy = strdup(path);
    if (!src || !path_copy) {
        free(src);
        free(path_copy);
        free(text);
        return NULL;
    }
    src->path = path_copy;
    src->text = text;
    src->len = len;
    src->diag_out = stderr;
    return src;
}

#define SOURCE_BYTES_MAX ((size_t)16 << 20)

Source *source_read(const char *path, const char **why)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = strerror(errno);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    for (;;) {
        if (!text) {
            fclose(f);
            *why = "out of memory";
            return NULL;
        }
        len += fread(text + len, 1, cap - len - 1, f);
        int next = len < cap - 1 ? EOF : fgetc(f); /* the buffer full: is there more? */
        if (next == EOF)
            break;
        if (cap >= SOURCE_BYTES_MAX) { /* /dev/zero, or a data file named by mistake */
            free(text);
            fclose(f);
            *why = "16 MiB or larger, more than any udf source";
            return NULL;
        }
        cap *= 2;
        char *grown = realloc(text, cap);
        if (!grown)
            free(text);
        else
            grown[len++] = (char)next;
        text = grown;
    }
    int failed = ferror(f) ? errno : 0;
    fclose(f);
    if (failed) {
        free(text);
        *why = strerror(failed); /* "Is a directory", ... */
        return NULL;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        free(text);
        *why = "not a text file (it holds NUL bytes)";
        return NULL;
    }
    Source *src = source_adopt(path, text, len);
    if (!src)
        *why = "out of memory";
    return src;
}

Source *source_from_text(const char *path, const char *text)
{
    char *copy = strdup(text);
    return copy ? source_adopt(path, copy, strlen(copy)) : NULL;
}

void source_destroy(Source *src)
{
    if (!src)
        return;
    free((char *)src->path);
    free(src->text);
    free(src);
}

/* Prints the source line of `loc` and a marker line: tabs copied so the
 * caret lines up at any tab width, `^` at the column, `~` to the range end. */
static void print_excerpt(Source *src, Loc loc)
{
    const char *p = src->text;
    for (int line = 1; line < loc.line && p; line++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return;
    size_t n = strcspn(p, "\n");
    if (n > UDF_DIAG_LINE_MAX)
        n = UDF_DIAG_LINE_MAX;
    fprintf(src->diag_out, "%5d | %.*s\n      | ", loc.line, (int)n, p);
    int end = loc.end_line == loc.line && loc.end_col > loc.col ? loc.end_col : loc.col + 1;
    for (int col = 1; col < end && (size_t)(col - 1) <= n; col++) {
        char c = (size_t)(col - 1) < n ? p[col - 1] : ' ';
        if (col < loc.col)
            fputc(c == '\t' ? '\t' : ' ', src->diag_out);
        else
            fputc(col == loc.col ? '^' : '~', src->diag_out);
    }
    fputc('\n', src->diag_out);
}

static void report(Source *src, Loc loc, const char *what, const char *fmt, va_list ap)
{
    fprintf(src->diag_out, "%s:%d:%d: %s: ", src->path, loc.line, loc.col, what);
    vfprintf(src->diag_out, fmt, ap);
    fputc('\n', src->diag_out);
    print_excerpt(src, loc);
}

void diag_error(Source *src, Loc loc, const char *fmt, ...)
{
    if (src->errors && src->last_error.line == loc.line && src->last_error.col == loc.col)
        return;
    src->errors++;
    src->last_error = loc;
    va_list ap;
    va_start(ap, fmt);
    report(src, loc, "error", fmt, ap);
    va_end(ap);
}

void diag_note(Source *src, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(src, loc, "note", fmt, ap);
    va_end(ap);
}
