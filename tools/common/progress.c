/* progress.c — drawing the progress line; see progress.h. The line is
 * redrawn with a carriage return and padded with spaces (no terminal escape
 * codes), so it also reads sensibly when stderr goes to a file. */
#include "progress.h"

#include <stdio.h>

/* "4.2 s", "3:07" or "1:02:03". */
static void format_duration(double seconds, char *out, size_t cap)
{
    long s = (long)(seconds + 0.5);
    if (seconds < 59.95)
        snprintf(out, cap, "%.1f s", seconds);
    else if (s < 3600)
        snprintf(out, cap, "%ld:%02ld", s / 60, s % 60);
    else
        snprintf(out, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

void progress_print(void *ctx, const udfrt_progress *p)
{
    ProgressLine *line = ctx;
    line->open = !p->finished;
    double gbps = p->seconds > 0 ? (double)p->bytes_read / 1e9 / p->seconds : 0;
    double fraction = p->frames_total ? (double)p->frames_done / (double)p->frames_total : 1;
    char when[32];
    if (p->finished) {
        format_duration(p->seconds, when, sizeof when);
        fprintf(stderr, "\r%lld/%lld frames  100%%  %.2f GB/s  done in %s      \n",
                (long long)p->frames_done, (long long)p->frames_total, gbps, when);
    } else {
        double left = p->frames_done ? p->seconds * (1 - fraction) / fraction : 0;
        format_duration(left, when, sizeof when);
        fprintf(stderr, "\r%lld/%lld frames  %3.0f%%  %.2f GB/s  %s left      ",
                (long long)p->frames_done, (long long)p->frames_total, 100 * fraction, gbps,
                p->frames_done ? when : "?");
    }
    fflush(stderr);
}

void progress_close(ProgressLine *line)
{
    if (line->open)
        fputc('\n', stderr);
    line->open = 0;
}
