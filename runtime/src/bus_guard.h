/* bus_guard.h — reading mapped files without crashing: if a file shrinks
 * while it is mapped (frame_file.h), touching its lost pages raises SIGBUS.
 * Inside a guarded section the signal returns control to the section's
 * start (sigsetjmp), which reports an I/O error; elsewhere it takes its
 * previous course. */
#ifndef UDFRT_BUS_GUARD_H
#define UDFRT_BUS_GUARD_H

#include <setjmp.h>

/* The handler is in place between install and uninstall (calls nest: runs
 * may overlap); it chains to the one it replaced. */
void udfrt_bus_guard_install(void);
void udfrt_bus_guard_uninstall(void);

/* Between enter and leave, SIGBUS on this thread long-jumps to `jump`
 * (set with sigsetjmp(jump, 1) just before). */
void udfrt_bus_guard_enter(sigjmp_buf *jump);
void udfrt_bus_guard_leave(void);

#endif
