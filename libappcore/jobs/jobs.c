/* The job store client: options, opening (no connection yet), key names, model lookup. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error_internal.h"
#include "jobs/jobs_internal.h"

int appcore_jobs_options_init(appcore_jobs_options *options, unsigned int version)
{
	const appcore_jobs_options defaults = APPCORE_JOBS_OPTIONS_INIT;

	if (options == NULL || version == 0 || version > APPCORE_JOBS_OPTIONS_VERSION)
		return APPCORE_EINVAL;
	*options = defaults;
	return APPCORE_OK;
}

int appcore_jobs_submit_options_init(appcore_jobs_submit_options *options, unsigned int version)
{
	const appcore_jobs_submit_options defaults = APPCORE_JOBS_SUBMIT_OPTIONS_INIT;

	if (options == NULL || version == 0 || version > APPCORE_JOBS_SUBMIT_OPTIONS_VERSION)
		return APPCORE_EINVAL;
	*options = defaults;
	return APPCORE_OK;
}

int appcore_jobs_options_from_config(appcore_jobs_options *options, const appcore_config *config,
				     appcore_error *err)
{
	long long chunk_rows, visibility, inline_max, ttl, max_body;
	int rc;

	if (options == NULL || config == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_jobs_options_from_config: NULL argument");
	if (options->version == 0 || options->version > APPCORE_JOBS_OPTIONS_VERSION)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_jobs_options_from_config: unknown options version %u",
				    options->version);
	if ((rc = appcore_config_get_string(&options->redis_url, config, "jobs.redis_url", err)) ||
	    (rc = appcore_config_get_string(&options->dir, config, "jobs.dir", err)) ||
	    (rc = appcore_config_get_int(&chunk_rows, config, "jobs.chunk_rows", err)) ||
	    (rc = appcore_config_get_int(&visibility, config, "jobs.visibility_timeout_ms", err)) ||
	    (rc = appcore_config_get_int(&inline_max, config, "jobs.inline_max_bytes", err)) ||
	    (rc = appcore_config_get_int(&ttl, config, "jobs.result_ttl_seconds", err)) ||
	    (rc = appcore_config_get_int(&max_body, config, "jobs.max_body_bytes", err)))
		return rc;
	/* the configuration's ranges already hold these within the fields' types */
	options->chunk_rows = (size_t)chunk_rows;
	options->visibility_timeout_ms = (unsigned int)visibility;
	options->inline_max_bytes = (unsigned long long)inline_max;
	options->result_ttl_seconds = (unsigned int)ttl;
	options->max_upload_bytes = (unsigned long long)max_body;
	return APPCORE_OK;
}

static int open_dir(appcore_jobs *jobs, const char *dir, appcore_error *err)
{
	struct stat st;
	char *internal;

	/* canonical, so that input paths can be checked against it after resolving links */
	jobs->dir = realpath(dir, NULL);
	if (jobs->dir == NULL)
		return ac_error_set(err, APPCORE_ECONFIG, "jobs.dir: %s: %s", dir, strerror(errno));
	if (stat(jobs->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ac_error_set(err, APPCORE_ECONFIG, "jobs.dir: %s: not a directory", dir);
	internal = ac_jobs_path_join(jobs->dir, AC_JOBS_DIR_NAME);
	if (internal == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (mkdir(internal, 0775) != 0 && errno != EEXIST) {
		int rc = ac_error_set(err, APPCORE_ECONFIG, "jobs.dir: cannot create %s: %s",
				      internal, strerror(errno));
		free(internal);
		return rc;
	}
	free(internal);
	return APPCORE_OK;
}

int appcore_jobs_open(appcore_jobs **out, const appcore_jobs_options *options, appcore_error *err)
{
	appcore_jobs *jobs;
	int rc;

	if (out == NULL || options == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_open: NULL argument");
	*out = NULL;
	if (options->version == 0 || options->version > APPCORE_JOBS_OPTIONS_VERSION)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_open: unknown options version %u",
				    options->version);
	if (options->chunk_rows == 0)
		return ac_error_set(err, APPCORE_ECONFIG, "jobs.chunk_rows: must be at least 1");
	if (options->visibility_timeout_ms < 100)
		return ac_error_set(err, APPCORE_ECONFIG,
				    "jobs.visibility_timeout_ms: must be at least 100, got %u",
				    options->visibility_timeout_ms);
	if (options->result_ttl_seconds == 0)
		return ac_error_set(err, APPCORE_ECONFIG, "jobs.result_ttl_seconds: must be at least 1");
	jobs = calloc(1, sizeof(*jobs));
	if (jobs == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	pthread_mutex_init(&jobs->pool_lock, NULL);
	jobs->settings = *options;
	jobs->settings.redis_url = NULL;
	jobs->settings.dir = NULL;
	rc = ac_redis_address_parse(&jobs->address, options->redis_url, err);
	if (rc == APPCORE_OK && options->dir != NULL && options->dir[0] != '\0')
		rc = open_dir(jobs, options->dir, err);
	if (rc != APPCORE_OK) {
		appcore_jobs_close(jobs);
		return rc;
	}
	*out = jobs;
	return APPCORE_OK;
}

void appcore_jobs_close(appcore_jobs *jobs)
{
	if (jobs == NULL)
		return;
	ac_jobs_pool_close(jobs);
	pthread_mutex_destroy(&jobs->pool_lock);
	ac_redis_address_dispose(&jobs->address);
	free(jobs->dir);
	free(jobs);
}

int appcore_jobs_ping(appcore_jobs *jobs, appcore_error *err)
{
	appcore_error local;
	redisContext *c;
	redisReply *reply;
	int rc;

	if (jobs == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_ping: NULL argument");
	err = AC_JOBS_ERR(err, local);
	if ((rc = ac_jobs_acquire(&c, jobs, err)) != APPCORE_OK)
		return rc;
	rc = ac_redis_command(&reply, jobs, c, err, "PING");
	freeReplyObject(reply);
	ac_jobs_release(jobs, c);
	return rc;
}

void ac_jobs_key(char key[AC_JOBS_KEY_SIZE], const char *id, enum ac_job_key which)
{
	static const char *const suffixes[] = { "", ":in", ":out", ":done" };

	snprintf(key, AC_JOBS_KEY_SIZE, "appcore:job:%s%s", id, suffixes[which]);
}

bool ac_jobs_id_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')) || i >= 32)
			return false;
	return i == 32;
}

int ac_jobs_resolve(appcore_model **out, appcore_jobs *jobs, const char *name,
		    const char *version, appcore_error *err)
{
	int rc;

	*out = NULL;
	if (jobs->settings.resolve == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "the job store client has no model resolver");
	rc = jobs->settings.resolve(out, jobs->settings.resolve_ctx, name,
				    version != NULL ? version : "", err);
	if (rc == APPCORE_OK && *out == NULL)
		return ac_error_set(err, APPCORE_EINTERNAL, "model resolver returned no model");
	if (rc == APPCORE_ENOTFOUND) {
		/* a request naming a model that does not exist is a bad request (400) */
		err->code = APPCORE_EBADREQUEST;
		return APPCORE_EBADREQUEST;
	}
	return rc;
}

int appcore_jobs_resolve_single(appcore_model **out, void *ctx, const char *name,
				const char *version, appcore_error *err)
{
	appcore_model *model = ctx;

	if (out == NULL || model == NULL || name == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_resolve_single: NULL argument");
	*out = NULL;
	if (strcmp(name, appcore_model_name(model)) != 0)
		return ac_error_set(err, APPCORE_ENOTFOUND,
				    "no model '%.200s' (this service has model '%s', version '%s')",
				    name, appcore_model_name(model), appcore_model_version(model));
	if (version != NULL && version[0] != '\0' &&
	    strcmp(version, appcore_model_version(model)) != 0)
		return ac_error_set(err, APPCORE_ENOTFOUND,
				    "no version '%.200s' of model '%s' (this service has version '%s')",
				    version, name, appcore_model_version(model));
	*out = appcore_model_ref(model);
	return APPCORE_OK;
}
