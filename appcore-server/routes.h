/* The route table and its single CivetWeb entry point. */
#ifndef APPCORE_SERVER_ROUTES_H
#define APPCORE_SERVER_ROUTES_H

struct mg_connection;

/* CivetWeb request handler registered for every URI ("**"): matches the path
 * against the route table and answers 404/405 itself, so every error is JSON. */
int routes_dispatch(struct mg_connection *conn, void *cbdata);

#endif
