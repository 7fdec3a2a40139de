/*
 * Graceful stop. CivetWeb 1.15's mg_stop closes the listener and every connection at once:
 * connections its accept loop had taken but no worker had yet, and keep-alive connections whose
 * client had just sent its next request, are closed without an answer. So the front stops
 * accepting first and drains, and calls mg_stop only when no connection is left:
 *
 * 1. New connection attempts are dropped (a socket filter on the listener discards SYNs), while
 *    handshakes already under way complete and CivetWeb keeps accepting what the kernel queued.
 * 2. Once the accept queue is empty, the listening socket is swapped for a quiet one bound to a
 *    loopback port (dup2 onto the same descriptor number, so CivetWeb's accept loop polls the
 *    quiet one) and closed: clients are refused from now on.
 * 3. Requests on open connections are answered with Connection: close; a keep-alive connection
 *    that stays idle for DRAIN_LINGER_NS after the listener closed is closed (its client had
 *    sent nothing, or it would be in the socket's receive queue).
 * 4. When no connection is left (or the grace period ends), the workers are stopped.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "app.h"
#include "front_fd.h"
#include "front_internal.h"

#define MS (1000000LL)
#define DRAIN_LINGER_NS (50 * MS)
/* Time for handshakes in flight when SYNs start being dropped to complete. */
#define SETTLE_NS (20 * MS)
#define POLL_NS (2 * MS)
/* Consecutive polls with no connection before the drain is over: a connection CivetWeb
 * accepted but no worker has taken yet is invisible until a worker takes it, which a free
 * worker does within microseconds. */
#define QUIET_POLLS 3

static void pause_ns(long long ns)
{
	struct timespec pause = { (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL) };

	nanosleep(&pause, NULL);
}

/* Classic BPF on the listening socket: drop TCP segments with SYN set and ACK clear, the first
 * segment of a new connection; let the rest (ACKs completing handshakes) through. */
static int drop_new_connections(int fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13), /* TCP flags */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12), /* SYN | ACK */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog program = { (unsigned short)(sizeof(code) / sizeof(code[0])), code };

	return (int)syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_ATTACH_FILTER, &program,
			    (socklen_t)sizeof(program));
}

/* Put a quiet listening socket (loopback, kernel-chosen port, non-blocking) in place of fd and
 * close the real one. knock receives the quiet socket's address. */
static int swap_listener(int fd, struct sockaddr_in *knock)
{
	struct sockaddr_in address;
	socklen_t len = sizeof(address);
	int quiet = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int old;

	if (quiet < 0)
		return -1;
	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(quiet, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(quiet, 4) != 0 ||
	    getsockname(quiet, (struct sockaddr *)&address, &len) != 0) {
		close(quiet);
		return -1;
	}
	old = fd_dup(fd);
	if (old < 0 || fd_dup2(quiet, fd) < 0) {
		if (old >= 0)
			fd_close(old);
		close(quiet);
		return -1;
	}
	close(quiet);
	/* refuse at once whoever still tries to connect */
	fd_shutdown(old, SHUT_RDWR);
	fd_close(old);
	*knock = address;
	return 0;
}

/* CivetWeb's accept loop may be in poll() on the old socket, which neither the swap nor the
 * shutdown wakes, for up to 2 s; meanwhile a knock on the quiet socket cannot reach it and
 * mg_stop waits. A signal interrupts that poll (CivetWeb then polls again, on the quiet socket).
 * Only its "civetweb-master" threads are signalled; the handler does nothing. */
static void wake_accept_loops(void)
{
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *entry;

	if (tasks == NULL)
		return;
	while ((entry = readdir(tasks)) != NULL) {
		char path[300], name[32] = "";
		FILE *comm;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", entry->d_name);
		comm = fopen(path, "re");
		if (comm == NULL)
			continue;
		if (fgets(name, sizeof(name), comm) != NULL && strncmp(name, "civetweb-master", 15) == 0) {
			char *end;
			long tid = strtol(entry->d_name, &end, 10);

			if (*end == '\0' && tid > 0)
				syscall(SYS_tgkill, (long)getpid(), tid, FRONT_WAKE_SIGNAL);
		}
		fclose(comm);
	}
	closedir(tasks);
}

/* Steps 1 and 2 for one pool. */
static void close_listener(struct front_pool *pool, long long deadline)
{
	long long settled;

	if (pool->listener_fd < 0)
		return;
	drop_new_connections(pool->listener_fd);
	settled = front_now_ns() + SETTLE_NS;
	while (front_now_ns() < deadline &&
	       (front_now_ns() < settled || front_listener_backlog(pool->listener_fd) > 0))
		pause_ns(POLL_NS / 2);
	if (swap_listener(pool->listener_fd, &pool->knock) == 0) {
		atomic_store(&pool->listener_closed, 1);
		wake_accept_loops();
	}
}

void front_drain(struct front *front, long long grace_ms, struct front_stop_report *report)
{
	struct front_pool *pool = &front->pools[POOL_MAIN];
	long long started = front_now_ns();
	long long deadline = started + grace_ms * MS;
	long long closed_at;
	long long idle_closed = 0;
	long long left_open = 0;
	int quiet = 0;

	close_listener(pool, deadline);
	closed_at = front_now_ns();
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_FLOAT("after_ms", (double)(closed_at - started) / 1e6),
			/* CLOCK_MONOTONIC, to line the moment up with a client's own measurements */
			APPCORE_LOG_INT("monotonic_ns", closed_at),
		};
		appcore_log(front->app->log, APPCORE_LOG_INFO, "listener closed", fields, 2);
	}
	for (;;) {
		long long now = front_now_ns();
		long long open = 0;
		struct orphan_policy policy;
		struct orphan_counts orphans;

		memset(&policy, 0, sizeof(policy));
		policy.drain[POOL_MAIN] = 1;
		policy.drain_since_ns = closed_at;
		policy.drain_linger_ns = DRAIN_LINGER_NS;
		pthread_mutex_lock(&front->lock);
		for (size_t i = 0; i < front->num_conns; i++) {
			struct front_conn *c = &front->conns[i];
			int state;
			long long since;

			if (!c->in_use || c->pool != pool)
				continue;
			open++;
			if (c->fd < 0)
				continue; /* before its first request: an orphan, below */
			state = atomic_load(&c->state);
			since = atomic_load(&c->since_ns);
			if (since < closed_at)
				since = closed_at;
			if ((state == CONN_IDLE || state == CONN_HEADERS) &&
			    now - since >= DRAIN_LINGER_NS && front_conn_pending_bytes(c) == 0 &&
			    front_conn_cut(front, c, state, FRONT_CUT_DRAIN))
				idle_closed++;
		}
		pthread_mutex_unlock(&front->lock);
		/* connections CivetWeb accepted that no worker took yet count as open too */
		front_orphans_scan(front, &policy, now, &orphans);
		open += orphans.seen[POOL_MAIN];
		quiet = open == 0 ? quiet + 1 : 0;
		left_open = open;
		if (quiet >= QUIET_POLLS || now >= deadline)
			break;
		pause_ns(POLL_NS);
	}
	if (report != NULL) {
		report->drain_ms = (double)(front_now_ns() - started) / 1e6;
		report->left_open = left_open;
		report->idle_closed = idle_closed;
	}
}

/* CivetWeb's accept loop notices mg_stop only when its poll wakes, at most every 2 s: knock on
 * the listening socket until the stop completes, so the process exits promptly (docker stop
 * allows little time). */
struct knocker {
	struct sockaddr_in address;
	atomic_int done;
};

static void *knock_until_stopped(void *arg)
{
	struct knocker *knocker = arg;

	while (!atomic_load(&knocker->done)) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			/* refused or not, the knock has done its job */
			(void)connect(fd, (const struct sockaddr *)&knocker->address,
				      sizeof(knocker->address));
			close(fd);
		}
		pause_ns(20 * MS);
	}
	return NULL;
}

void front_stop_pool(struct front_pool *pool)
{
	struct knocker knocker;
	pthread_t thread;
	int knocking;

	if (pool->ctx == NULL)
		return;
	memset(&knocker, 0, sizeof(knocker));
	knocker.address = pool->knock;
	knocking = pthread_create(&thread, NULL, knock_until_stopped, &knocker) == 0;
	mg_stop(pool->ctx);
	atomic_store(&knocker.done, 1);
	if (knocking)
		pthread_join(thread, NULL);
	pool->ctx = NULL;
}
