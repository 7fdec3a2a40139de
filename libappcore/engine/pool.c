/* The scoring pool: fork-join over numbered chunks of work, one batch at a time.
 *
 * The calling thread works too, so a pool of N threads starts N - 1. Workers sleep on a
 * condition variable between batches and take chunks from an atomic counter, so a slow or
 * preempted thread (the machine may be shared) delays only the chunks it holds. The caller
 * waits only for workers that joined the batch, never for one still waking up: on a virtual
 * machine waking an idle vCPU took milliseconds, and waiting for it made a pooled 1024-row
 * batch between two reads slower than no pool. A worker that wakes after its batch closed
 * goes back to sleep. A caller that finds the pool busy runs its batch alone instead of
 * queueing behind another caller. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "engine/engine.h"

#define AC_POOL_MAX_THREADS 1024

struct appcore_pool {
	size_t num_threads; /* the caller included */
	size_t num_started; /* worker threads running */
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* a new batch, or stop */
	pthread_cond_t done; /* the last worker left the batch */
	unsigned long generation;
	bool stop;
	bool open; /* the current batch still takes workers */
	atomic_flag busy; /* set while a caller owns the workers */

	/* The current batch, written under lock before generation changes. */
	ac_pool_fn fn;
	void *ctx;
	size_t num_chunks;
	atomic_size_t next_chunk;
	size_t running; /* workers inside the batch (at start-up: workers that have a number) */
};

static void run_chunks(appcore_pool *pool, size_t worker)
{
	size_t chunk;

	while ((chunk = atomic_fetch_add_explicit(&pool->next_chunk, 1, memory_order_relaxed)) <
	       pool->num_chunks)
		pool->fn(pool->ctx, chunk, worker);
}

static void *worker_main(void *arg)
{
	appcore_pool *pool = arg;
	unsigned long seen = 0;
	size_t worker;

	pthread_mutex_lock(&pool->lock);
	/* worker numbers 1..n-1 in start order; 0 is the caller */
	worker = ++pool->running;
	pthread_cond_signal(&pool->done);
	for (;;) {
		while (pool->generation == seen && !pool->stop)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stop)
			break;
		seen = pool->generation;
		if (!pool->open)
			continue; /* woke too late: the caller did the work */
		pool->running++;
		pthread_mutex_unlock(&pool->lock);
		run_chunks(pool, worker);
		pthread_mutex_lock(&pool->lock);
		if (--pool->running == 0)
			pthread_cond_signal(&pool->done);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static size_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > AC_POOL_MAX_THREADS ? AC_POOL_MAX_THREADS : (size_t)n;
}

int appcore_pool_new(appcore_pool **out, size_t num_threads, appcore_error *err)
{
	appcore_pool *pool;
	int rc = APPCORE_OK;

	if (out == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_pool_new: NULL argument");
	*out = NULL;
	if (num_threads > AC_POOL_MAX_THREADS)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_pool_new: %zu threads; at most %d", num_threads,
				    AC_POOL_MAX_THREADS);
	if (num_threads == 0)
		num_threads = online_cpus();
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	pool->threads = calloc(num_threads, sizeof(*pool->threads));
	if (pool->threads == NULL) {
		free(pool);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	pool->num_threads = num_threads;
	atomic_flag_clear(&pool->busy);
	atomic_init(&pool->next_chunk, 0);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pthread_cond_init(&pool->done, NULL);
	pthread_mutex_lock(&pool->lock);
	for (size_t i = 1; i < num_threads; i++) {
		int e = pthread_create(&pool->threads[i - 1], NULL, worker_main, pool);

		if (e != 0) {
			rc = ac_error_set(err, APPCORE_EINTERNAL, "appcore_pool_new: cannot start a thread: %s",
					  strerror(e));
			break;
		}
		pool->num_started++;
	}
	/* Wait until every worker has its number, so none can miss the first batch. */
	while (pool->running < pool->num_started)
		pthread_cond_wait(&pool->done, &pool->lock);
	pool->running = 0;
	pthread_mutex_unlock(&pool->lock);
	if (rc != APPCORE_OK) {
		appcore_pool_free(pool);
		return rc;
	}
	*out = pool;
	return APPCORE_OK;
}

void appcore_pool_free(appcore_pool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (size_t i = 0; i < pool->num_started; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->done);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}

size_t appcore_pool_num_threads(const appcore_pool *pool)
{
	return pool ? pool->num_threads : 1;
}

void ac_pool_run(appcore_pool *pool, size_t num_chunks, ac_pool_fn fn, void *ctx)
{
	if (pool == NULL || pool->num_started == 0 || num_chunks < 2 ||
	    atomic_flag_test_and_set_explicit(&pool->busy, memory_order_acquire)) {
		for (size_t i = 0; i < num_chunks; i++)
			fn(ctx, i, 0);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	pool->fn = fn;
	pool->ctx = ctx;
	pool->num_chunks = num_chunks;
	atomic_store_explicit(&pool->next_chunk, 0, memory_order_relaxed);
	pool->running = 0;
	pool->open = true;
	pool->generation++;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	run_chunks(pool, 0);
	/* Every chunk is taken; those a worker took are done once no worker is inside. */
	pthread_mutex_lock(&pool->lock);
	while (pool->running > 0)
		pthread_cond_wait(&pool->done, &pool->lock);
	pool->open = false;
	pthread_mutex_unlock(&pool->lock);
	atomic_flag_clear_explicit(&pool->busy, memory_order_release);
}
