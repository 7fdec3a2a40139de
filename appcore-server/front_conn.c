/*
 * The connection registry: one slot per CivetWeb worker, filled from CivetWeb's connection
 * callbacks, so the front knows every open connection's state and socket.
 *
 * CivetWeb 1.15 does not expose a connection's socket, but the front needs it to enforce
 * deadlines and shed connections (shutdown(SHUT_RD) ends the worker's blocking read at once,
 * while writes still work, so the worker can answer 408 and close). The socket is found once
 * per connection, when its first request has been read (CivetWeb reports the peer address
 * only from then on; before, the connection is an orphan, front_orphans.c): it is the
 * descriptor whose peer and local ports are the ones CivetWeb reports (a TCP 4-tuple names one
 * live socket), skipping descriptors other connections own. Slots are released in
 * connection_close, which CivetWeb calls before closing the socket; shutdown is only ever
 * called under front->lock on a slot still in use, so a descriptor is never touched after
 * CivetWeb closed it and the number was reused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "app.h"
#include "front_fd.h"
#include "front_framing.h"
#include "front_internal.h"
#include "routes.h"

/* Consecutive closed descriptors after which the search gives up: descriptors are allocated
 * lowest first, so a run this long is past every open one. */
#define FD_SEARCH_GAP 256

long long front_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static struct front *front_of(const struct mg_connection *conn)
{
	const struct app *app = mg_get_user_data(mg_get_context(conn));

	return app != NULL ? app->front : NULL;
}

struct front_conn *front_conn_of(const struct mg_connection *conn)
{
	return conn != NULL ? mg_get_user_connection_data(conn) : NULL;
}

/* CivetWeb hands its callbacks const connections and request info, but both are its own
 * writable per-worker objects, passed non-const to request handlers. The rescue below runs a
 * request handler from a callback, so it needs them writable. */
static struct mg_connection *writable_connection(const struct mg_connection *conn)
{
	/* NOLINTNEXTLINE(performance-no-int-to-ptr): dropping const on purpose, see above */
	return (struct mg_connection *)(uintptr_t)conn;
}

static struct mg_request_info *writable_info(const struct mg_request_info *info)
{
	/* NOLINTNEXTLINE(performance-no-int-to-ptr): dropping const on purpose, see above */
	return (struct mg_request_info *)(uintptr_t)info;
}

/* 1 when fd is the TCP connection from remote:remote_port to local port local_port. */
static int is_connection(int fd, in_addr_t remote, int remote_port, int local_port)
{
	struct sockaddr_in address;
	socklen_t len = sizeof(address);

	if (fd_getpeername(fd, &address, &len) != 0)
		return -1;
	if (address.sin_family != AF_INET || address.sin_addr.s_addr != remote ||
	    ntohs(address.sin_port) != remote_port)
		return 0;
	len = sizeof(address);
	if (fd_getsockname(fd, &address, &len) != 0 || ntohs(address.sin_port) != local_port)
		return 0;
	return 1;
}

static int find_client_socket(struct front *front, const struct mg_request_info *info)
{
	struct in_addr remote;
	int gap = 0;

	if (inet_pton(AF_INET, info->remote_addr, &remote) != 1)
		return -1;
	for (size_t fd = 0; fd < front->fd_owned_size && gap < FD_SEARCH_GAP; fd++) {
		unsigned char free_fd = 0;
		int found;

		if (atomic_load(&front->fd_owned[fd])) {
			gap = 0;
			continue;
		}
		found = is_connection((int)fd, remote.s_addr, info->remote_port, info->server_port);
		gap = (found < 0 && errno == EBADF) ? gap + 1 : 0;
		if (found == 1 && atomic_compare_exchange_strong(&front->fd_owned[fd], &free_fd, 1))
			return (int)fd;
	}
	return -1;
}

int front_find_listener(int port)
{
	int gap = 0;

	for (int fd = 0; fd < 65536 && gap < FD_SEARCH_GAP; fd++) {
		struct sockaddr_in address;
		socklen_t len = sizeof(address);
		int listening = 0;
		socklen_t option_len = sizeof(listening);

		if (fd_getsockname(fd, &address, &len) != 0) {
			gap = errno == EBADF ? gap + 1 : 0;
			continue;
		}
		gap = 0;
		if (address.sin_family == AF_INET && ntohs(address.sin_port) == port &&
		    fd_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &option_len) == 0 &&
		    listening)
			return fd;
	}
	return -1;
}

/* include/net/tcp_states.h, which no user-space header exports */
#define TCP_STATE_LISTEN 10

int front_listener_backlog(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	/* for a listening socket the kernel reports its accept queue as tcpi_unacked */
	if (fd < 0 || fd_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
	    info.tcpi_state != TCP_STATE_LISTEN)
		return 0;
	return (int)info.tcpi_unacked;
}

long long front_socket_bytes_received(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || fd_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
		return -1;
	return (long long)info.tcpi_bytes_received;
}

long long front_socket_silent_ns(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	if (fd < 0 || fd_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
		return -1;
	return (long long)info.tcpi_last_data_recv * 1000000LL;
}

int front_conn_pending_bytes(const struct front_conn *c)
{
	int pending;

	if (c->fd < 0 || (pending = fd_pending(c->fd)) < 0)
		return 0;
	return pending;
}

static const char *const state_names[] = {
	"free", "headers", "idle", "handling", "body", "cut",
};

void front_count_cut(struct front *front, enum front_cut reason, const char *state,
		     long long age_ns)
{
	static const char *const reasons[FRONT_CUT_COUNT] = {
		"none", "timeout", "shed", "overload", "drain",
	};

	atomic_fetch_add(&front->cuts[reason], 1);
	if (front->cut_series[reason] != NULL)
		appcore_metrics_counter_inc(front->cut_series[reason]);
	if (appcore_log_enabled(front->app->log, APPCORE_LOG_DEBUG)) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("reason", reasons[reason]),
			APPCORE_LOG_STR("state", state),
			APPCORE_LOG_FLOAT("age_ms", (double)age_ns / 1e6),
		};
		appcore_log(front->app->log, APPCORE_LOG_DEBUG, "connection closed by the server",
			    fields, 3);
	}
}

int front_conn_cut(struct front *front, struct front_conn *c, int expected, enum front_cut reason)
{
	long long since = atomic_load(&c->since_ns);

	if (c->fd < 0)
		return 0;
	atomic_store(&c->cut_reason, (int)reason);
	if (!atomic_compare_exchange_strong(&c->state, &expected, CONN_CUT)) {
		atomic_store(&c->cut_reason, FRONT_CUT_NONE);
		return 0;
	}
	fd_shutdown(c->fd, SHUT_RD);
	front_count_cut(front, reason, state_names[expected], front_now_ns() - since);
	return 1;
}

static void set_open_gauge(struct front_pool *pool, int delta)
{
	int busy = atomic_fetch_add(&pool->busy, delta) + delta;

	if (pool->open_series != NULL)
		appcore_metrics_gauge_set(pool->open_series, busy);
}

static int init_connection(const struct mg_connection *conn, void **conn_data,
			   enum front_pool_id id)
{
	struct front *front = front_of(conn);
	struct front_pool *pool;
	struct front_conn *c = NULL;

	if (front == NULL)
		return 0;
	pool = &front->pools[id];
	pthread_mutex_lock(&front->lock);
	for (size_t i = 0; i < front->num_conns; i++) {
		if (!front->conns[i].in_use) {
			c = &front->conns[i];
			c->in_use = 1;
			c->pool = pool;
			c->fd = -1;
			break;
		}
	}
	pthread_mutex_unlock(&front->lock);
	if (c == NULL)
		return 0; /* cannot happen: a slot per worker */

	c->first_request = 1;
	c->taken_ns = front_now_ns();
	c->error_answered = 0;
	c->in_rescue = 0;
	atomic_store(&c->cut_reason, FRONT_CUT_NONE);
	atomic_store(&c->close_after, 0);
	atomic_store(&c->since_ns, front_now_ns());
	atomic_store(&c->state, CONN_HEADERS);
	set_open_gauge(pool, 1);
	*conn_data = c;
	return 0;
}

void front_conn_attach(struct front_conn *c, const struct mg_connection *conn)
{
	struct front *front = front_of(conn);
	const struct mg_request_info *info = mg_get_request_info(conn);
	enum front_cut reason;
	int fd;

	/* c->fd changes only on this connection's worker, so reading it here needs no lock */
	if (c == NULL || front == NULL || info == NULL || c->fd >= 0)
		return;
	fd = find_client_socket(front, info);
	if (fd < 0)
		return;
	pthread_mutex_lock(&front->lock);
	c->fd = fd;
	reason = front_orphan_take(front, fd);
	if (reason != FRONT_CUT_NONE) {
		atomic_store(&c->cut_reason, (int)reason);
		atomic_store(&c->state, CONN_CUT);
	}
	pthread_mutex_unlock(&front->lock);
}

static int init_main_connection(const struct mg_connection *conn, void **conn_data)
{
	return init_connection(conn, conn_data, POOL_MAIN);
}

static int init_ops_connection(const struct mg_connection *conn, void **conn_data)
{
	return init_connection(conn, conn_data, POOL_OPS);
}

/*
 * CivetWeb 1.15 treats a request whose target is "*" or an absolute URI for another port or
 * host than its authentication_domain as a request for some other server (a proxy request):
 * it calls no handler, sends nothing and closes the connection. RFC 9112 requires a server to
 * accept absolute-form targets, and "OPTIONS *" deserves an answer. The request is parsed and
 * the socket still open when connection_close runs, so it is answered here, through the same
 * dispatch as every other request, and the connection then closes as CivetWeb intended.
 */
static int is_unserved_request(const struct mg_request_info *info)
{
	return info->request_method != NULL && info->request_uri != NULL &&
	       info->local_uri == NULL && info->http_version != NULL &&
	       (strcmp(info->http_version, "1.1") == 0 || strcmp(info->http_version, "1.0") == 0);
}

static void rescue(const struct mg_connection *conn, struct front_conn *c)
{
	struct mg_request_info *info = writable_info(mg_get_request_info(conn));
	struct app *app = mg_get_user_data(mg_get_context(conn));
	struct framing_target target;

	framing_parse_target(&target, info->request_uri);
	info->query_string = NULL;
	if (target.form == TARGET_ABSOLUTE) {
		/* the part after the authority is written in place, as CivetWeb does for its own
		 * targets: query split off, path URL-decoded */
		/* NOLINTNEXTLINE(performance-no-int-to-ptr): the target points into the request */
		char *path = (char *)(uintptr_t)target.path;
		char *query = strchr(path, '?');
		if (query != NULL) {
			*query = '\0';
			info->query_string = query + 1;
		}
		if (*path == '\0') {
			info->local_uri_raw = info->local_uri = "/";
		} else {
			int len = (int)strlen(path);
			mg_url_decode(path, len, path, len + 1, 0);
			info->local_uri_raw = info->local_uri = path;
		}
	} else {
		/* "*" and targets framing_check refuses: the dispatch answers them */
		info->local_uri_raw = info->local_uri = info->request_uri;
	}
	c->in_rescue = 1;
	atomic_store(&c->close_after, 1);
	routes_dispatch(writable_connection(conn), app);
}

static void connection_close(const struct mg_connection *conn)
{
	struct front_conn *c = front_conn_of(conn);
	struct front *front;
	struct front_pool *pool;
	int state;

	if (c == NULL)
		return;
	front = front_of(conn);
	state = atomic_load(&c->state);
	if (!c->error_answered && !c->in_rescue && (state == CONN_HEADERS || state == CONN_IDLE) &&
	    is_unserved_request(mg_get_request_info(conn)))
		rescue(conn, c);
	pthread_mutex_lock(&front->lock);
	pool = c->pool;
	if (c->fd >= 0) {
		front_orphan_take(front, c->fd);
		atomic_store(&front->fd_owned[c->fd], 0);
	}
	c->fd = -1;
	c->in_use = 0;
	atomic_store(&c->state, CONN_FREE);
	pthread_mutex_unlock(&front->lock);
	set_open_gauge(pool, -1);
}

static void end_request(const struct mg_connection *conn, int status)
{
	struct front_conn *c = front_conn_of(conn);
	int expected = CONN_HANDLING;

	(void)status;
	if (c == NULL)
		return;
	/* since first: the monitor reads the state, then since */
	atomic_store(&c->since_ns, front_now_ns());
	atomic_compare_exchange_strong(&c->state, &expected, CONN_IDLE);
}

/* CivetWeb's own header timeout ends the read as a malformed message too: it was a timeout when
 * the headers had their whole time (CivetWeb counts from a little later than the front). */
static int timed_out(const struct front_conn *c, int state)
{
	long long limit = state == CONN_HEADERS ? c->pool->header_timeout_ns : c->pool->idle_timeout_ns;

	return front_now_ns() - atomic_load(&c->since_ns) >= limit - limit / 10;
}

/* Errors CivetWeb finds before a handler runs. After the front cut a connection, CivetWeb sees
 * the end of the stream in the middle of the headers and reports a malformed message: answer
 * what really happened instead. */
static int http_error(struct mg_connection *conn, int status, const char *message)
{
	struct front_conn *c = front_conn_of(conn);

	if (c != NULL) {
		int state;

		c->error_answered = 1;
		front_conn_attach(c, conn);
		state = atomic_load(&c->state);
		if (status == 400 && (state == CONN_HEADERS || state == CONN_IDLE) &&
		    timed_out(c, state)) {
			status = 408;
			message = "request headers not received in time";
		}
		if (state == CONN_CUT) {
			switch ((enum front_cut)atomic_load(&c->cut_reason)) {
			case FRONT_CUT_TIMEOUT:
			case FRONT_CUT_SHED:
				status = 408;
				message = "request headers not received in time";
				break;
			case FRONT_CUT_DRAIN:
				status = 503;
				message = "shutting down";
				break;
			case FRONT_CUT_OVERLOAD:
			case FRONT_CUT_NONE:
			case FRONT_CUT_COUNT:
			default:
				break;
			}
		}
	}
	return routes_framework_error(conn, status, message);
}

void front_conn_install(struct mg_callbacks *callbacks, enum front_pool_id pool)
{
	callbacks->init_connection = pool == POOL_OPS ? init_ops_connection : init_main_connection;
	callbacks->connection_close = connection_close;
	callbacks->end_request = end_request;
	callbacks->http_error = http_error;
}
