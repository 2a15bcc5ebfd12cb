/* bus_guard.c — see bus_guard.h. */
#include "bus_guard.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

static _Thread_local sigjmp_buf *guard_jump;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static int installs;
static struct sigaction previous;

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
    if (guard_jump)
        siglongjmp(*guard_jump, 1);
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, uctx);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    signal(SIGBUS, SIG_DFL);
    raise(SIGBUS);
}

void udfrt_bus_guard_install(void)
{
    pthread_mutex_lock(&install_lock);
    if (installs++ == 0) {
        struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, &previous);
    }
    pthread_mutex_unlock(&install_lock);
}

void udfrt_bus_guard_uninstall(void)
{
    pthread_mutex_lock(&install_lock);
    if (--installs == 0)
        sigaction(SIGBUS, &previous, NULL);
    pthread_mutex_unlock(&install_lock);
}

void udfrt_bus_guard_enter(sigjmp_buf *jump) { guard_jump = jump; }
void udfrt_bus_guard_leave(void) { guard_jump = NULL; }
