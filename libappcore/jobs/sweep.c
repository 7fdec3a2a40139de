/* Housekeeping the workers do now and then: a job's Redis keys expire on their own
 * (result_ttl_seconds after it finished), its files in the jobs directory do not; and
 * consumers of workers that died stay listed in the group. Both are removed here once they
 * have been untouched for a while. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/error_internal.h"
#include "jobs/jobs_internal.h"

/* Newest modification time of the job's directory and its uploaded input: an upload in
 * progress keeps its directory young. */
static time_t newest_change(const char *job_dir)
{
	struct stat st;
	time_t newest = 0;
	char *input = ac_jobs_path_join(job_dir, "input");

	if (stat(job_dir, &st) == 0)
		newest = st.st_mtime;
	if (input != NULL && stat(input, &st) == 0 && st.st_mtime > newest)
		newest = st.st_mtime;
	free(input);
	return newest;
}

static int sweep_files(size_t *removed, appcore_jobs *jobs, redisContext *c,
		       unsigned int min_age_seconds, appcore_error *err)
{
	char *internal = ac_jobs_path_join(jobs->dir, AC_JOBS_DIR_NAME);
	struct dirent *entry;
	DIR *d;
	int rc = APPCORE_OK;

	if (internal == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	d = opendir(internal);
	if (d == NULL) {
		free(internal);
		return APPCORE_OK;
	}
	while (rc == APPCORE_OK && (entry = readdir(d)) != NULL) {
		char key[AC_JOBS_KEY_SIZE];
		redisReply *reply;
		char *job_dir;

		if (!ac_jobs_id_valid(entry->d_name))
			continue;
		if ((job_dir = ac_jobs_path_join(internal, entry->d_name)) == NULL) {
			rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			break;
		}
		if (time(NULL) - newest_change(job_dir) >= (time_t)min_age_seconds) {
			ac_jobs_key(key, entry->d_name, AC_KEY_JOB);
			rc = ac_redis_command(&reply, jobs, c, err, "EXISTS %s", key);
			if (rc == APPCORE_OK && reply->type == REDIS_REPLY_INTEGER &&
			    reply->integer == 0) {
				if (ac_jobs_remove_tree(job_dir) != 0)
					rc = ac_error_set(err, APPCORE_EIO, "cannot remove %s",
							  job_dir);
				else
					++*removed;
			}
			freeReplyObject(reply);
		}
		free(job_dir);
	}
	closedir(d);
	free(internal);
	return rc;
}

static int sweep_consumers(appcore_jobs *jobs, redisContext *c, unsigned int min_age_seconds,
			   appcore_error *err)
{
	redisReply *reply;
	int rc = ac_redis_command(&reply, jobs, c, err, "XINFO CONSUMERS %s %s", AC_JOBS_QUEUE_KEY,
				  AC_JOBS_GROUP);

	if (rc != APPCORE_OK) {
		/* no queue or no group yet: nothing to tidy */
		return err->code == APPCORE_EINTERNAL ? APPCORE_OK : rc;
	}
	for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
		const redisReply *info = reply->element[i];
		const char *name = NULL;
		long long pending = -1, idle = -1;

		for (size_t k = 0; info->type == REDIS_REPLY_ARRAY && k + 1 < info->elements; k += 2) {
			const redisReply *key = info->element[k], *value = info->element[k + 1];
			if (key->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(key->str, "name") == 0 && value->type == REDIS_REPLY_STRING)
				name = value->str;
			else if (strcmp(key->str, "pending") == 0 &&
				 value->type == REDIS_REPLY_INTEGER)
				pending = value->integer;
			else if (strcmp(key->str, "idle") == 0 && value->type == REDIS_REPLY_INTEGER)
				idle = value->integer;
		}
		if (name != NULL && pending == 0 && idle >= (long long)min_age_seconds * 1000 &&
		    (rc = ac_jobs_retire(jobs, c, name, err)) != APPCORE_OK)
			break;
	}
	freeReplyObject(reply);
	return rc;
}

int appcore_jobs_sweep(size_t *removed, appcore_jobs *jobs, unsigned int min_age_seconds,
		       appcore_error *err)
{
	appcore_error local;
	size_t count = 0;
	redisContext *c;
	int rc;

	if (removed != NULL)
		*removed = 0;
	if (jobs == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_sweep: NULL argument");
	err = AC_JOBS_ERR(err, local);
	if ((rc = ac_jobs_acquire(&c, jobs, err)) != APPCORE_OK)
		return rc;
	rc = sweep_consumers(jobs, c, min_age_seconds, err);
	if (rc == APPCORE_OK && jobs->dir != NULL)
		rc = sweep_files(&count, jobs, c, min_age_seconds, err);
	ac_jobs_release(jobs, c);
	if (removed != NULL)
		*removed = count;
	return rc;
}
