/* One HTTP exchange: reading the request body within limits and writing the
 * response. Each answer is formatted into one buffer and sent with a single
 * mg_write, because mg_write is unbuffered (one send per call). */
#ifndef APPCORE_SERVER_HTTP_H
#define APPCORE_SERVER_HTTP_H

#include <stddef.h>

#include <appcore.h>

#include "route_ids.h"
#include "route_match.h"

struct mg_connection;
struct mg_request_info;
struct app;

/* X-Request-ID values longer than this, or with other characters than
 * [A-Za-z0-9._-], are replaced by a generated id. */
#define REQUEST_ID_MAX 128

struct request {
	struct mg_connection *conn;
	const struct mg_request_info *info;
	struct app *app;
	int route;          /* row of the route table, or ROUTE_UNMATCHED */
	char id[REQUEST_ID_MAX + 1];
	int head_only;      /* HEAD: headers as for GET, no body */
	int must_close;     /* the connection cannot be reused after this answer */
	int status;         /* the status sent, 0 before */
	size_t bytes_in;    /* request body bytes read */
	size_t bytes_out;   /* response bytes written */
	struct route_params params; /* path parameters ({name}, {version}) of the route */
	long long received_unix_us; /* CLOCK_REALTIME at arrival, for the prediction log */
	long long started_ns;       /* CLOCK_MONOTONIC at arrival */
};

void request_init(struct request *req, struct mg_connection *conn, struct app *app);

/* Send status line, headers (Content-Type unless content_type is NULL,
 * Content-Length, Cache-Control, X-Request-ID, Connection, then extra_headers:
 * "\r\n"-terminated lines or NULL) and body. Returns status, the value a
 * CivetWeb handler returns. */
int http_send(struct request *req, int status, const char *content_type,
	      const char *extra_headers, const char *body, size_t body_len);
int http_send_json(struct request *req, int status, const char *body, size_t body_len);
/* The JSON error body of err (appcore_error_json) with the status the library assigns to its
 * code (appcore_error_http_status), or with `status` when it is not 0. */
int http_send_appcore_error(struct request *req, int status, const char *extra_headers,
			    const appcore_error *err);
/* The same for an error the server describes itself. */
int http_send_error(struct request *req, const char *extra_headers, int code, const char *format,
		    ...) __attribute__((format(printf, 4, 5)));

/* An answer whose body is streamed: the status line and headers announcing content_length
 * bytes, then the body in pieces with http_write_body (nothing for HEAD). Both return 0, or
 * -1 when the client is gone (the connection is then closed). */
int http_send_head(struct request *req, int status, const char *content_type,
		   const char *extra_headers, unsigned long long content_length);
int http_write_body(struct request *req, const char *data, size_t len);

/* Answer "Expect: 100-continue", for a handler that reads the body itself (mg_read). */
void http_answer_expect_continue(struct request *req);

enum body_result {
	BODY_OK,
	BODY_TOO_LARGE,  /* declared or actual size over the limit */
	BODY_INCOMPLETE, /* fewer bytes than Content-Length before EOF/timeout, or a chunked
			  * body CivetWeb could not decode */
	BODY_NO_MEMORY,
	BODY_TIMEOUT,    /* not received within server.request_timeout_ms, or too slowly while
			  * the server was short of workers (408) */
};

/* Read the whole request body (Content-Length or chunked) into a malloc'd,
 * NUL-terminated buffer, answering "Expect: 100-continue" first. A declared
 * length over max_bytes is refused before reading anything. On any result but
 * BODY_OK the connection is marked must_close and *body is NULL. */
enum body_result http_read_body(struct request *req, size_t max_bytes, char **body, size_t *len);

/* Answer a body_result other than BODY_OK: 413, 400 (incomplete or malformed chunked), 500,
 * 408. Returns the status sent. */
int http_send_body_error(struct request *req, enum body_result result);

/* Before answering without reading the body: read and discard a small
 * declared body so the connection can stay open, else mark must_close. */
void http_skip_body(struct request *req, size_t max_bytes);

/* True when a comma-separated header value (Connection, Transfer-Encoding) lists token,
 * compared case-insensitively. */
int http_header_has_token(const char *value, const char *token);

/* The value of a request header, or NULL. */
const char *http_header(const struct request *req, const char *name);

#endif
