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
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

enum unread {
	UNREAD_PARTIAL_HEAD, /* nothing, or a request head still incomplete */
	UNREAD_PARTIAL_BODY, /* a whole head, but fewer body bytes than its Content-Length */
	UNREAD_REQUEST,      /* a whole request: it only waits for a worker */
};

/* The Content-Length in a request head (head_len bytes), -1 without one. A rough reading, for
 * classifying a queued connection only; the request's framing is checked once it is read. */
static long long content_length(const char *head, size_t head_len)
{
	static const char name[] = "\ncontent-length:";
	const size_t name_len = sizeof(name) - 1;

	for (size_t i = 0; i + name_len < head_len; i++) {
		if (strncasecmp(head + i, name, name_len) == 0) {
			long long value = 0;
			size_t k = i + name_len;

			while (k < head_len && (head[k] == ' ' || head[k] == '\t'))
				k++;
			for (; k < head_len && head[k] >= '0' && head[k] <= '9'; k++)
				value = value < 1000000000000LL ? value * 10 + (head[k] - '0') : value;
			return value;
		}
	}
	return -1;
}

/* What the client has sent that nobody has read yet (pending bytes, peeked). A connection a
 * worker took has nothing unread for more than an instant, so this describes queued ones. */
static enum unread classify_unread(int fd, int pending)
{
	char head[16384];
	long n;

	if (pending <= 0)
		return UNREAD_PARTIAL_HEAD;
	n = fd_peek(fd, head, sizeof(head));
	for (long i = 0; i + 1 < n; i++) {
		size_t head_len;
		long long length;

		if (head[i] != '\n')
			continue;
		if (head[i + 1] == '\n')
			head_len = (size_t)i + 2;
		else if (head[i + 1] == '\r' && i + 2 < n && head[i + 2] == '\n')
			head_len = (size_t)i + 3;
		else
			continue;
		length = content_length(head, head_len);
		if (length > 0 && (long long)pending - (long long)head_len < length)
			return UNREAD_PARTIAL_BODY;
		return UNREAD_REQUEST;
	}
	return UNREAD_PARTIAL_HEAD;
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

/* One descriptor: if it is an orphan, count it and cut it if the policy says so. Returns 0
 * when fd is not open. Called with orphans_lock held. */
static int scan_fd(struct front *front, const struct orphan_policy *policy, long long now,
		   struct orphan_counts *counts, int fd)
{
	struct front_orphan *orphan = &front->orphans[fd];
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	uint64_t cookie;
	int pending = 0;
	enum unread unread;
	int pool;
	long long since;

	if (atomic_load(&front->fd_owned[fd]))
		return 1;
	if (fd_getsockname(fd, &local, &len) != 0)
		return errno != EBADF;
	if (local.sin_family != AF_INET ||
	    (pool = pool_of_port(front, ntohs(local.sin_port))) < 0 ||
	    is_listener(front, fd, pool) || (cookie = fd_cookie(fd)) == 0)
		return 1;
	if (orphan->cookie != cookie || orphan->first_seen_ns == 0) {
		orphan->cookie = cookie;
		orphan->first_seen_ns = now;
		orphan->cut_reason = FRONT_CUT_NONE;
	}
	counts->seen[pool]++;
	/* seen by an earlier scan too: not one accepted a moment ago */
	if (orphan->first_seen_ns < now)
		counts->seen_before[pool]++;
	if (orphan->cut_reason != FRONT_CUT_NONE)
		return 1;
	if ((pending = fd_pending(fd)) < 0)
		return 1;
	unread = classify_unread(fd, pending);
	/* a whole request waiting: it waits for a worker, which will read it */
	if (unread == UNREAD_REQUEST) {
		if (orphan->first_seen_ns < now)
			counts->complete[pool]++;
		return 1;
	}
	since = orphan->first_seen_ns;
	if (policy->drain[pool] && since < policy->drain_since_ns)
		since = policy->drain_since_ns;
	{
		enum front_cut reason = FRONT_CUT_NONE;

		/* a body that has not arrived in this time is left to the handler's own
		 * deadline (it starts when the head is read) */
		if (unread == UNREAD_PARTIAL_HEAD &&
		    now - orphan->first_seen_ns > front->pools[pool].header_timeout_ns)
			reason = FRONT_CUT_TIMEOUT;
		else if (policy->shed[pool] && now - orphan->first_seen_ns > policy->shed_ns &&
			 (unread == UNREAD_PARTIAL_HEAD ||
			  (double)pending * 1e9 / (double)(now - orphan->first_seen_ns) <
				  policy->min_rate))
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
	return 1;
}

void front_orphans_scan(struct front *front, const struct orphan_policy *policy, long long now,
			struct orphan_counts *counts)
{
	DIR *open_fds;

	memset(counts, 0, sizeof(*counts));
	pthread_mutex_lock(&front->orphans_lock);
	/* the process's open descriptors; without /proc, every number up to a run of closed ones */
	open_fds = opendir("/proc/self/fd");
	if (open_fds != NULL) {
		struct dirent *entry;

		while ((entry = readdir(open_fds)) != NULL) {
			char *end;
			long fd = strtol(entry->d_name, &end, 10);

			if (entry->d_name[0] < '0' || entry->d_name[0] > '9' || *end != '\0' ||
			    fd == dirfd(open_fds) || fd >= (long)front->fd_owned_size)
				continue;
			scan_fd(front, policy, now, counts, (int)fd);
		}
		closedir(open_fds);
	} else {
		int gap = 0;

		for (size_t fd = 0; fd < front->fd_owned_size && gap < SCAN_GAP; fd++)
			gap = scan_fd(front, policy, now, counts, (int)fd) ? 0 : gap + 1;
	}
	pthread_mutex_unlock(&front->orphans_lock);
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
