/* inputs.h — the files this process reads as inputs (data, parameter and
 * correction arrays, kernel libraries), by device and inode, so that no
 * output replaces one of them (`-o data.npy` would have destroyed the data). */
#ifndef UDFRT_INPUTS_H
#define UDFRT_INPUTS_H

/* Records the file at `path` as an input (nothing if it cannot be stat'ed).
 * Safe from any thread. */
void udfrt_note_input(const char *path);
/* Whether `path` names a file recorded as an input (under any name), or
 * might: after a file could not be recorded for want of memory, every
 * existing path counts as an input until the record is forgotten. */
int udfrt_is_input(const char *path);
/* Sessions hold the record: when the last live session ends, it is
 * forgotten, so that a program running one session after another may write
 * what an earlier one read (and a reused inode is not taken for an input). */
void udfrt_inputs_session_begin(void);
void udfrt_inputs_session_end(void);

#endif
