/* inputs.c — see inputs.h. */
#include "inputs.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"

typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static file_id *inputs;
static size_t n_inputs, cap_inputs;
static int live_sessions;

static int find(file_id id)
{
    for (size_t i = 0; i < n_inputs; i++)
        if (inputs[i].dev == id.dev && inputs[i].ino == id.ino)
            return 1;
    return 0;
}

void udfrt_note_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    file_id id = {st.st_dev, st.st_ino};
    pthread_mutex_lock(&lock);
    if (!find(id) && n_inputs == cap_inputs) {
        size_t cap = cap_inputs ? 2 * cap_inputs : 16;
        file_id *grown = udfrt_malloc(cap * sizeof *grown);
        if (grown) {
            if (n_inputs)
                memcpy(grown, inputs, n_inputs * sizeof *grown);
            udfrt_free(inputs);
            inputs = grown;
            cap_inputs = cap;
        }
    }
    if (!find(id) && n_inputs < cap_inputs)
        inputs[n_inputs++] = id;
    pthread_mutex_unlock(&lock);
}

int udfrt_is_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    pthread_mutex_lock(&lock);
    int found = find((file_id){st.st_dev, st.st_ino});
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
    if (--live_sessions == 0)
        n_inputs = 0;
    pthread_mutex_unlock(&lock);
}
