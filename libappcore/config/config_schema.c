/* The configuration keys, their types, ranges and defaults, and the parsing
 * and validation every source (file, environment, flags) goes through. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"
#include "core/utf8.h"

static const char *const level_choices[] = { "debug", "info", "warn", "error", NULL };
static const char *const format_choices[] = { "json", "text", NULL };
static const char *const disk_full_choices[] = { "refuse", "drop", NULL };

#define KEY(sec, nm, SEC, NM, type, min, max, empty, choices, def)                                 \
	{                                                                                          \
		sec, nm, sec "." nm, "APPCORE_" SEC "_" NM, type, min, max, empty, choices, def    \
	}

/* Order is the order of configs/config.yaml and of the rendered output. */
const struct ac_config_key ac_config_keys[] = {
	KEY("server", "host", "SERVER", "HOST", AC_CFG_STRING, 0, 0, 0, NULL, "127.0.0.1"),
	KEY("server", "port", "SERVER", "PORT", AC_CFG_INT, 1, 65535, 0, NULL, "8000"),
	KEY("server", "threads", "SERVER", "THREADS", AC_CFG_INT, 1, 4096, 0, NULL, "64"),
	KEY("server", "request_timeout_ms", "SERVER", "REQUEST_TIMEOUT_MS", AC_CFG_INT, 1, INT_MAX,
	    0, NULL, "10000"),
	KEY("server", "keep_alive_timeout_ms", "SERVER", "KEEP_ALIVE_TIMEOUT_MS", AC_CFG_INT, 0,
	    INT_MAX, 0, NULL, "5000"),
	KEY("server", "max_body_bytes", "SERVER", "MAX_BODY_BYTES", AC_CFG_INT, 1, LLONG_MAX, 0,
	    NULL, "1048576"),
	KEY("server", "shutdown_grace_ms", "SERVER", "SHUTDOWN_GRACE_MS", AC_CFG_INT, 0, INT_MAX, 0,
	    NULL, "5000"),
	KEY("server", "api_keys_file", "SERVER", "API_KEYS_FILE", AC_CFG_PATH, 0, 0, 1, NULL, ""),
	/* the HTTP front (appcore-server, docs/http-front.md) */
	KEY("server", "ops_port", "SERVER", "OPS_PORT", AC_CFG_INT, 0, 65535, 0, NULL, "0"),
	KEY("server", "queue_timeout_ms", "SERVER", "QUEUE_TIMEOUT_MS", AC_CFG_INT, 0, INT_MAX, 0,
	    NULL, "500"),
	KEY("model", "path", "MODEL", "PATH", AC_CFG_PATH, 0, 0, 0, NULL,
	    "examples/models/iris.json"),
	KEY("model", "name", "MODEL", "NAME", AC_CFG_STRING, 0, 0, 0, NULL, "iris"),
	KEY("model", "version", "MODEL", "VERSION", AC_CFG_STRING, 0, 0, 0, NULL, "1"),
	KEY("model", "max_batch_rows", "MODEL", "MAX_BATCH_ROWS", AC_CFG_INT, 0, INT_MAX, 0, NULL,
	    "10000"),
	KEY("model", "use_best_iteration", "MODEL", "USE_BEST_ITERATION", AC_CFG_BOOL, 0, 0, 0,
	    NULL, "false"),
	/* threads one large batch is scored on (appcore_pool_new()); 0 = every online core */
	KEY("model", "predict_threads", "MODEL", "PREDICT_THREADS", AC_CFG_INT, 0, 1024, 0, NULL,
	    "0"),
	/* model_repository (issue 13): a directory of models and versions, served instead of
	 * model.path when set */
	KEY("model_repository", "path", "MODEL_REPOSITORY", "PATH", AC_CFG_PATH, 0, 0, 1, NULL, ""),
	KEY("model_repository", "poll_seconds", "MODEL_REPOSITORY", "POLL_SECONDS", AC_CFG_INT, 0,
	    86400, 0, NULL, "0"),
	KEY("model_repository", "default_model", "MODEL_REPOSITORY", "DEFAULT_MODEL", AC_CFG_STRING,
	    0, 0, 1, NULL, ""),
	KEY("logging", "level", "LOGGING", "LEVEL", AC_CFG_ENUM, 0, 0, 0, level_choices, "info"),
	KEY("logging", "format", "LOGGING", "FORMAT", AC_CFG_ENUM, 0, 0, 0, format_choices, "json"),
	KEY("logging", "access_log", "LOGGING", "ACCESS_LOG", AC_CFG_BOOL, 0, 0, 0, NULL, "true"),
	KEY("metrics", "enabled", "METRICS", "ENABLED", AC_CFG_BOOL, 0, 0, 0, NULL, "true"),
	KEY("metrics", "require_api_key", "METRICS", "REQUIRE_API_KEY", AC_CFG_BOOL, 0, 0, 0, NULL,
	    "false"),
	KEY("metrics", "latency_buckets_seconds", "METRICS", "LATENCY_BUCKETS_SECONDS", AC_CFG_LIST,
	    0, 0, 0, NULL, "0.0001,0.00025,0.0005,0.001,0.0025,0.005,0.01,0.025,0.05,0.1,0.25,1"),
	/* prediction_log: the PostgreSQL prediction log (appcore/predlog.h) */
	KEY("prediction_log", "enabled", "PREDICTION_LOG", "ENABLED", AC_CFG_BOOL, 0, 0, 0, NULL,
	    "false"),
	KEY("prediction_log", "url", "PREDICTION_LOG", "URL", AC_CFG_STRING, 0, 0, 1, NULL, ""),
	KEY("prediction_log", "password_file", "PREDICTION_LOG", "PASSWORD_FILE", AC_CFG_PATH, 0,
	    0, 1, NULL, ""),
	KEY("prediction_log", "spool_dir", "PREDICTION_LOG", "SPOOL_DIR", AC_CFG_PATH, 0, 0, 0,
	    NULL, "/var/lib/appcore/prediction-log"),
	KEY("prediction_log", "sample_rate", "PREDICTION_LOG", "SAMPLE_RATE", AC_CFG_NUMBER, 0, 1,
	    0, NULL, "1"),
	KEY("prediction_log", "include_inputs", "PREDICTION_LOG", "INCLUDE_INPUTS", AC_CFG_BOOL, 0,
	    0, 0, NULL, "true"),
	KEY("prediction_log", "on_disk_full", "PREDICTION_LOG", "ON_DISK_FULL", AC_CFG_ENUM, 0, 0,
	    0, disk_full_choices, "refuse"),
	KEY("prediction_log", "queue_rows", "PREDICTION_LOG", "QUEUE_ROWS", AC_CFG_INT, 1, INT_MAX,
	    0, NULL, "65536"),
	KEY("prediction_log", "batch_rows", "PREDICTION_LOG", "BATCH_ROWS", AC_CFG_INT, 1, 1000000,
	    0, NULL, "1000"),
	KEY("prediction_log", "sync_interval_ms", "PREDICTION_LOG", "SYNC_INTERVAL_MS", AC_CFG_INT,
	    1, 3600000, 0, NULL, "200"),
	KEY("prediction_log", "fsync", "PREDICTION_LOG", "FSYNC", AC_CFG_BOOL, 0, 0, 0, NULL,
	    "true"),
	KEY("prediction_log", "spool_max_bytes", "PREDICTION_LOG", "SPOOL_MAX_BYTES", AC_CFG_INT,
	    65536, LLONG_MAX, 0, NULL, "1073741824"),
	KEY("prediction_log", "connect_timeout_ms", "PREDICTION_LOG", "CONNECT_TIMEOUT_MS",
	    AC_CFG_INT, 1, INT_MAX, 0, NULL, "5000"),
	KEY("prediction_log", "write_timeout_ms", "PREDICTION_LOG", "WRITE_TIMEOUT_MS", AC_CFG_INT,
	    1, INT_MAX, 0, NULL, "10000"),
	KEY("prediction_log", "shutdown_timeout_ms", "PREDICTION_LOG", "SHUTDOWN_TIMEOUT_MS",
	    AC_CFG_INT, 0, INT_MAX, 0, NULL, "3000"),
	/* batch jobs (docs/jobs.md): read by appcore-server and appcore-cli worker alike */
	KEY("jobs", "redis_url", "JOBS", "REDIS_URL", AC_CFG_STRING, 0, 0, 1, NULL, ""),
	KEY("jobs", "dir", "JOBS", "DIR", AC_CFG_PATH, 0, 0, 1, NULL, ""),
	KEY("jobs", "chunk_rows", "JOBS", "CHUNK_ROWS", AC_CFG_INT, 1, 10000000, 0, NULL, "50000"),
	KEY("jobs", "visibility_timeout_ms", "JOBS", "VISIBILITY_TIMEOUT_MS", AC_CFG_INT, 100,
	    86400000, 0, NULL, "30000"),
	KEY("jobs", "max_body_bytes", "JOBS", "MAX_BODY_BYTES", AC_CFG_INT, 1, LLONG_MAX, 0, NULL,
	    "10737418240"),
	KEY("jobs", "inline_max_bytes", "JOBS", "INLINE_MAX_BYTES", AC_CFG_INT, 0, 536870912, 0,
	    NULL, "8388608"),
	KEY("jobs", "result_ttl_seconds", "JOBS", "RESULT_TTL_SECONDS", AC_CFG_INT, 1, INT_MAX, 0,
	    NULL, "86400"),
	KEY("jobs", "worker_threads", "JOBS", "WORKER_THREADS", AC_CFG_INT, 1, 256, 0, NULL, "1"),
};
const size_t ac_config_num_keys = sizeof(ac_config_keys) / sizeof(ac_config_keys[0]);

const char *const ac_config_sections[] = { "server",  "model",	 "model_repository",
					    "logging", "metrics",	 "prediction_log",
					    "jobs" };
const size_t ac_config_num_sections = sizeof(ac_config_sections) / sizeof(ac_config_sections[0]);

/* appcore_config holds a fixed array: a new key must not outgrow it. */
_Static_assert(sizeof(ac_config_keys) / sizeof(ac_config_keys[0]) <= AC_CONFIG_MAX_KEYS,
	       "too many config keys: raise AC_CONFIG_MAX_KEYS");

int ac_config_find(const char *key)
{
	for (size_t i = 0; i < ac_config_num_keys; i++)
		if (strcmp(ac_config_keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

int ac_config_find_in(const char *section, size_t section_len, const char *name, size_t name_len)
{
	for (size_t i = 0; i < ac_config_num_keys; i++) {
		const struct ac_config_key *k = &ac_config_keys[i];
		if (strlen(k->section) == section_len &&
		    memcmp(k->section, section, section_len) == 0 && strlen(k->name) == name_len &&
		    memcmp(k->name, name, name_len) == 0)
			return (int)i;
	}
	return -1;
}

int ac_config_is_section(const char *name, size_t len)
{
	for (size_t i = 0; i < ac_config_num_sections; i++)
		if (strlen(ac_config_sections[i]) == len &&
		    memcmp(ac_config_sections[i], name, len) == 0)
			return 1;
	return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t row[128];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 127 || lb >= 127)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *ac_config_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;
	/* a third of the word, at least 2: catches typos, not unrelated names */
	size_t limit = strlen(word) / 3 < 2 ? 2 : strlen(word) / 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_distance) {
			best_distance = d;
			best = candidates[i];
		}
	}
	return best_distance <= limit ? best : NULL;
}

const char *ac_config_suggest_key(const char *word)
{
	const char *keys[AC_CONFIG_MAX_KEYS];
	for (size_t i = 0; i < ac_config_num_keys; i++)
		keys[i] = ac_config_keys[i].key;
	return ac_config_suggest(word, keys, ac_config_num_keys);
}

const char *ac_config_suggest_env(const char *word)
{
	const char *names[AC_CONFIG_MAX_KEYS];
	for (size_t i = 0; i < ac_config_num_keys; i++)
		names[i] = ac_config_keys[i].env;
	return ac_config_suggest(word, names, ac_config_num_keys);
}

const char *ac_config_suggest_section(const char *word)
{
	return ac_config_suggest(word, ac_config_sections, ac_config_num_sections);
}

void ac_config_value_clear(struct ac_config_value *v)
{
	free(v->text);
	free(v->list);
	memset(v, 0, sizeof(*v));
}

static int parse_integer(const char *text, long long *out)
{
	char *end = NULL;

	/* strtoll skips leading blanks and accepts "0x"; neither is a config integer */
	if (!(isdigit((unsigned char)text[0]) ||
	      ((text[0] == '-' || text[0] == '+') && isdigit((unsigned char)text[1]))))
		return -1;
	errno = 0;
	*out = strtoll(text, &end, 10);
	if (errno == ERANGE)
		return -2;
	return *end == '\0' ? 0 : -1;
}

static int parse_number(const char *text, size_t len, double *out)
{
	char copy[64];
	char *end = NULL;

	if (len == 0 || len >= sizeof(copy))
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (isspace((unsigned char)copy[0]))
		return -1;
	errno = 0;
	*out = strtod(copy, &end);
	return *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

int ac_config_check_int(const struct ac_config_key *k, long long v, appcore_config_source source,
			char *problem, size_t problem_size)
{
	long long min = k->min;

	/* --port 0: the kernel picks a free port (tests rely on it) */
	if (source == APPCORE_CONFIG_FLAG && strcmp(k->key, "server.port") == 0)
		min = 0;
	if (v >= min && v <= k->max)
		return 0;
	if (k->max == LLONG_MAX)
		snprintf(problem, problem_size, "must be at least %lld, got %lld", min, v);
	else
		snprintf(problem, problem_size, "must be between %lld and %lld, got %lld", min,
			 k->max, v);
	return -1;
}

int ac_config_check_list(const double *list, size_t n, char *problem, size_t problem_size)
{
	if (n == 0) {
		snprintf(problem, problem_size, "must not be empty");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(list[i] > 0)) {
			snprintf(problem, problem_size, "[%zu]: must be greater than 0, got %g", i,
				 list[i]);
			return -1;
		}
		if (i > 0 && !(list[i] > list[i - 1])) {
			snprintf(problem, problem_size,
				 "must be strictly ascending, got %g after %g", list[i],
				 list[i - 1]);
			return -1;
		}
	}
	return 0;
}

static int parse_bool(const char *text, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int parse_list(const char *text, struct ac_config_value *out, char *problem,
		      size_t problem_size)
{
	size_t len = strlen(text);
	size_t n = 1;
	const char *p;

	/* "[0.1, 1]" as in YAML flow style, or just "0.1,1" */
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++)
		n += text[i] == ',';
	out->list = calloc(n, sizeof(double));
	if (out->list == NULL)
		return -2;
	p = text;
	for (size_t i = 0; i < n; i++) {
		const char *end = memchr(p, ',', (size_t)(text + len - p));
		const char *stop = end != NULL ? end : text + len;
		const char *a = p, *b = stop;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (n == 1 && a == b) {
			n = 0;
			break;
		}
		if (parse_number(a, (size_t)(b - a), &out->list[i]) != 0) {
			snprintf(problem, problem_size, "[%zu]: expected a number, got '%.*s'", i,
				 (int)(b - a), a);
			return -1;
		}
		p = stop + 1;
	}
	out->list_len = n;
	return ac_config_check_list(out->list, n, problem, problem_size);
}

int ac_config_parse(const struct ac_config_key *k, const char *text, struct ac_config_value *out,
		    appcore_config_source source, char *problem, size_t problem_size)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->source = source;
	switch (k->type) {
	case AC_CFG_STRING:
	case AC_CFG_PATH:
	case AC_CFG_ENUM:
		if (text[0] == '\0' && !k->allow_empty) {
			snprintf(problem, problem_size, "must not be empty");
			return -1;
		}
		if (k->type == AC_CFG_ENUM) {
			size_t i;
			for (i = 0; k->choices[i] != NULL; i++)
				if (strcmp(text, k->choices[i]) == 0)
					break;
			if (k->choices[i] == NULL) {
				char list[128] = "";
				for (i = 0; k->choices[i] != NULL; i++) {
					strcat(list, i > 0 ? ", " : "");
					strcat(list, k->choices[i]);
				}
				snprintf(problem, problem_size, "expected one of %s, got '%s'",
					 list, text);
				return -1;
			}
		}
		for (size_t i = 0; text[i] != '\0';) {
			size_t n = ac_utf8_sequence_length((const unsigned char *)text + i,
							   strlen(text + i));
			if (n == 0) {
				snprintf(problem, problem_size, "must be valid UTF-8");
				return -1;
			}
			i += n;
		}
		out->text = strdup(text);
		return out->text != NULL ? 0 : -2;
	case AC_CFG_INT:
		rc = parse_integer(text, &out->integer);
		if (rc == -1) {
			snprintf(problem, problem_size, "expected an integer, got '%s'", text);
			return -1;
		}
		if (rc == -2) {
			snprintf(problem, problem_size, "integer out of range, got '%s'", text);
			return -1;
		}
		return ac_config_check_int(k, out->integer, source, problem, problem_size);
	case AC_CFG_BOOL:
		if (parse_bool(text, &out->boolean) != 0) {
			snprintf(problem, problem_size, "expected true or false, got '%s'", text);
			return -1;
		}
		return 0;
	case AC_CFG_LIST:
		return parse_list(text, out, problem, problem_size);
	case AC_CFG_NUMBER:
		if (parse_number(text, strlen(text), &out->number) != 0) {
			snprintf(problem, problem_size, "expected a number, got '%s'", text);
			return -1;
		}
		if (out->number < (double)k->min || out->number > (double)k->max) {
			snprintf(problem, problem_size, "must be between %lld and %lld, got %g",
				 k->min, k->max, out->number);
			return -1;
		}
		return 0;
	}
	return -1;
}

void ac_config_stage_init(struct ac_config_stage *stage)
{
	memset(stage, 0, sizeof(*stage));
}

void ac_config_stage_discard(struct ac_config_stage *stage)
{
	for (size_t i = 0; i < ac_config_num_keys; i++)
		ac_config_value_clear(&stage->values[i]);
}

void ac_config_stage_commit(appcore_config *config, struct ac_config_stage *stage)
{
	for (size_t i = 0; i < ac_config_num_keys; i++) {
		if (!stage->set[i])
			continue;
		ac_config_value_clear(&config->values[i]);
		config->values[i] = stage->values[i];
		memset(&stage->values[i], 0, sizeof(stage->values[i]));
	}
}
