/* atomic_file.h — output files appear whole or not at all: writers write to a
 * temporary file next to the destination and rename it into place only after
 * everything (including fsync) succeeded. The temporary's name is registered
 * so that a fatal signal removes it too. */
#ifndef UDFRT_ATOMIC_FILE_H
#define UDFRT_ATOMIC_FILE_H

#include <stddef.h>

#include "error.h"

/* Creates a unique, empty temporary file next to `final_path`; its name goes
 * to tmp[cap]. */
udfrt_status udfrt_atomic_begin(const char *final_path, char *tmp, size_t cap, udfrt_error *err);
/* fsyncs the temporary and renames it to final_path. */
udfrt_status udfrt_atomic_commit(const char *tmp, const char *final_path, udfrt_error *err);
/* Removes the temporary after a failure. */
void udfrt_atomic_abandon(const char *tmp);
/* Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE that remove the
 * registered temporaries before the process dies, and ignores SIGXFSZ. */
void udfrt_atomic_install_signal_cleanup(void);

#endif
