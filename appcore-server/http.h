/* Writing HTTP responses: each answer is formatted into one buffer and sent
 * with a single mg_write, because mg_write is unbuffered (one send per call). */
#ifndef APPCORE_SERVER_HTTP_H
#define APPCORE_SERVER_HTTP_H

#include <stddef.h>

struct mg_connection;

/* Send status line, standard headers, extra_headers (already "\r\n"-terminated
 * lines, may be NULL) and body. Returns status, the value a CivetWeb handler
 * returns. */
int http_send(struct mg_connection *conn, int status, const char *content_type,
	      const char *extra_headers, const char *body, size_t body_len);

/* Send a JSON body. */
int http_send_json(struct mg_connection *conn, int status, const char *body, size_t body_len);

/* Send {"error":{"code":code,"message":message}} with the given status and
 * optional extra header lines (e.g. "Allow: GET\r\n"). */
int http_send_error(struct mg_connection *conn, int status, const char *extra_headers,
		    const char *code, const char *message);

#endif
