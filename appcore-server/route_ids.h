/* Routes are identified by their row in the route table (routes.c), so adding a route is one
 * row; the `route` metric label is the row's path template, a bounded set. */
#ifndef APPCORE_SERVER_ROUTE_IDS_H
#define APPCORE_SERVER_ROUTE_IDS_H

#include <stddef.h>

/* The route of a request that matches no row. */
#define ROUTE_UNMATCHED (-1)

/* Rows in the route table. */
size_t routes_count(void);

/* The label value of a route: its path template, or "unmatched". */
const char *route_label(int route);

#endif
