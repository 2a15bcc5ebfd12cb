/* inputs.c — see inputs.h. */
#include "inputs.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>

#include "alloc.h"

typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

/* The record: an open-addressing hash set (linear probing, a power-of-two
 * capacity at most half full), so that a Merlin series of many thousand
 * files, reopened on every read, pays O(1) per open and not a scan. */
typedef struct entry {
    file_id id;
    int used;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry *table;
static size_t n_inputs, capacity;
static int live_sessions;
static int incomplete; /* a file could not be recorded (no memory) */

static size_t hash(file_id id)
{
    uint64_t h = (uint64_t)id.dev * 0x9E3779B97F4A7C15u ^ (uint64_t)id.ino;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9u;
    return (size_t)(h ^ (h >> 29));
}

/* The entry holding id in t (capacity cap), or the free one where it goes. */
static entry *slot(entry *t, size_t cap, file_id id)
{
    for (size_t i = hash(id) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!t[i].used || (t[i].id.dev == id.dev && t[i].id.ino == id.ino))
            return &t[i];
}

/* Doubles the table; 0 if memory ran out (the table is unchanged). */
static int grow(void)
{
    size_t cap = capacity ? 2 * capacity : 64;
    entry *grown = udfrt_calloc(cap, sizeof *grown);
    if (!grown)
        return 0;
    for (size_t i = 0; i < capacity; i++)
        if (table[i].used)
            *slot(grown, cap, table[i].id) = table[i];
    udfrt_free(table);
    table = grown;
    capacity = cap;
    return 1;
}

void udfrt_note_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    file_id id = {st.st_dev, st.st_ino};
    pthread_mutex_lock(&lock);
    entry *e = capacity ? slot(table, capacity, id) : NULL;
    if (!e || !e->used) {
        if (2 * (n_inputs + 1) <= capacity || grow()) {
            *slot(table, capacity, id) = (entry){id, 1};
            n_inputs++;
        } else {
            incomplete = 1;
        }
    }
    pthread_mutex_unlock(&lock);
}

int udfrt_is_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    pthread_mutex_lock(&lock);
    int found =
        incomplete || (capacity && slot(table, capacity, (file_id){st.st_dev, st.st_ino})->used);
    pthread_mutex_unlock(&lock);
    return found;
}

void udfrt_inputs_session_begin(void)
{
    pthread_mutex_lock(&lock);
    live_sessions++;
    pthread_mutex_unlock(&lock);
}

void udfrt_inputs_session_end(void)
{
    pthread_mutex_lock(&lock);
    if (--live_sessions == 0) {
        udfrt_free(table);
        table = NULL;
        n_inputs = capacity = 0;
        incomplete = 0;
    }
    pthread_mutex_unlock(&lock);
}
