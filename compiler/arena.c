/* arena.c — a linked list of large blocks; see arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK_BYTES = 64 * 1024, ALIGN = 16 };

typedef struct Block {
    struct Block *prev;
    size_t used, size;
    _Alignas(ALIGN) unsigned char data[];
} Block;

struct Arena {
    Block *top;
};

static void *must(void *p)
{
    if (!p) {
        fputs("udfc: error: out of memory\n", stderr);
        abort();
    }
    return p;
}

Arena *arena_create(void) { return must(calloc(1, sizeof(Arena))); }

void arena_destroy(Arena *a)
{
    if (!a)
        return;
    for (Block *b = a->top, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    free(a);
}

void *arena_alloc(Arena *a, size_t size)
{
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    Block *b = a->top;
    if (!b || b->size - b->used < size) {
        size_t cap = size > BLOCK_BYTES ? size : BLOCK_BYTES;
        b = must(malloc(sizeof(Block) + cap));
        b->prev = a->top;
        b->used = 0;
        b->size = cap;
        a->top = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return memset(p, 0, size);
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    memcpy(d, s, n);
    return d;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *d = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}
