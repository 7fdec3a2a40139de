/* POST /v1/jobs as a protocol: query parameters, media types and the JSON form, decided here
 * so that every shell (appcore-server, a program embedding the library) answers alike. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/error_internal.h"
#include "jobs/jobs_internal.h"

/* A JSON job request names a file; it never needs to be big. */
#define JSON_BODY_MAX 65536

enum body_kind { BODY_CSV, BODY_NDJSON, BODY_JSON };

struct query {
	char *model, *version, *output;
};

static void query_dispose(struct query *q)
{
	free(q->model);
	free(q->version);
	free(q->output);
}

static int parse_query(struct query *q, const char *query, appcore_error *err)
{
	const char *p = query != NULL ? query : "";

	memset(q, 0, sizeof(*q));
	while (*p != '\0') {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t name_len = eq != NULL ? (size_t)(eq - p) : len;
		char **slot = NULL;
		bool oom = false;

		if (name_len == 5 && strncmp(p, "model", 5) == 0)
			slot = &q->model;
		else if (name_len == 7 && strncmp(p, "version", 7) == 0)
			slot = &q->version;
		else if (name_len == 6 && strncmp(p, "output", 6) == 0)
			slot = &q->output;
		if (slot == NULL && len > 0)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "unknown query parameter '%.*s' (expected model, version, "
					    "output)",
					    (int)(name_len > 64 ? 64 : name_len), p);
		if (slot != NULL && *slot != NULL)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "query parameter '%.*s' given twice", (int)name_len, p);
		if (slot != NULL) {
			const char *value = eq != NULL ? eq + 1 : p + len;
			*slot = ac_jobs_percent_decode(value, (size_t)(p + len - value), true, &oom);
			if (*slot == NULL)
				return oom ? ac_error_set(err, APPCORE_ENOMEM, "out of memory")
					   : ac_error_set(err, APPCORE_EREQUEST,
							  "query parameter '%.*s': bad %%-escape",
							  (int)name_len, p);
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return APPCORE_OK;
}

static int parse_output(appcore_output_kind *out, const char *text, appcore_error *err)
{
	if (text == NULL || strcmp(text, "value") == 0)
		*out = APPCORE_OUTPUT_VALUE;
	else if (strcmp(text, "margin") == 0)
		*out = APPCORE_OUTPUT_MARGIN;
	else
		return ac_error_set(err, APPCORE_EREQUEST,
				    "output: expected \"value\" or \"margin\", got \"%.64s\"", text);
	return APPCORE_OK;
}

/* The media type without parameters, compared case-insensitively. */
static int body_kind(enum body_kind *out, const char *content_type, appcore_error *err)
{
	static const struct {
		const char *type;
		enum body_kind kind;
	} known[] = {
		{ "text/csv", BODY_CSV },
		{ "application/x-ndjson", BODY_NDJSON },
		{ "application/ndjson", BODY_NDJSON },
		{ "application/json", BODY_JSON },
	};
	const char *t = content_type != NULL ? content_type : "";
	size_t len;

	while (*t == ' ' || *t == '\t')
		t++;
	len = strcspn(t, "; \t");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].type) == len && strncasecmp(t, known[i].type, len) == 0) {
			*out = known[i].kind;
			return APPCORE_OK;
		}
	return ac_error_set(err, APPCORE_EMEDIATYPE,
			    "a job is text/csv or application/x-ndjson rows, or an application/json "
			    "request naming an input_path; got Content-Type '%.100s'",
			    content_type != NULL ? content_type : "(none)");
}

/* Reads the body for appcore_jobs_submit, refusing more than limit bytes. */
struct limited {
	appcore_jobs_read_fn read;
	void *ctx;
	unsigned long long limit, seen;
};

static int read_limited(size_t *got, void *ctx, void *buffer, size_t size, appcore_error *err)
{
	struct limited *l = ctx;
	int rc = l->read(got, l->ctx, buffer, size, err);

	if (rc != APPCORE_OK)
		return rc;
	l->seen += *got;
	if (l->seen > l->limit)
		return ac_error_set(err, APPCORE_ETOOLARGE,
				    "the upload is larger than jobs.max_body_bytes (%llu bytes)",
				    l->limit);
	return APPCORE_OK;
}

/* One optional string field of the JSON form; a value also given in the query must agree. */
static int json_string_field(const char **out, json_t *doc, const char *name,
			     const char *from_query, appcore_error *err)
{
	json_t *v = json_object_get(doc, name);

	*out = from_query;
	if (v == NULL)
		return APPCORE_OK;
	if (!json_is_string(v))
		return ac_error_set(err, APPCORE_EREQUEST, "\"%s\": expected a string", name);
	if (from_query != NULL && strcmp(from_query, json_string_value(v)) != 0)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"%s\" differs between the query and the body", name);
	*out = json_string_value(v);
	return APPCORE_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

static int submit_json(appcore_job_status *out, appcore_jobs *jobs, const struct query *q,
		       appcore_jobs_read_fn read, void *read_ctx, appcore_error *err)
{
	static const char *const fields[] = { "model", "version", "input_path", "format",
					      "output" };
	appcore_jobs_submit_options options = APPCORE_JOBS_SUBMIT_OPTIONS_INIT;
	char *body = malloc(JSON_BODY_MAX + 1);
	size_t len = 0, got = 0;
	const char *path, *format = NULL, *output = NULL, *key;
	json_error_t jerr;
	json_t *doc = NULL, *value;
	int rc = body != NULL ? APPCORE_OK : ac_error_set(err, APPCORE_ENOMEM, "out of memory");

	/* one byte more than the limit tells "too large" from "exactly the limit" */
	while (rc == APPCORE_OK && len <= JSON_BODY_MAX) {
		rc = read(&got, read_ctx, body + len, JSON_BODY_MAX + 1 - len, err);
		if (rc != APPCORE_OK || got == 0)
			break;
		len += got;
	}
	if (rc == APPCORE_OK && len > JSON_BODY_MAX)
		rc = ac_error_set(err, APPCORE_ETOOLARGE,
				  "a JSON job request is at most %d bytes; upload rows as text/csv "
				  "or application/x-ndjson",
				  JSON_BODY_MAX);
	if (rc == APPCORE_OK && (doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		rc = ac_error_set_at(err, APPCORE_EPARSE, jerr.line, jerr.column,
				     "not valid JSON at line %d, column %d: %s", jerr.line,
				     jerr.column, jerr.text);
	free(body);
	if (rc != APPCORE_OK)
		return rc;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return ac_error_set(err, APPCORE_EREQUEST,
				    "expected a JSON object {\"model\": ..., \"input_path\": ...}");
	}
	json_object_foreach(doc, key, value) {
		size_t i;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0])) {
			/* the message quotes the key, which the document owns */
			rc = ac_error_set(err, APPCORE_EREQUEST,
					  "unknown field \"%.64s\" (expected model, version, "
					  "input_path, format, output)",
					  key);
			json_decref(doc);
			return rc;
		}
	}
	if ((rc = json_string_field(&options.model, doc, "model", q->model, err)) ||
	    (rc = json_string_field(&options.model_version, doc, "version", q->version, err)) ||
	    (rc = json_string_field(&path, doc, "input_path", NULL, err)) ||
	    (rc = json_string_field(&format, doc, "format", NULL, err)) ||
	    (rc = json_string_field(&output, doc, "output", q->output, err)) ||
	    (rc = parse_output(&options.output, output, err))) {
		json_decref(doc);
		return rc;
	}
	if (path == NULL)
		rc = ac_error_set(err, APPCORE_EREQUEST, "\"input_path\" is required");
	else if (format != NULL ? strcmp(format, "csv") == 0 : ends_with(path, ".csv"))
		options.format = APPCORE_ROWS_CSV;
	else if (format != NULL ? strcmp(format, "ndjson") == 0
				: ends_with(path, ".ndjson") || ends_with(path, ".jsonl"))
		options.format = APPCORE_ROWS_NDJSON;
	else if (format != NULL)
		rc = ac_error_set(err, APPCORE_EREQUEST,
				  "\"format\": expected \"csv\" or \"ndjson\", got \"%.64s\"", format);
	else
		rc = ac_error_set(err, APPCORE_EREQUEST,
				  "\"format\" is required when input_path does not end in .csv, "
				  ".ndjson or .jsonl");
	if (rc == APPCORE_OK)
		rc = appcore_jobs_submit_path(out, jobs, &options, path, err);
	json_decref(doc);
	return rc;
}

int appcore_jobs_http_submit(appcore_job_status *out, appcore_jobs *jobs, const char *query,
			     const char *content_type, long long content_length,
			     appcore_jobs_read_fn read, void *read_ctx, appcore_error *err)
{
	appcore_jobs_submit_options options = APPCORE_JOBS_SUBMIT_OPTIONS_INIT;
	struct limited limited;
	appcore_error local;
	enum body_kind kind = BODY_CSV;
	struct query q;
	int rc;

	if (out == NULL || jobs == NULL || read == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_http_submit: NULL argument");
	memset(out, 0, sizeof(*out));
	err = AC_JOBS_ERR(err, local);
	if ((rc = body_kind(&kind, content_type, err)) != APPCORE_OK)
		return rc;
	if ((rc = parse_query(&q, query, err)) != APPCORE_OK) {
		query_dispose(&q);
		return rc;
	}
	if (kind == BODY_JSON) {
		rc = submit_json(out, jobs, &q, read, read_ctx, err);
		query_dispose(&q);
		return rc;
	}
	options.model = q.model;
	options.model_version = q.version;
	options.format = kind == BODY_CSV ? APPCORE_ROWS_CSV : APPCORE_ROWS_NDJSON;
	options.input_size = content_length;
	if (q.model == NULL || q.model[0] == '\0')
		rc = ac_error_set(err, APPCORE_EREQUEST,
				  "name the model: POST /v1/jobs?model=NAME[&version=VERSION]");
	else if (content_length >= 0 && (unsigned long long)content_length > jobs->settings.max_upload_bytes)
		rc = ac_error_set(err, APPCORE_ETOOLARGE,
				  "the upload (%lld bytes) is larger than jobs.max_body_bytes (%llu)",
				  content_length, jobs->settings.max_upload_bytes);
	else
		rc = parse_output(&options.output, q.output, err);
	if (rc == APPCORE_OK) {
		limited = (struct limited){ read, read_ctx, jobs->settings.max_upload_bytes, 0 };
		rc = appcore_jobs_submit(out, jobs, &options, read_limited, &limited, err);
	}
	query_dispose(&q);
	return rc;
}
