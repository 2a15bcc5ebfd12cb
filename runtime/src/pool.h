/* pool.h — a fixed set of worker threads that run "for every task index in
 * 0..n" loops with dynamic scheduling (each idle worker takes the next index). */
#ifndef UDFRT_POOL_H
#define UDFRT_POOL_H

#include <stdint.h>

#include "error.h"

typedef struct udfrt_pool udfrt_pool;

/* `task(ctx, index, worker)` with worker in 0..threads-1. A task that fails
 * returns its status; the remaining tasks are skipped and the first failure is
 * returned by udfrt_pool_run. */
typedef udfrt_status (*udfrt_task_fn)(void *ctx, int64_t index, int worker);

/* threads <= 1 runs everything on the calling thread. */
udfrt_status udfrt_pool_create(int threads, udfrt_pool **out, udfrt_error *err);
void udfrt_pool_destroy(udfrt_pool *pool);
int udfrt_pool_threads(const udfrt_pool *pool);
udfrt_status udfrt_pool_run(udfrt_pool *pool, int64_t n, udfrt_task_fn task, void *ctx);

/* Cores available to this process (sched affinity), at least 1. */
int udfrt_cpu_count(void);

#endif
