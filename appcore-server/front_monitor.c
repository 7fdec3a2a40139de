/*
 * The monitor: a thread that looks at every open connection every TICK and
 *
 * 1. enforces the deadlines CivetWeb 1.15 gets wrong: its header timeout restarts after a stall
 *    (up to 2x server.request_timeout_ms) and its body reads restart their clock on every byte
 *    (a body trickled at 1 byte/s is never cut off). Here each is one overall deadline:
 *      - headers of a connection's first request: request_timeout_ms after a worker took it;
 *      - an idle keep-alive connection: keep_alive_timeout_ms after its last answer;
 *      - the whole body: request_timeout_ms after the handler started reading it.
 *
 * 2. keeps workers available. CivetWeb gives a connection a worker for its whole life, so
 *    clients that hold connections without using them (idle keep-alive, slowloris headers,
 *    trickled bodies) can take every worker while new clients, probes included, wait in the
 *    queue. When no worker is free and a client waits (in CivetWeb's queue, seen by the orphan
 *    scan, or in the kernel's accept queue), connections idle for SHED_IDLE_NS, still without
 *    a complete request after SHED_HEADERS_NS, or sending their body slower than
 *    SHED_BODY_MIN_RATE are closed. When the workers are busy with real requests (fewer than
 *    `reserve` connections to shed), answers carry Connection: close ("rotate"), so clients
 *    take turns through the queue instead of the first ones keeping their workers forever.
 *    Nothing is shed while nobody waits: closing a keep-alive connection races with a client
 *    sending its next request on it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "front_internal.h"

#define MS (1000000LL)
#define TICK_NS (5 * MS)
/* While clients wait for a worker. A well-behaved client sends its request with or right after
 * connecting, and its next one within microseconds of an answer. */
#define SHED_IDLE_NS (250 * MS)
#define SHED_HEADERS_NS (100 * MS)
#define SHED_BODY_NS (100 * MS)
#define SHED_BODY_MIN_RATE 16384 /* bytes per second */
/* A connection still without a complete request, or in the middle of its body, counts as slow
 * after this long; an idle one after SHED_IDLE_NS. */
#define SLOW_NS (50 * MS)
/* Orphans (connections before their first request, front_orphans.c) are scanned this often
 * while no worker is free (a scan costs a few system calls per socket; it also tells whether
 * clients wait in CivetWeb's queue), else every ORPHAN_SCAN_NS, for the header deadline. */
#define ORPHAN_SCAN_FULL_NS (40 * MS)
#define ORPHAN_SCAN_NS (250 * MS)

struct pool_view {
	int full;       /* no worker free: whoever connects now waits */
	int waiting;    /* and someone does */
	int slow;       /* connections that will be shed if someone waits */
};

/* Slow: sheddable soon, so busy connections need not be rotated to free workers. */
static int is_slow(int state, long long age)
{
	if (state == CONN_IDLE)
		return age > SHED_IDLE_NS;
	return (state == CONN_HEADERS || state == CONN_BODY) && age > SLOW_NS;
}

static void check_connection(struct front *front, struct front_conn *c,
			     const struct pool_view *view, long long now)
{
	const struct front_pool *pool = c->pool;
	int state = atomic_load(&c->state);
	long long age = now - atomic_load(&c->since_ns);

	switch (state) {
	case CONN_HEADERS:
		if (age > pool->header_timeout_ns)
			front_conn_cut(front, c, state, FRONT_CUT_TIMEOUT);
		else if (view->waiting && age > SHED_HEADERS_NS &&
			 front_conn_pending_bytes(c) == 0)
			front_conn_cut(front, c, state, FRONT_CUT_SHED);
		break;
	case CONN_IDLE:
		/* bytes waiting: the next request is arriving, leave it to the worker */
		if (front_conn_pending_bytes(c) != 0)
			break;
		if (age > pool->idle_timeout_ns)
			front_conn_cut(front, c, state, FRONT_CUT_TIMEOUT);
		else if (view->waiting && age > SHED_IDLE_NS)
			front_conn_cut(front, c, state, FRONT_CUT_SHED);
		break;
	case CONN_BODY: {
		long long since = now - age;

		if (age > pool->body_timeout_ns) {
			front_conn_cut(front, c, state, FRONT_CUT_TIMEOUT);
			break;
		}
		/* the rate from the kernel's count of bytes received: the handler's reads return
		 * only when their buffer is full */
		if (c->body_since_ns != since) {
			c->body_since_ns = since;
			c->body_base_bytes = front_socket_bytes_received(c->fd);
			c->body_base_ns = now;
		} else if (view->waiting && age > SHED_BODY_NS && now > c->body_base_ns) {
			long long received = front_socket_bytes_received(c->fd) - c->body_base_bytes;

			if ((double)received * 1e9 / (double)(now - c->body_base_ns) < SHED_BODY_MIN_RATE)
				front_conn_cut(front, c, state, FRONT_CUT_SHED);
		}
		break;
	}
	default:
		break;
	}
}

/* Slots whose connection has not had its first request yet. */
static void count_unattached(struct front *front, int counts[POOL_COUNT])
{
	for (int p = 0; p < POOL_COUNT; p++)
		counts[p] = 0;
	pthread_mutex_lock(&front->lock);
	for (size_t i = 0; i < front->num_conns; i++) {
		struct front_conn *c = &front->conns[i];

		if (c->in_use && c->fd < 0)
			counts[c->pool->id]++;
	}
	pthread_mutex_unlock(&front->lock);
}

static void scan(struct front *front)
{
	struct pool_view views[POOL_COUNT];
	struct orphan_policy policy;
	struct orphan_counts counts;
	int queued[POOL_COUNT];
	int before[POOL_COUNT];
	int after[POOL_COUNT];
	int any_full = 0;
	long long now = front_now_ns();

	memset(views, 0, sizeof(views));
	pthread_mutex_lock(&front->lock);
	for (size_t i = 0; i < front->num_conns; i++) {
		struct front_conn *c = &front->conns[i];
		int state;

		if (!c->in_use)
			continue;
		state = atomic_load(&c->state);
		if (is_slow(state, now - atomic_load(&c->since_ns)))
			views[c->pool->id].slow++;
	}
	for (int p = 0; p < front->num_pools && p < POOL_COUNT; p++) {
		struct front_pool *pool = &front->pools[p];
		int backlog = atomic_load(&pool->listener_closed)
				  ? 0
				  : front_listener_backlog(pool->listener_fd);

		views[p].full = atomic_load(&pool->busy) >= pool->threads || backlog > 0;
		views[p].waiting = backlog > 0 || (views[p].full && pool->queued > 0);
		any_full |= views[p].full;
		/* when slow connections can be shed instead, busy ones keep their workers */
		/* and only while most of the queue are whole requests: if it is mostly slow clients
		 * (an attack: partial heads, trickled bodies), those are shed instead, and a rotated
		 * client would queue behind them (the queue is first come, first served) */
		atomic_store(&pool->rotate, views[p].waiting && views[p].slow < pool->reserve &&
						2 * pool->queued_requests > pool->queued);
	}
	for (size_t i = 0; i < front->num_conns; i++) {
		struct front_conn *c = &front->conns[i];

		if (c->in_use && c->fd >= 0)
			check_connection(front, c, &views[c->pool->id], now);
	}
	pthread_mutex_unlock(&front->lock);

	if (now - front->last_orphan_scan_ns < (any_full ? ORPHAN_SCAN_FULL_NS : ORPHAN_SCAN_NS))
		return;
	memset(&policy, 0, sizeof(policy));
	policy.shed_ns = SHED_HEADERS_NS;
	policy.min_rate = SHED_BODY_MIN_RATE;
	for (int p = 0; p < front->num_pools && p < POOL_COUNT; p++)
		policy.shed[p] = views[p].waiting;
	count_unattached(front, before);
	front_orphans_scan(front, &policy, now, &counts);
	count_unattached(front, after);
	front->last_orphan_scan_ns = now;
	/* every orphan belongs to a slot before its first request or waits in CivetWeb's queue;
	 * slots change during the scan, so take the larger count */
	for (int p = 0; p < front->num_pools && p < POOL_COUNT; p++)
		queued[p] = counts.seen_before[p] - (before[p] > after[p] ? before[p] : after[p]);
	for (int p = 0; p < front->num_pools && p < POOL_COUNT; p++) {
		if (queued[p] > 0 && front->pools[p].queued == 0 &&
		    appcore_log_enabled(front->app->log, APPCORE_LOG_DEBUG)) {
			appcore_log_field fields[] = {
				APPCORE_LOG_STR("listener", front->pools[p].name),
				APPCORE_LOG_INT("queued", queued[p]),
				APPCORE_LOG_INT("workers", front->pools[p].threads),
			};
			appcore_log(front->app->log, APPCORE_LOG_DEBUG,
				    "every worker busy, requests waiting", fields, 3);
		}
		front->pools[p].queued = queued[p] > 0 ? queued[p] : 0;
		front->pools[p].queued_requests = counts.complete[p];
	}
}

static void *monitor_main(void *arg)
{
	struct front *front = arg;
	struct timespec wake;

	pthread_mutex_lock(&front->monitor_lock);
	clock_gettime(CLOCK_MONOTONIC, &wake);
	while (!front->monitor_stop) {
		wake.tv_nsec += TICK_NS;
		if (wake.tv_nsec >= 1000000000L) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&front->monitor_wake, &front->monitor_lock, &wake) ==
		    ETIMEDOUT) {
			pthread_mutex_unlock(&front->monitor_lock);
			scan(front);
			pthread_mutex_lock(&front->monitor_lock);
			/* after a long pause (a stopped process), do not try to catch up */
			clock_gettime(CLOCK_MONOTONIC, &wake);
		}
	}
	pthread_mutex_unlock(&front->monitor_lock);
	return NULL;
}

int front_monitor_start(struct front *front)
{
	pthread_condattr_t attr;
	int e;

	if ((e = pthread_condattr_init(&attr)) != 0)
		return e;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if ((e = pthread_cond_init(&front->monitor_wake, &attr)) != 0) {
		pthread_condattr_destroy(&attr);
		return e;
	}
	pthread_condattr_destroy(&attr);
	if ((e = pthread_mutex_init(&front->monitor_lock, NULL)) != 0) {
		pthread_cond_destroy(&front->monitor_wake);
		return e;
	}
	front->monitor_stop = 0;
	if ((e = pthread_create(&front->monitor, NULL, monitor_main, front)) != 0) {
		pthread_mutex_destroy(&front->monitor_lock);
		pthread_cond_destroy(&front->monitor_wake);
		return e;
	}
	front->monitor_started = 1;
	return 0;
}

void front_monitor_stop(struct front *front)
{
	if (!front->monitor_started)
		return;
	pthread_mutex_lock(&front->monitor_lock);
	front->monitor_stop = 1;
	pthread_cond_signal(&front->monitor_wake);
	pthread_mutex_unlock(&front->monitor_lock);
	pthread_join(front->monitor, NULL);
	pthread_mutex_destroy(&front->monitor_lock);
	pthread_cond_destroy(&front->monitor_wake);
	front->monitor_started = 0;
}
