/* atomic_file.h — output files appear whole or not at all. Writers write each
 * file to a temporary next to its destination; once every file of a run is
 * written, the staging fsyncs them all and renames each into place. Until
 * then the temporaries are registered, so that a fatal signal (SIGINT,
 * SIGTERM, SIGHUP, SIGPIPE) removes them; after SIGKILL a `NAME.tmp-XXXXXX`
 * may remain, but no destination is ever half-written. */
#ifndef UDFRT_ATOMIC_FILE_H
#define UDFRT_ATOMIC_FILE_H

#include <stddef.h>

#include "error.h"

/* What a temporary adds to its destination's name. */
#define UDFRT_TEMP_SUFFIX ".tmp-XXXXXX"

typedef struct udfrt_staging udfrt_staging;

udfrt_status udfrt_staging_create(udfrt_staging **out, udfrt_error *err);
/* Creates an empty temporary next to `final_path`, with the permissions a
 * new file gets (0666 less the umask); *tmp (owned by the staging) is its
 * path, for the writer to fill. A second file staged for the same
 * destination is refused (UDFRT_ERR_USAGE): one of the two would be lost. */
udfrt_status udfrt_stage_file(udfrt_staging *s, const char *final_path, const char **tmp,
                              udfrt_error *err);
/* Creates an empty working file next to `near_path` (its name and a
 * `.tmp-XXXXXX`), removed with the staging or by a fatal signal, never
 * renamed: a file a writer needs on the way (an object to link). */
udfrt_status udfrt_stage_scratch(udfrt_staging *s, const char *near_path, const char **tmp,
                                 udfrt_error *err);
/* Writes data[0..bytes) to the open file fd (retrying short writes);
 * failures name `path`. */
udfrt_status udfrt_write_all(int fd, const void *data, size_t bytes, const char *path,
                             udfrt_error *err);
/* UDFRT_OK if `path` does not exist or is a regular file, which a commit
 * may replace (not a directory, a device such as /dev/null, a pipe), and not
 * a file the run reads (inputs.h). */
udfrt_status udfrt_check_replaceable(const char *path, udfrt_error *err);
/* fsyncs every temporary, checks that every destination is replaceable, then
 * renames each to its destination; if a rename fails, the files renamed
 * before it are removed. */
udfrt_status udfrt_staging_commit(udfrt_staging *s, udfrt_error *err);
/* Records a directory made for the outputs: one that a staging destroyed
 * without a commit removes again (it then holds no file of the run). */
udfrt_status udfrt_staging_made_dir(udfrt_staging *s, const char *dir, udfrt_error *err);
/* Removes the temporaries not committed (and, without a commit, the
 * directories made for them), and frees the staging. */
void udfrt_staging_destroy(udfrt_staging *s);

/* Installs the signal handlers that remove registered temporaries, and
 * ignores SIGXFSZ (past a file-size limit, writes then fail with EFBIG and are
 * reported like a full disk). */
void udfrt_atomic_install_signal_cleanup(void);

#endif
