/**
 * @file appcore/pool.h
 * @brief A pool of threads that score large batches in parallel.
 *
 * Why the library owns the pool rather than taking a caller's: scoring a batch is a fork-join
 * over equal slices of rows with no I/O, so the library knows best how to cut the work, keep
 * row order (each thread writes its own slice of the output), and avoid allocation per call.
 * A caller-supplied "run this closure" hook would need a callback type, a completion
 * protocol and error rules in the ABI for little gain; a program with its own threads can
 * still split rows itself and call the prediction functions concurrently (they are
 * thread-safe).
 *
 * One pool can serve a whole program: create it once, pass it to every prediction that should
 * use it, free it at exit. A pool runs one batch at a time; a prediction that finds the pool
 * busy with another caller's batch scores on its own thread instead of waiting, so sharing a
 * pool between server threads never blocks a request behind another.
 */
#ifndef APPCORE_POOL_H
#define APPCORE_POOL_H

#include <stddef.h>

#include "common.h"
#include "error.h"

APPCORE_BEGIN_DECLS

/** A pool of scoring threads. Opaque. */
typedef struct appcore_pool appcore_pool;

/**
 * Create a pool whose batches run on @p num_threads threads in all: the calling thread plus
 * num_threads - 1 threads the pool starts now and keeps idle (blocked, no CPU) between
 * batches.
 *
 * @param out          receives the pool; free it with appcore_pool_free(). On failure *out
 *                     is set to NULL.
 * @param num_threads  threads per batch; 0 means the number of online CPUs. At most 1024.
 *                     1 starts no thread (batches run on the caller).
 * @return APPCORE_OK; APPCORE_EINVAL (NULL @p out, or more than 1024 threads);
 *         APPCORE_ENOMEM; APPCORE_EINTERNAL (the system refused to start a thread; the
 *         message gives its error). Thread-safe.
 */
APPCORE_API int appcore_pool_new(appcore_pool **out, size_t num_threads, appcore_error *err);

/**
 * Stop the pool's threads and free it. @p pool may be NULL. Must not be called while a
 * prediction is using the pool.
 */
APPCORE_API void appcore_pool_free(appcore_pool *pool);

/** Threads a batch runs on (the caller included); 1 for a NULL pool. Thread-safe. */
APPCORE_API size_t appcore_pool_num_threads(const appcore_pool *pool);

APPCORE_END_DECLS

#endif /* APPCORE_POOL_H */
