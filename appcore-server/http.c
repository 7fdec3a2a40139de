#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>
#include <jansson.h>

#include "http.h"

int http_send(struct mg_connection *conn, int status, const char *content_type,
	      const char *extra_headers, const char *body, size_t body_len)
{
	const struct mg_request_info *request = mg_get_request_info(conn);
	int head_only = request != NULL && strcmp(request->request_method, "HEAD") == 0;
	char head[1024];
	int head_len;
	char *response;
	size_t total;

	head_len = snprintf(head, sizeof(head),
			    "HTTP/1.1 %d %s\r\n"
			    "Content-Type: %s\r\n"
			    "Content-Length: %zu\r\n"
			    "Cache-Control: no-store\r\n"
			    "%s"
			    "\r\n",
			    status, mg_get_response_code_text(conn, status), content_type, body_len,
			    extra_headers ? extra_headers : "");
	if (head_len < 0 || (size_t)head_len >= sizeof(head))
		return -1;

	total = (size_t)head_len + (head_only ? 0 : body_len);
	response = malloc(total);
	if (response == NULL)
		return -1;
	memcpy(response, head, (size_t)head_len);
	if (!head_only && body_len > 0)
		memcpy(response + head_len, body, body_len);
	mg_write(conn, response, total);
	free(response);
	return status;
}

int http_send_json(struct mg_connection *conn, int status, const char *body, size_t body_len)
{
	return http_send(conn, status, "application/json", NULL, body, body_len);
}

int http_send_error(struct mg_connection *conn, int status, const char *extra_headers,
		    const char *code, const char *message)
{
	json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	int result;

	json_decref(doc);
	if (body == NULL) {
		static const char out_of_memory[] =
			"{\"error\":{\"code\":\"internal_error\",\"message\":\"out of memory\"}}";
		return http_send_json(conn, 500, out_of_memory, sizeof(out_of_memory) - 1);
	}
	result = http_send(conn, status, "application/json", extra_headers, body, strlen(body));
	free(body);
	return result;
}
