#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <civetweb.h>

#include "app.h"
#include "front.h"
#include "http.h"
#include "request_id.h"

void request_init(struct request *req, struct mg_connection *conn, struct app *app)
{
	const char *client_id;

	memset(req, 0, sizeof(*req));
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		req->received_unix_us = (long long)now.tv_sec * 1000000LL + now.tv_nsec / 1000;
		clock_gettime(CLOCK_MONOTONIC, &now);
		req->started_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	}
	req->conn = conn;
	req->info = mg_get_request_info(conn);
	req->app = app;
	req->route = ROUTE_UNMATCHED;
	/* a request CivetWeb could not parse (framework errors) has no method */
	req->head_only = req->info->request_method != NULL &&
			 strcmp(req->info->request_method, "HEAD") == 0;
	client_id = mg_get_header(conn, "X-Request-ID");
	if (request_id_is_sane(client_id))
		snprintf(req->id, sizeof(req->id), "%s", client_id);
	else
		request_id_generate(req->id, sizeof(req->id));
}

const char *http_header(const struct request *req, const char *name)
{
	return mg_get_header(req->conn, name);
}

/* True when the comma-separated header value lists token (case-insensitive). */
int http_header_has_token(const char *value, const char *token)
{
	size_t token_len = strlen(token);

	while (value != NULL && *value != '\0') {
		size_t len;

		while (*value == ' ' || *value == '\t' || *value == ',')
			value++;
		len = strcspn(value, ",");
		while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
			len--;
		if (len == token_len && strncasecmp(value, token, len) == 0)
			return 1;
		value += strcspn(value, ",");
	}
	return 0;
}

/* Mirror CivetWeb's own keep-alive rule (should_keep_alive) so the Connection
 * header we write matches what the server then does with the socket. */
static int client_keeps_alive(const struct request *req)
{
	const char *connection = http_header(req, "Connection");

	if (connection != NULL)
		return http_header_has_token(connection, "keep-alive");
	return req->info->http_version != NULL && strcmp(req->info->http_version, "1.1") == 0;
}

/* Format the status line and headers into head; returns the length, or -1 if they do not
 * fit. Decides keep-alive, so it is called once per answer. */
static int format_head(struct request *req, char *head, size_t size, int status,
		       const char *content_type, const char *extra_headers,
		       unsigned long long content_length)
{
	int keep_alive, head_len;

	keep_alive = !req->must_close && !atomic_load(&req->app->draining) &&
		     front_keep_alive(req) && client_keeps_alive(req);
	if (!keep_alive)
		mg_disable_connection_keep_alive(req->conn);

	head_len = snprintf(head, size,
			    "HTTP/1.1 %d %s\r\n"
			    "%s%s%s"
			    "Content-Length: %llu\r\n"
			    "Cache-Control: no-store\r\n"
			    "X-Request-ID: %s\r\n"
			    "Connection: %s\r\n"
			    "%s"
			    "\r\n",
			    status, mg_get_response_code_text(req->conn, status),
			    content_type != NULL ? "Content-Type: " : "",
			    content_type != NULL ? content_type : "", content_type != NULL ? "\r\n" : "",
			    content_length,
			    req->id, keep_alive ? "keep-alive" : "close",
			    extra_headers ? extra_headers : "");
	req->status = status;
	return head_len < 0 || (size_t)head_len >= size ? -1 : head_len;
}

int http_send(struct request *req, int status, const char *content_type,
	      const char *extra_headers, const char *body, size_t body_len)
{
	char head[2048];
	int head_len;
	char *response;
	size_t total;

	head_len = format_head(req, head, sizeof(head), status, content_type, extra_headers,
			       body_len);
	if (head_len < 0)
		return status;

	total = (size_t)head_len + (req->head_only ? 0 : body_len);
	response = malloc(total);
	if (response == NULL) {
		mg_disable_connection_keep_alive(req->conn);
		return status;
	}
	memcpy(response, head, (size_t)head_len);
	if (!req->head_only && body_len > 0)
		memcpy(response + head_len, body, body_len);
	if (mg_write(req->conn, response, total) > 0)
		req->bytes_out = total;
	free(response);
	return status;
}

int http_send_head(struct request *req, int status, const char *content_type,
		   const char *extra_headers, unsigned long long content_length)
{
	char head[2048];
	int head_len = format_head(req, head, sizeof(head), status, content_type, extra_headers,
				   content_length);

	if (head_len < 0 || mg_write(req->conn, head, (size_t)head_len) <= 0) {
		req->must_close = 1;
		mg_disable_connection_keep_alive(req->conn);
		return -1;
	}
	req->bytes_out += (size_t)head_len;
	return 0;
}

int http_write_body(struct request *req, const char *data, size_t len)
{
	if (req->head_only || len == 0)
		return 0;
	if (mg_write(req->conn, data, len) <= 0) {
		req->must_close = 1;
		return -1;
	}
	req->bytes_out += len;
	return 0;
}

int http_send_json(struct request *req, int status, const char *body, size_t body_len)
{
	return http_send(req, status, "application/json", NULL, body, body_len);
}

int http_send_appcore_error(struct request *req, int status, const char *extra_headers,
			    const appcore_error *err)
{
	static const char out_of_memory[] =
	    "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"out of memory\"}}";
	char *body = NULL;
	size_t len = 0;
	int result;

	if (status == 0)
		status = appcore_error_http_status(err->code);
	if (appcore_error_json(&body, &len, err) != APPCORE_OK) {
		req->must_close = 1;
		return http_send(req, 500, "application/json", NULL, out_of_memory,
				 sizeof(out_of_memory) - 1);
	}
	result = http_send(req, status, "application/json", extra_headers, body, len);
	appcore_free(body);
	return result;
}

int http_send_error(struct request *req, const char *extra_headers, int code, const char *format,
		    ...)
{
	appcore_error err;
	char message[APPCORE_ERROR_MESSAGE_SIZE];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	appcore_error_set(&err, code, "%s", message);
	return http_send_appcore_error(req, 0, extra_headers, &err);
}

void http_answer_expect_continue(struct request *req)
{
	static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
	const char *expect = http_header(req, "Expect");

	if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
		mg_write(req->conn, continue_line, sizeof(continue_line) - 1);
}

static int is_chunked(const struct request *req)
{
	const char *encoding = http_header(req, "Transfer-Encoding");
	return http_header_has_token(encoding, "chunked");
}

/* The result of a read that ended early: the front's cut (a deadline or shedding) explains it. */
static enum body_result cut_or(struct request *req, enum body_result otherwise)
{
	return front_body_end(req) != FRONT_CUT_NONE ? BODY_TIMEOUT : otherwise;
}

enum body_result http_read_body(struct request *req, size_t max_bytes, char **body, size_t *len)
{
	long long declared = req->info->content_length;
	size_t capacity;
	size_t used = 0;
	char *buffer;

	*body = NULL;
	*len = 0;
	if (declared > (long long)max_bytes) {
		req->must_close = 1;
		return BODY_TOO_LARGE;
	}
	if (declared < 0 && !is_chunked(req)) {
		/* no body at all */
		buffer = malloc(1);
		if (buffer == NULL)
			return BODY_NO_MEMORY;
		buffer[0] = '\0';
		*body = buffer;
		return BODY_OK;
	}

	http_answer_expect_continue(req);
	capacity = declared >= 0 ? (size_t)declared + 1 : 16384;
	buffer = malloc(capacity);
	if (buffer == NULL) {
		req->must_close = 1;
		return BODY_NO_MEMORY;
	}
	front_body_begin(req);
	for (;;) {
		/* never ask for more than one byte over the limit: for chunked
		 * bodies mg_read blocks until it has all it was asked for */
		size_t want = max_bytes + 1 - used;
		int n;

		if (used + 1 >= capacity) {
			/* only chunked bodies grow */
			size_t grown = capacity * 2 > max_bytes + 2 ? max_bytes + 2 : capacity * 2;
			char *bigger;

			if (declared >= 0 || grown <= capacity)
				break;
			bigger = realloc(buffer, grown);
			if (bigger == NULL) {
				free(buffer);
				req->must_close = 1;
				return cut_or(req, BODY_NO_MEMORY);
			}
			buffer = bigger;
			capacity = grown;
		}
		if (want > capacity - 1 - used)
			want = capacity - 1 - used;
		n = mg_read(req->conn, buffer + used, want);
		if (n < 0) {
			/* a broken chunk encoding, a read error, or the front's cut */
			free(buffer);
			req->must_close = 1;
			return cut_or(req, BODY_INCOMPLETE);
		}
		if (n == 0)
			break;
		used += (size_t)n;
		req->bytes_in = used;
		if (used > max_bytes) {
			free(buffer);
			req->must_close = 1;
			return cut_or(req, BODY_TOO_LARGE);
		}
	}
	/* mg_read returns 0 both at the end and on timeout: compare with the
	 * declared length to tell a short body from a complete one */
	if (declared >= 0 && used != (size_t)declared) {
		free(buffer);
		req->must_close = 1;
		return cut_or(req, BODY_INCOMPLETE);
	}
	if (front_body_end(req) != FRONT_CUT_NONE) {
		/* complete, but the connection is cut: answer, then close */
		req->must_close = 1;
	}
	buffer[used] = '\0';
	*body = buffer;
	*len = used;
	return BODY_OK;
}

int http_send_body_error(struct request *req, enum body_result result)
{
	switch (result) {
	case BODY_TOO_LARGE:
		return http_send_error(req, NULL, APPCORE_ETOOLARGE,
				       "request body exceeds %zu bytes (server.max_body_bytes)",
				       req->app->max_body_bytes);
	case BODY_INCOMPLETE:
		if (is_chunked(req))
			/* CivetWeb 1.15 refuses chunk extensions (";name=value") and trailers
			 * (docs/http-front.md) */
			return http_send_error(req, NULL, APPCORE_EINCOMPLETE,
					       "chunked request body ended early or could not be "
					       "decoded (chunk extensions and trailers are not "
					       "supported)");
		return http_send_error(req, NULL, APPCORE_EINCOMPLETE,
				       "request body is shorter than its Content-Length");
	case BODY_NO_MEMORY:
		return http_send_error(req, NULL, APPCORE_ENOMEM, "out of memory");
	case BODY_TIMEOUT:
		return http_send_error(req, NULL, APPCORE_ETIMEOUT,
				       "request body not received in time (server.request_timeout_ms, "
				       "or too slowly while the server was busy)");
	case BODY_OK:
	default:
		return http_send_error(req, NULL, APPCORE_EINTERNAL, "no body error to report");
	}
}

void http_skip_body(struct request *req, size_t max_bytes)
{
	const char *expect = http_header(req, "Expect");
	char *body;
	size_t len;

	/* a client waiting for 100 Continue has not sent the body: answering
	 * now and closing is cheaper than inviting a body we will not use */
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0) {
		req->must_close = 1;
		return;
	}
	if (http_read_body(req, max_bytes, &body, &len) == BODY_OK)
		free(body);
}
