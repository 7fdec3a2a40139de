/* The front's part of each request: framing checks before routing, the keep-alive decision
 * for the answer, and the body deadline's bookkeeping. */
#include <string.h>

#include <civetweb.h>

#include "app.h"
#include "front_framing.h"
#include "front_internal.h"
#include "http.h"

/* The operations listener serves only what probes and scrapers ask for. */
static int is_ops_path(const char *path)
{
	static const char *const paths[] = { "/health", "/ready", "/metrics", "/version" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (path != NULL && strcmp(path, paths[i]) == 0)
			return 1;
	return 0;
}

static int has_body(const struct request *req)
{
	return req->info->content_length > 0 ||
	       http_header_has_token(http_header(req, "Transfer-Encoding"), "chunked");
}

/* The request's headers arrived on a connection the front has just cut (the request raced
 * the cut). A request without a body can still be answered; one with a body cannot be read. */
static int answer_on_cut_connection(struct request *req, enum front_cut reason)
{
	req->must_close = 1;
	switch (reason) {
	case FRONT_CUT_OVERLOAD:
	case FRONT_CUT_TIMEOUT:
	case FRONT_CUT_SHED:
	case FRONT_CUT_DRAIN:
	case FRONT_CUT_NONE:
	case FRONT_CUT_COUNT:
	default:
		if (!has_body(req))
			return 0;
		return http_send_error(req, "Retry-After: 1\r\n", APPCORE_EUNAVAILABLE,
				       "the server closed this connection while the request "
				       "arrived; retry");
	}
}

/* The first request on a connection waited for a worker longer than server.queue_timeout_ms:
 * refuse it at once, so the queue behind it moves and its client can retry elsewhere, rather
 * than serve it late. The wait runs from the client's last bytes (the kernel's count) to the
 * moment a worker took the connection; a worker that only got the CPU late does not count. */
static int refuse_if_waited_too_long(struct request *req, struct front_conn *c)
{
	struct front *front = c->pool->front;
	long long silent_ns, waited_ns;

	if (c->pool->queue_timeout_ns <= 0 || c->fd < 0 ||
	    (silent_ns = front_socket_silent_ns(c->fd)) < 0)
		return 0;
	waited_ns = c->taken_ns - (front_now_ns() - silent_ns);
	if (waited_ns < c->pool->queue_timeout_ns)
		return 0;
	front_count_cut(front, FRONT_CUT_OVERLOAD, "queued", waited_ns);
	req->must_close = 1; /* the body is left unread */
	return http_send_error(req, "Retry-After: 1\r\n", APPCORE_EUNAVAILABLE,
			       "server overloaded: the request waited %lld ms for a worker "
			       "(server.queue_timeout_ms is %lld); retry later",
			       waited_ns / 1000000LL, c->pool->queue_timeout_ns / 1000000LL);
}

int front_request_begin(struct request *req)
{
	struct front_conn *c = front_conn_of(req->conn);
	char message[APPCORE_ERROR_MESSAGE_SIZE];

	if (c != NULL) {
		int state;

		front_conn_attach(c, req->conn);
		state = atomic_load(&c->state);
		atomic_store(&c->since_ns, front_now_ns());
		while ((state == CONN_HEADERS || state == CONN_IDLE) &&
		       !atomic_compare_exchange_weak(&c->state, &state, CONN_HANDLING))
			;
		if (state == CONN_CUT) {
			int status = answer_on_cut_connection(
			    req, (enum front_cut)atomic_load(&c->cut_reason));
			if (status != 0)
				return status;
		}
		if (c->first_request) {
			int status;

			c->first_request = 0;
			if ((status = refuse_if_waited_too_long(req, c)) != 0)
				return status;
		}
	}
	switch (framing_check(req->info, message, sizeof(message))) {
	case FRAMING_REJECT:
		/* the body is left unread: the connection closes after the answer */
		req->must_close = 1;
		return http_send_error(req, NULL, APPCORE_EBADREQUEST, "%s", message);
	case FRAMING_OPTIONS_STAR:
		return http_send(req, 200, NULL, "Allow: GET, HEAD, POST, OPTIONS\r\n", "", 0);
	case FRAMING_OK:
	default:
		break;
	}
	if (c != NULL && c->pool->id == POOL_OPS && !is_ops_path(req->info->local_uri)) {
		char quoted[128];
		size_t i = 0;

		for (; req->info->local_uri[i] != '\0' && i + 1 < sizeof(quoted); i++) {
			unsigned char ch = (unsigned char)req->info->local_uri[i];
			quoted[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
		}
		quoted[i] = '\0';
		req->must_close = 1;
		return http_send_error(req, NULL, APPCORE_ENOTFOUND,
				       "no such endpoint on the operations port: %s (it serves "
				       "/health, /ready, /metrics and /version)",
				       quoted);
	}
	return 0;
}

int front_keep_alive(const struct request *req)
{
	const struct front_conn *c = front_conn_of(req->conn);

	if (c == NULL)
		return 1;
	/* no worker free: whoever connects next waits until a connection closes */
	if (atomic_load(&c->pool->busy) >= c->pool->threads && atomic_load(&c->pool->rotate))
		return 0;
	return !atomic_load(&c->close_after) && atomic_load(&c->state) != CONN_CUT;
}

void front_body_begin(struct request *req)
{
	struct front_conn *c = front_conn_of(req->conn);
	int expected = CONN_HANDLING;

	if (c == NULL)
		return;
	atomic_store(&c->since_ns, front_now_ns());
	atomic_compare_exchange_strong(&c->state, &expected, CONN_BODY);
}

enum front_cut front_body_end(struct request *req)
{
	struct front_conn *c = front_conn_of(req->conn);
	int expected = CONN_BODY;

	if (c == NULL || atomic_compare_exchange_strong(&c->state, &expected, CONN_HANDLING))
		return FRONT_CUT_NONE;
	if (expected == CONN_CUT)
		return (enum front_cut)atomic_load(&c->cut_reason);
	return FRONT_CUT_NONE;
}
