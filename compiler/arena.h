/* arena.h — bump allocation for everything the compiler builds from one source:
 * tokens, AST, checked types, loop IR. Freed all at once, so error paths in the
 * front end cannot leak. Allocation failure aborts with a message: the compiler
 * is run by udfc, which has nothing sensible to do without memory. */
#ifndef UDF_ARENA_H
#define UDF_ARENA_H

#include <stddef.h>

typedef struct Arena Arena;

Arena *arena_create(void);
void arena_destroy(Arena *a);
/* Zero-filled, aligned for any type. */
void *arena_alloc(Arena *a, size_t size);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ARENA_NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define ARENA_ARRAY(a, T, n) ((T *)arena_alloc((a), sizeof(T) * (size_t)(n)))

#endif
