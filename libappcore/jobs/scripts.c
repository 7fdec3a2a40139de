/* The Lua scripts that move a job from state to state. Each runs atomically in Redis, so a
 * job's state, its counters, the store-wide counters and the queue entry change together or
 * not at all: a worker that dies half-way leaves either the old state or the new one. Times
 * come from Redis's clock, the one clock every server and worker share. */
#include <stdlib.h>

#include "jobs/jobs_internal.h"

#define NOW_MS                                                                                     \
	"local function now_ms()\n"                                                                \
	"  local t = redis.call('TIME')\n"                                                         \
	"  return string.format('%d', t[1] * 1000 + math.floor(t[2] / 1000))\n"                   \
	"end\n"

/* A queued job starts running when its first chunk is taken.
 * KEYS: job, stats. Returns the fields a worker needs (state first). */
#define START_IF_QUEUED                                                                            \
	"local function start_if_queued(job, stats)\n"                                             \
	"  if redis.call('HGET', job, 'state') == 'queued' then\n"                                 \
	"    redis.call('HSET', job, 'state', 'running', 'started_ms', now_ms())\n"               \
	"    redis.call('HINCRBY', stats, 'queued', -1)\n"                                         \
	"    redis.call('HINCRBY', stats, 'running', 1)\n"                                         \
	"  end\n"                                                                                  \
	"end\n"

const char ac_script_begin[] = NOW_MS START_IF_QUEUED
    "start_if_queued(KEYS[1], KEYS[2])\n"
    "return redis.call('HMGET', KEYS[1], 'state', 'model', 'model_version', 'format', 'output',\n"
    "                  'storage', 'input', 'header')\n";

/* Record a chunk's result exactly once (the bitmap says whether it already was), acknowledge
 * and delete its queue entry, and finish the job with its last chunk.
 * KEYS: job, done, out, in, queue, stats.
 * ARGV: group, entry id, chunk, rows, result bytes, ttl, inline (1/0), result.
 * Returns the job's state, "duplicate" for a chunk recorded before, "gone" for no job. */
const char ac_script_complete[] = NOW_MS START_IF_QUEUED
    "redis.call('XACK', KEYS[5], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[5], ARGV[2])\n"
    /* a start lost with Redis's last second of writes must not drop the chunk */
    "start_if_queued(KEYS[1], KEYS[6])\n"
    "local state = redis.call('HGET', KEYS[1], 'state')\n"
    "if state ~= 'running' then return state or 'gone' end\n"
    "if redis.call('SETBIT', KEYS[2], ARGV[3], 1) == 1 then return 'duplicate' end\n"
    "if ARGV[7] == '1' then redis.call('HSET', KEYS[3], ARGV[3], ARGV[8]) end\n"
    "redis.call('HDEL', KEYS[4], ARGV[3])\n"
    "redis.call('HINCRBY', KEYS[1], 'rows_done', ARGV[4])\n"
    "redis.call('HINCRBY', KEYS[1], 'result_bytes', ARGV[5])\n"
    "redis.call('HINCRBY', KEYS[6], 'rows_scored', ARGV[4])\n"
    "local done = redis.call('HINCRBY', KEYS[1], 'chunks_done', 1)\n"
    "if done < tonumber(redis.call('HGET', KEYS[1], 'chunks_total')) then return 'running' end\n"
    "redis.call('HSET', KEYS[1], 'state', 'succeeded', 'finished_ms', now_ms())\n"
    "redis.call('HINCRBY', KEYS[6], 'running', -1)\n"
    "redis.call('HINCRBY', KEYS[6], 'succeeded', 1)\n"
    "for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end\n"
    "return 'succeeded'\n";

/* End a queued or running job as failed or cancelled; its remaining queue entries are
 * dropped by the workers that take them.
 * KEYS: job, done, out, in, queue, stats.
 * ARGV: group, entry id ("" for none), ttl, new state, error code, message, line.
 * Returns the new state; "already:STATE" for a job that had finished; "gone" for no job. */
const char ac_script_finish[] = NOW_MS
    "if ARGV[2] ~= '' then\n"
    "  redis.call('XACK', KEYS[5], ARGV[1], ARGV[2])\n"
    "  redis.call('XDEL', KEYS[5], ARGV[2])\n"
    "end\n"
    "local state = redis.call('HGET', KEYS[1], 'state')\n"
    "if not state then return 'gone' end\n"
    "if state ~= 'queued' and state ~= 'running' then return 'already:' .. state end\n"
    "redis.call('HSET', KEYS[1], 'state', ARGV[4], 'finished_ms', now_ms())\n"
    "if ARGV[4] == 'failed' then\n"
    "  redis.call('HSET', KEYS[1], 'error_code', ARGV[5], 'error_message', ARGV[6],\n"
    "             'error_line', ARGV[7])\n"
    "end\n"
    "redis.call('HINCRBY', KEYS[6], state, -1)\n"
    "redis.call('HINCRBY', KEYS[6], ARGV[4], 1)\n"
    "redis.call('DEL', KEYS[4])\n"
    "for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end\n"
    "return ARGV[4]\n";

/* Remove a consumer from the group once it holds no chunk (deleting one that does would
 * orphan its chunks). KEYS: queue. ARGV: group, consumer. Returns 1 removed, 0 holding. */
const char ac_script_retire[] =
    "local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])\n"
    "if #pending > 0 then return 0 end\n"
    "redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])\n"
    "return 1\n";

void ac_jobs_script_args(const char **argv, char keys[4][AC_JOBS_KEY_SIZE], const char *script,
			 const char *id)
{
	for (int k = 0; k < 4; k++)
		ac_jobs_key(keys[k], id, (enum ac_job_key)k);
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "6";
	argv[3] = keys[AC_KEY_JOB];
	argv[4] = keys[AC_KEY_DONE];
	argv[5] = keys[AC_KEY_OUT];
	argv[6] = keys[AC_KEY_IN];
	argv[7] = AC_JOBS_QUEUE_KEY;
	argv[8] = AC_JOBS_STATS_KEY;
	argv[9] = AC_JOBS_GROUP;
}

int ac_jobs_retire(appcore_jobs *jobs, redisContext *c, const char *name, appcore_error *err)
{
	const char *argv[] = { "EVAL", ac_script_retire, "1", AC_JOBS_QUEUE_KEY, AC_JOBS_GROUP,
			       name };
	redisReply *reply;
	int rc = ac_redis_argv(&reply, jobs, c, err, 6, argv, NULL);

	freeReplyObject(reply);
	return rc;
}
