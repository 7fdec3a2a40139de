/* Route identities: the bounded set of values of the `route` metric label. */
#ifndef APPCORE_SERVER_ROUTE_IDS_H
#define APPCORE_SERVER_ROUTE_IDS_H

enum route_id {
	ROUTE_HEALTH,
	ROUTE_READY,
	ROUTE_VERSION,
	ROUTE_PREDICT,
	ROUTE_METRICS,
	ROUTE_MODEL,
	ROUTE_JOBS,
	ROUTE_JOB,
	ROUTE_JOB_RESULT,
	ROUTE_UNMATCHED,
	ROUTE_COUNT,
};

/* The label value of a route: its path template, or "unmatched". */
const char *route_label(enum route_id route);

#endif
