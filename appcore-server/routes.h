/* The route table and the single CivetWeb entry point that wraps every
 * request in the observability middleware (timing, metrics, access log). */
#ifndef APPCORE_SERVER_ROUTES_H
#define APPCORE_SERVER_ROUTES_H

struct mg_connection;

/* CivetWeb request handler registered for every URI ("**"); cbdata is the
 * struct app. Answers 404/405 itself so every error is JSON. */
int routes_dispatch(struct mg_connection *conn, void *cbdata);

/* CivetWeb http_error callback: errors CivetWeb detects before a handler
 * runs (malformed request line, oversized headers) answered as JSON. */
int routes_framework_error(struct mg_connection *conn, int status, const char *message);

/* Copy text into out replacing bytes outside printable ASCII with '?', for
 * quoting client-supplied text (paths, methods) in messages and logs. */
void printable_copy(char *out, unsigned long out_size, const char *text);

#endif
