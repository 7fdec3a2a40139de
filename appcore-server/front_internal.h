/* Shared by the front's modules (front*.c); nothing else includes this. */
#ifndef APPCORE_SERVER_FRONT_INTERNAL_H
#define APPCORE_SERVER_FRONT_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include <appcore.h>

#include "front.h"

struct mg_callbacks;
struct mg_connection;
struct mg_context;

/* Where a connection is in its life, as the front sees it from CivetWeb's callbacks. */
enum conn_state {
	CONN_FREE,     /* slot unused */
	CONN_HEADERS,  /* a worker took the connection; its first request is not complete */
	CONN_IDLE,     /* keep-alive: answered, waiting for the next request */
	CONN_HANDLING, /* a handler is answering a request */
	CONN_BODY,     /* the handler is reading the request body */
	CONN_CUT,      /* the front shut the reading side (cut_reason says why) */
};

enum front_pool_id { POOL_MAIN, POOL_OPS, POOL_COUNT };

struct front_pool;

/* One per CivetWeb worker that can hold a connection. Fields marked (lock) change only under
 * front->lock; the atomics are written by the connection's worker and the front's threads. */
struct front_conn {
	struct front_pool *pool;  /* (lock) */
	int in_use;               /* (lock) */
	int fd;                   /* (lock) the client socket, -1 until the first request */
	atomic_int state;         /* enum conn_state */
	atomic_llong since_ns;    /* CLOCK_MONOTONIC when state was entered */
	atomic_int cut_reason;    /* enum front_cut */
	atomic_int close_after;   /* answer with Connection: close (a rescued request) */
	/* the monitor's (under lock): the body's progress, from TCP_INFO, since body_since_ns */
	long long body_since_ns;
	long long body_base_bytes;
	long long body_base_ns;
	/* the connection's worker only */
	int error_answered;       /* the http_error callback answered (or refused) */
	int first_request;        /* no request dispatched on this connection yet */
	long long taken_ns;       /* when the worker took the connection */
	int in_rescue;
};

struct front_pool {
	struct front *front;
	enum front_pool_id id;
	const char *name;             /* metric label: "main", "ops" */
	struct mg_context *ctx;
	int threads;
	int reserve;                  /* workers kept free for newcomers when possible */
	int port;
	int listener_fd;              /* -1 when not found (then no draining handoff) */
	struct sockaddr_in knock;     /* where to connect to wake CivetWeb's accept loop */
	atomic_int busy;              /* connections held by workers */
	atomic_int rotate;            /* when no worker is free, answers close their connection:
				       * there are too few slow connections to shed instead */
	atomic_int listener_closed;
	int queued;                   /* the monitor's: connections waiting in CivetWeb's queue at
				       * its last orphan scan */
	int queued_requests;          /* of which with a whole request sent */
	long long header_timeout_ns;  /* first request's headers after a worker took it */
	long long idle_timeout_ns;    /* keep-alive: next request's headers after an answer */
	long long body_timeout_ns;    /* the whole body after the headers */
	long long queue_timeout_ns;   /* 0: never refuse for waiting */
	appcore_metrics_series *open_series;
};

/* A socket on a listener's port that no slot owns yet: accepted by CivetWeb and waiting for a
 * worker, or taken by one that has not received a complete first request. CivetWeb 1.15 tells
 * a connection's peer address only once a request has been read, so until then the front
 * knows such connections only by scanning its descriptors (front_orphans.c). */
struct front_orphan {
	uint64_t cookie;          /* the socket (a descriptor number is reused) */
	long long first_seen_ns;
	int cut_reason;           /* enum front_cut */
};

struct front {
	struct app *app;
	pthread_mutex_t lock;
	struct front_conn *conns;
	size_t num_conns;
	struct front_pool pools[POOL_COUNT];
	int num_pools;
	/* fds owned by a connection slot (lock-free reads while searching for a new one) */
	atomic_uchar *fd_owned;
	size_t fd_owned_size;
	/* orphans_lock: scans make hundreds of system calls, so they keep off front->lock */
	pthread_mutex_t orphans_lock;
	struct front_orphan *orphans; /* (orphans_lock) by descriptor, fd_owned_size entries */
	/* the monitor thread */
	pthread_t monitor;
	int monitor_started;
	pthread_mutex_t monitor_lock;
	pthread_cond_t monitor_wake;
	int monitor_stop;             /* (monitor_lock) */
	long long last_orphan_scan_ns; /* the monitor thread's */
	atomic_llong cuts[FRONT_CUT_COUNT];
	appcore_metrics_series *cut_series[FRONT_CUT_COUNT];
};

long long front_now_ns(void);
/* Count a connection the front closed (metric) and log it at debug level. */
void front_count_cut(struct front *front, enum front_cut reason, const char *state,
		     long long age_ns);

/* front_conn.c: CivetWeb's connection callbacks and the registry. */
void front_conn_install(struct mg_callbacks *callbacks, enum front_pool_id pool);
struct front_conn *front_conn_of(const struct mg_connection *conn);
/* Find the connection's socket once CivetWeb has read a request (its peer address is known
 * then). If the front cut it as an orphan meanwhile, the slot becomes CONN_CUT. */
void front_conn_attach(struct front_conn *c, const struct mg_connection *conn);
/* Shut the connection's reading side if it is still in state `expected` (CAS), so its
 * worker's next read ends; call with front->lock held. Returns 1 when cut. */
int front_conn_cut(struct front *front, struct front_conn *c, int expected,
		   enum front_cut reason);
/* Bytes waiting in the socket's receive queue (0 on error). */
int front_conn_pending_bytes(const struct front_conn *c);
/* TCP_INFO: bytes received on the connection so far; time since its last data arrived (the
 * kernel counts in jiffies, so a few ms). -1 on error. */
long long front_socket_bytes_received(int fd);
long long front_socket_silent_ns(int fd);
/* The listening socket bound to port, or -1. */
int front_find_listener(int port);
/* Length of the listener's accept queue (connections the kernel completed, not yet taken). */
int front_listener_backlog(int fd);

/* front_orphans.c: what an orphan scan should cut, per pool. Takes orphans_lock. */
struct orphan_policy {
	/* clients wait for a worker: cut orphans older than shed_ns without a whole request head,
	 * or whose body arrives slower than min_rate (bytes per second) */
	int shed[POOL_COUNT];
	long long shed_ns;
	double min_rate;
	/* draining: cut orphans silent for drain_linger_ns since the listener closed */
	int drain[POOL_COUNT];
	long long drain_since_ns;
	long long drain_linger_ns;
};
/* What a scan found, per pool. Every orphan is either the connection of a slot before its
 * first request or one waiting in CivetWeb's queue for a worker, so the difference with those
 * slots counts the waiting ones. */
struct orphan_counts {
	int seen[POOL_COUNT];        /* orphans on the listener's port */
	int seen_before[POOL_COUNT]; /* of which an earlier scan saw already */
	int complete[POOL_COUNT];    /* of those, with a whole request (head and body) waiting
				      * unread: a worker reads what arrives at once, so these are
				      * requests queued for a worker */
};
/* Scans every descriptor, cutting orphans as policy says. */
void front_orphans_scan(struct front *front, const struct orphan_policy *policy, long long now,
			struct orphan_counts *counts);
/* The reason the front cut the socket on fd as an orphan, FRONT_CUT_NONE if it did not;
 * forgets it. Takes orphans_lock (after front->lock, if held). */
enum front_cut front_orphan_take(struct front *front, int fd);

/* front_monitor.c */
/* 0, or the pthread error that stopped it */
int front_monitor_start(struct front *front);
void front_monitor_stop(struct front *front);

/* front_drain.c. FRONT_WAKE_SIGNAL interrupts CivetWeb's accept loop (its handler is a no-op,
 * installed by front_start). */
#define FRONT_WAKE_SIGNAL SIGRTMAX
void front_drain(struct front *front, long long grace_ms, struct front_stop_report *report);
void front_stop_pool(struct front_pool *pool);

#endif
