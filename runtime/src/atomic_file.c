/* atomic_file.c — temporary-then-rename output files; see atomic_file.h. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Temporaries alive now; a signal handler may read these, so they are fixed
 * buffers written before the file exists. */
enum { MAX_TEMPS = 64, TEMP_PATH_MAX = 4096 };
static char temps[MAX_TEMPS][TEMP_PATH_MAX];
static volatile sig_atomic_t temp_used[MAX_TEMPS];

static void register_temp(const char *path)
{
    for (int i = 0; i < MAX_TEMPS; i++)
        if (!temp_used[i]) {
            snprintf(temps[i], TEMP_PATH_MAX, "%s", path);
            temp_used[i] = 1;
            return;
        }
}

static void unregister_temp(const char *path)
{
    for (int i = 0; i < MAX_TEMPS; i++)
        if (temp_used[i] && strcmp(temps[i], path) == 0)
            temp_used[i] = 0;
}

udfrt_status udfrt_atomic_begin(const char *final_path, char *tmp, size_t cap, udfrt_error *err)
{
    int n = snprintf(tmp, cap, "%s.tmp-XXXXXX", final_path);
    if (n < 0 || (size_t)n >= cap || (size_t)n >= TEMP_PATH_MAX)
        return udfrt_fail(err, UDFRT_ERR_DATA, "output path '%s' is too long", final_path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot create output file '%s'",
                                final_path);
    register_temp(tmp);
    close(fd);
    return UDFRT_OK;
}

udfrt_status udfrt_atomic_commit(const char *tmp, const char *final_path, udfrt_error *err)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        udfrt_atomic_abandon(tmp);
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, e, "cannot write '%s'", final_path);
    }
    close(fd);
    if (rename(tmp, final_path) != 0) {
        int e = errno;
        udfrt_atomic_abandon(tmp);
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, e, "cannot write '%s'", final_path);
    }
    unregister_temp(tmp);
    return UDFRT_OK;
}

void udfrt_atomic_abandon(const char *tmp)
{
    unlink(tmp);
    unregister_temp(tmp);
}

static void on_fatal_signal(int sig)
{
    for (int i = 0; i < MAX_TEMPS; i++)
        if (temp_used[i])
            unlink(temps[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void udfrt_atomic_install_signal_cleanup(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa = {.sa_handler = on_fatal_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
    /* Past a file-size limit, write() should fail with EFBIG (reported like a
     * full disk) instead of killing the process. */
    signal(SIGXFSZ, SIG_IGN);
}
