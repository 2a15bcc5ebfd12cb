/* pool.c — pthread worker pool; see pool.h. The calling thread works too, as
 * worker 0, so `threads` workers use threads-1 extra pthreads. */
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "alloc.h"

struct udfrt_pool {
    int threads;
    pthread_t *tids;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    /* The current job; `generation` counts jobs so sleepers know a new one came. */
    uint64_t generation;
    int quit;
    int busy; /* extra threads still inside the current job */
    int64_t n;
    udfrt_task_fn task;
    void *ctx;
    atomic_llong next;
    atomic_int failed;
    udfrt_status first_failure;
};

static void work(udfrt_pool *pool, int worker)
{
    for (;;) {
        if (atomic_load(&pool->failed))
            return;
        int64_t i = atomic_fetch_add(&pool->next, 1);
        if (i >= pool->n)
            return;
        udfrt_status st = pool->task(pool->ctx, i, worker);
        if (st != UDFRT_OK) {
            pthread_mutex_lock(&pool->lock);
            if (!atomic_load(&pool->failed))
                pool->first_failure = st;
            atomic_store(&pool->failed, 1);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

typedef struct {
    udfrt_pool *pool;
    int worker;
} thread_arg;

static void *thread_main(void *arg_)
{
    thread_arg *arg = arg_;
    udfrt_pool *pool = arg->pool;
    int worker = arg->worker;
    udfrt_free(arg);
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->quit && pool->generation == seen)
            pthread_cond_wait(&pool->wake, &pool->lock);
        if (pool->quit)
            break;
        seen = pool->generation;
        pthread_mutex_unlock(&pool->lock);
        work(pool, worker);
        pthread_mutex_lock(&pool->lock);
        if (--pool->busy == 0)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

udfrt_status udfrt_pool_create(int threads, udfrt_pool **out, udfrt_error *err)
{
    udfrt_pool *pool = udfrt_calloc(1, sizeof *pool);
    if (!pool)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the thread pool");
    pool->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->tids = udfrt_calloc((size_t)pool->threads, sizeof *pool->tids);
    if (!pool->tids) {
        udfrt_pool_destroy(pool);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the thread pool");
    }
    for (int w = 1; w < pool->threads; w++) {
        thread_arg *arg = udfrt_malloc(sizeof *arg);
        if (arg) {
            arg->pool = pool;
            arg->worker = w;
        }
        if (!arg || pthread_create(&pool->tids[w], NULL, thread_main, arg) != 0) {
            udfrt_free(arg);
            pool->threads = w; /* the ones started so far are joined on destroy */
            udfrt_pool_destroy(pool);
            return udfrt_fail(err, UDFRT_ERR_DATA, "cannot start worker thread %d", w);
        }
    }
    *out = pool;
    return UDFRT_OK;
}

void udfrt_pool_destroy(udfrt_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->quit = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int w = 1; pool->tids && w < pool->threads; w++)
        pthread_join(pool->tids[w], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    udfrt_free(pool->tids);
    udfrt_free(pool);
}

int udfrt_pool_threads(const udfrt_pool *pool) { return pool->threads; }

udfrt_status udfrt_pool_run(udfrt_pool *pool, int64_t n, udfrt_task_fn task, void *ctx)
{
    pthread_mutex_lock(&pool->lock);
    pool->n = n;
    pool->task = task;
    pool->ctx = ctx;
    atomic_store(&pool->next, 0);
    atomic_store(&pool->failed, 0);
    pool->first_failure = UDFRT_OK;
    pool->busy = pool->threads - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);

    work(pool, 0);

    pthread_mutex_lock(&pool->lock);
    while (pool->busy > 0)
        pthread_cond_wait(&pool->done, &pool->lock);
    udfrt_status st = pool->first_failure;
    pthread_mutex_unlock(&pool->lock);
    return st;
}

int udfrt_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    return 1;
}
