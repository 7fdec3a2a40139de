/*
 * Orphans: connections the front cannot tie to a worker's slot yet (front_internal.h).
 *
 * They matter in three cases: a slowloris client holds a worker while sending its first
 * request's headers a byte at a time; while workers are short, connections that have not sent
 * a request should make room; and at shutdown, a connection that never sends anything must not
 * hold the drain open. So the front scans its descriptors for sockets on a listener's port
 * that no slot owns, remembers when it first saw each one, and shuts the reading side of those
 * that have not sent a complete request head for too long (peeking at what waits unread tells
 * a request queued for a worker from a slow one). The worker then sees the end of the stream
 * at once, even if it takes the connection from the queue later: a connection without data is
 * closed silently, one with partial headers is answered 408.
 *
 * A descriptor number can be closed by CivetWeb and reused for a new connection at any moment,
 * so a socket is only ever cut through a dup() of the descriptor whose cookie (the kernel's
 * unique socket id) was checked: the dup holds on to that very socket.
 */
#include <errno.h>
#include <netinet/in.h>

#include "front_fd.h"
#include "front_internal.h"

/* Consecutive closed descriptors after which a scan stops: descriptors are allocated lowest
 * first, so a run this long is past every open one. */
#define SCAN_GAP 64

static int pool_of_port(const struct front *front, int port)
{
	for (int p = 0; p < front->num_pools; p++)
		if (front->pools[p].port == port)
			return p;
	return -1;
}

/* The listening socket itself (a pool whose listener was not found: ask the kernel). */
static int is_listener(const struct front *front, int fd, int pool)
{
	int listening = 0;
	socklen_t len = sizeof(listening);

	if (front->pools[pool].listener_fd >= 0)
		return fd == front->pools[pool].listener_fd;
	return fd_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening;
}

/* Whether the bytes the client has sent and nobody has read yet hold a complete request head:
 * such a connection is only waiting for a worker, not slow. */
static int complete_head_pending(int fd, int pending)
{
	char head[16384];
	ssize_t n;

	if (pending <= 0)
		return 0;
	n = fd_peek(fd, head, sizeof(head));
	for (ssize_t i = 0; i + 1 < n; i++) {
		if (head[i] == '\n' && (head[i + 1] == '\n' ||
					(head[i + 1] == '\r' && i + 2 < n && head[i + 2] == '\n')))
			return 1;
	}
	return 0;
}

/* Shut the reading side of the socket on fd if it is still the one with this cookie. */
static int cut_socket(int fd, uint64_t cookie)
{
	int held = fd_dup(fd);
	int cut = 0;

	if (held < 0)
		return 0;
	if (fd_cookie(held) == cookie)
		cut = fd_shutdown(held, SHUT_RD) == 0;
	fd_close(held);
	return cut;
}

void front_orphans_scan(struct front *front, const struct orphan_policy *policy, long long now,
			int seen[POOL_COUNT], int seen_before[POOL_COUNT])
{
	int counts[POOL_COUNT] = { 0 };
	int old[POOL_COUNT] = { 0 };
	int gap = 0;

	pthread_mutex_lock(&front->orphans_lock);
	for (size_t i = 0; i < front->fd_owned_size && gap < SCAN_GAP; i++) {
		int fd = (int)i;
		struct front_orphan *orphan = &front->orphans[i];
		struct sockaddr_in local;
		socklen_t len = sizeof(local);
		uint64_t cookie;
		int pending = 0;
		int pool;
		long long since;

		if (atomic_load(&front->fd_owned[i])) {
			gap = 0;
			continue;
		}
		if (fd_getsockname(fd, &local, &len) != 0) {
			gap = errno == EBADF ? gap + 1 : 0;
			continue;
		}
		gap = 0;
		if (local.sin_family != AF_INET ||
		    (pool = pool_of_port(front, ntohs(local.sin_port))) < 0 ||
		    is_listener(front, fd, pool) || (cookie = fd_cookie(fd)) == 0)
			continue;
		if (orphan->cookie != cookie || orphan->first_seen_ns == 0) {
			orphan->cookie = cookie;
			orphan->first_seen_ns = now;
			orphan->cut_reason = FRONT_CUT_NONE;
		}
		counts[pool]++;
		/* seen by an earlier scan too: not one accepted a moment ago */
		if (orphan->first_seen_ns < now)
			old[pool]++;
		if (orphan->cut_reason != FRONT_CUT_NONE)
			continue;
		if ((pending = fd_pending(fd)) < 0)
			continue;
		/* a whole request head waiting: it waits for a worker, which will read it */
		if (complete_head_pending(fd, pending))
			continue;
		since = orphan->first_seen_ns;
		if (policy->drain[pool] && since < policy->drain_since_ns)
			since = policy->drain_since_ns;
		{
			enum front_cut reason = FRONT_CUT_NONE;

			if (now - orphan->first_seen_ns > front->pools[pool].header_timeout_ns)
				reason = FRONT_CUT_TIMEOUT;
			else if (policy->shed[pool] && now - orphan->first_seen_ns > policy->shed_ns)
				reason = FRONT_CUT_SHED;
			else if (policy->drain[pool] && now - since >= policy->drain_linger_ns &&
				 pending == 0)
				reason = FRONT_CUT_DRAIN;
			if (reason != FRONT_CUT_NONE && cut_socket(fd, orphan->cookie)) {
				orphan->cut_reason = (int)reason;
				front_count_cut(front, reason, "before first request",
						now - orphan->first_seen_ns);
			}
		}
	}
	pthread_mutex_unlock(&front->orphans_lock);
	for (int p = 0; p < POOL_COUNT; p++) {
		if (seen != NULL)
			seen[p] = counts[p];
		if (seen_before != NULL)
			seen_before[p] = old[p];
	}
}

enum front_cut front_orphan_take(struct front *front, int fd)
{
	struct front_orphan *orphan;
	enum front_cut reason = FRONT_CUT_NONE;

	if (fd < 0 || (size_t)fd >= front->fd_owned_size)
		return FRONT_CUT_NONE;
	pthread_mutex_lock(&front->orphans_lock);
	orphan = &front->orphans[fd];
	if (orphan->cut_reason != FRONT_CUT_NONE && fd_cookie(fd) == orphan->cookie)
		reason = (enum front_cut)orphan->cut_reason;
	orphan->cookie = 0;
	orphan->first_seen_ns = 0;
	orphan->cut_reason = FRONT_CUT_NONE;
	pthread_mutex_unlock(&front->orphans_lock);
	return reason;
}
