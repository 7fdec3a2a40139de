/* Redis connections for the job store: a small pool shared by the threads of one client,
 * connections made on demand (so a client outlives Redis restarts), and one way of turning
 * failures into errors: APPCORE_EUNAVAILABLE when Redis cannot answer now, APPCORE_EINTERNAL
 * when it answers something unexpected. */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/error_internal.h"
#include "jobs/jobs_internal.h"

static struct timeval ms_to_timeval(unsigned int ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

int ac_redis_unavailable(appcore_jobs *jobs, redisContext *c, appcore_error *err)
{
	return ac_error_set(err, APPCORE_EUNAVAILABLE, "job store unavailable: redis at %s: %s",
			    jobs->address.display,
			    c != NULL && c->errstr[0] != '\0' ? c->errstr : "no connection");
}

/* Replies that mean "not now" rather than "wrong": Redis loading its data after a restart,
 * a long script, a replica without its primary. */
static bool transient_error(const char *text)
{
	static const char *const prefixes[] = { "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(text, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

int ac_redis_check(appcore_jobs *jobs, redisContext *c, redisReply *reply, int status,
		   appcore_error *err)
{
	if (status != REDIS_OK || reply == NULL) {
		if (c->err == REDIS_ERR_OOM)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		return ac_redis_unavailable(jobs, c, err);
	}
	if (reply->type != REDIS_REPLY_ERROR)
		return APPCORE_OK;
	if (transient_error(reply->str))
		return ac_error_set(err, APPCORE_EUNAVAILABLE,
				    "job store unavailable: redis at %s: %s", jobs->address.display,
				    reply->str);
	return ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: %s", jobs->address.display,
			    reply->str);
}

static int checked(redisReply **out, appcore_jobs *jobs, redisContext *c, redisReply *reply,
		   appcore_error *err)
{
	int rc = ac_redis_check(jobs, c, reply, reply != NULL ? REDIS_OK : REDIS_ERR, err);

	*out = NULL;
	if (rc == APPCORE_OK && reply != NULL) {
		*out = reply;
		return APPCORE_OK;
	}
	freeReplyObject(reply);
	return rc != APPCORE_OK ? rc : APPCORE_EINTERNAL;
}

int ac_redis_command(redisReply **out, appcore_jobs *jobs, redisContext *c, appcore_error *err,
		     const char *format, ...)
{
	redisReply *reply;
	va_list ap;

	va_start(ap, format);
	reply = redisvCommand(c, format, ap);
	va_end(ap);
	return checked(out, jobs, c, reply, err);
}

int ac_redis_argv(redisReply **out, appcore_jobs *jobs, redisContext *c, appcore_error *err,
		  int argc, const char **argv, const size_t *lens)
{
	return checked(out, jobs, c, redisCommandArgv(c, argc, argv, lens), err);
}

static int connect_new(redisContext **out, appcore_jobs *jobs, appcore_error *err)
{
	const struct ac_redis_address *a = &jobs->address;
	struct timeval connect_timeout = ms_to_timeval(AC_JOBS_CONNECT_TIMEOUT_MS);
	redisContext *c;
	redisReply *reply = NULL;

	c = a->socket != NULL ? redisConnectUnixWithTimeout(a->socket, connect_timeout)
			      : redisConnectWithTimeout(a->host, a->port, connect_timeout);
	if (c == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (c->err != 0) {
		int rc = ac_redis_unavailable(jobs, c, err);
		redisFree(c);
		return rc;
	}
	/* a dead peer is noticed by keep-alive; a stuck one by the timeout */
	if (a->socket == NULL)
		redisEnableKeepAlive(c);
	redisSetTimeout(c, ms_to_timeval(AC_JOBS_COMMAND_TIMEOUT_MS));
	if (a->password != NULL) {
		int rc = a->user != NULL
			     ? ac_redis_command(&reply, jobs, c, err, "AUTH %s %s", a->user,
						a->password)
			     : ac_redis_command(&reply, jobs, c, err, "AUTH %s", a->password);
		if (rc != APPCORE_OK) {
			redisFree(c);
			/* a refused password is the store being unusable, not a bad request */
			return rc == APPCORE_EINTERNAL ? (err->code = APPCORE_EUNAVAILABLE) : rc;
		}
		freeReplyObject(reply);
	}
	if (a->db != 0) {
		int rc = ac_redis_command(&reply, jobs, c, err, "SELECT %d", a->db);
		if (rc != APPCORE_OK) {
			redisFree(c);
			return rc == APPCORE_EINTERNAL ? (err->code = APPCORE_EUNAVAILABLE) : rc;
		}
		freeReplyObject(reply);
	}
	*out = c;
	return APPCORE_OK;
}

/* An idle pooled connection has nothing to read: anything readable is the peer closing it
 * (Redis restarted) or an error, so it is not worth a command that would fail. */
static bool still_open(const redisContext *c)
{
	struct pollfd p = { c->fd, POLLIN, 0 };

	return c->err == 0 && poll(&p, 1, 0) == 0;
}

int ac_jobs_acquire(redisContext **out, appcore_jobs *jobs, appcore_error *err)
{
	redisContext *c = NULL;

	*out = NULL;
	pthread_mutex_lock(&jobs->pool_lock);
	while (c == NULL && jobs->pool_count > 0) {
		c = jobs->pool[--jobs->pool_count];
		if (!still_open(c)) {
			redisFree(c);
			c = NULL;
		}
	}
	pthread_mutex_unlock(&jobs->pool_lock);
	if (c != NULL) {
		*out = c;
		return APPCORE_OK;
	}
	return connect_new(out, jobs, err);
}

void ac_jobs_release(appcore_jobs *jobs, redisContext *c)
{
	if (c == NULL)
		return;
	if (c->err == 0) {
		pthread_mutex_lock(&jobs->pool_lock);
		if (jobs->pool_count < AC_JOBS_POOL_SIZE) {
			jobs->pool[jobs->pool_count++] = c;
			c = NULL;
		}
		pthread_mutex_unlock(&jobs->pool_lock);
	}
	redisFree(c);
}

void ac_jobs_pool_close(appcore_jobs *jobs)
{
	for (size_t i = 0; i < jobs->pool_count; i++)
		redisFree(jobs->pool[i]);
	jobs->pool_count = 0;
}

int ac_jobs_ensure_group(appcore_jobs *jobs, redisContext *c, appcore_error *err)
{
	redisReply *reply = redisCommand(c, "XGROUP CREATE %s %s 0 MKSTREAM", AC_JOBS_QUEUE_KEY,
					 AC_JOBS_GROUP);
	int rc;

	/* BUSYGROUP: another server or worker made it first */
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "BUSYGROUP", 9) == 0) {
		freeReplyObject(reply);
		return APPCORE_OK;
	}
	rc = ac_redis_check(jobs, c, reply, reply != NULL ? REDIS_OK : REDIS_ERR, err);
	freeReplyObject(reply);
	return rc;
}

int ac_redis_time_ms(long long *out, appcore_jobs *jobs, redisContext *c, appcore_error *err)
{
	redisReply *reply;
	int rc = ac_redis_command(&reply, jobs, c, err, "TIME");

	if (rc != APPCORE_OK)
		return rc;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		freeReplyObject(reply);
		return ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: unexpected TIME reply",
				    jobs->address.display);
	}
	*out = strtoll(reply->element[0]->str, NULL, 10) * 1000 +
	       strtoll(reply->element[1]->str, NULL, 10) / 1000;
	freeReplyObject(reply);
	return APPCORE_OK;
}
