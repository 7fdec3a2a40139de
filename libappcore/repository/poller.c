/* The repository's own thread: rescans every poll_seconds, and on request
 * (appcore_repository_reload_async(), what a SIGHUP handler calls). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/error_internal.h"
#include "repository/repository_internal.h"

static struct timespec deadline_after(double seconds)
{
	struct timespec t;
	double whole = floor(seconds);

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)whole;
	t.tv_nsec += (long)((seconds - whole) * 1e9);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static void *run(void *arg)
{
	appcore_repository *repo = arg;
	struct timespec next = deadline_after(repo->poll_seconds);

	pthread_mutex_lock(&repo->wake_lock);
	while (!repo->stopping) {
		int waited = 0;

		if (!repo->wake_pending) {
			if (repo->poll_seconds > 0)
				waited = pthread_cond_timedwait(&repo->wake, &repo->wake_lock, &next);
			else
				pthread_cond_wait(&repo->wake, &repo->wake_lock);
		}
		if (repo->stopping)
			break;
		if (!repo->wake_pending && waited != ETIMEDOUT)
			continue; /* spurious wake-up */
		repo->wake_pending = false;
		pthread_mutex_unlock(&repo->wake_lock);
		/* failures are reported through events; nothing to return to */
		appcore_repository_reload(repo, NULL);
		pthread_mutex_lock(&repo->wake_lock);
		if (repo->poll_seconds > 0)
			next = deadline_after(repo->poll_seconds);
	}
	pthread_mutex_unlock(&repo->wake_lock);
	return NULL;
}

int ac_repo_thread_start(appcore_repository *repo, appcore_error *err)
{
	pthread_condattr_t attr;
	int rc = APPCORE_OK;

	pthread_mutex_lock(&repo->wake_lock);
	if (repo->thread_started)
		goto out;
	/* deadlines on the monotonic clock: a clock change must not stall polling */
	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&repo->wake, &attr) != 0) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "cannot set up the repository thread");
		goto out;
	}
	pthread_condattr_destroy(&attr);
	if (pthread_create(&repo->thread, NULL, run, repo) != 0) {
		pthread_cond_destroy(&repo->wake);
		rc = ac_error_set(err, APPCORE_ENOMEM, "cannot start the repository thread: %s",
				  strerror(errno));
		goto out;
	}
	repo->thread_started = true;
out:
	pthread_mutex_unlock(&repo->wake_lock);
	return rc;
}

void ac_repo_thread_wake(appcore_repository *repo)
{
	pthread_mutex_lock(&repo->wake_lock);
	repo->wake_pending = true;
	if (repo->thread_started)
		pthread_cond_signal(&repo->wake);
	pthread_mutex_unlock(&repo->wake_lock);
}

void ac_repo_thread_stop(appcore_repository *repo)
{
	bool started;

	pthread_mutex_lock(&repo->wake_lock);
	started = repo->thread_started;
	repo->stopping = true;
	if (started)
		pthread_cond_signal(&repo->wake);
	pthread_mutex_unlock(&repo->wake_lock);
	if (!started)
		return;
	pthread_join(repo->thread, NULL);
	pthread_cond_destroy(&repo->wake);
	repo->thread_started = false;
}
