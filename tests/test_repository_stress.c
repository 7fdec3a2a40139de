/* Lookups racing reloads: reader threads look models up and predict without pause while the
 * main thread publishes new versions (rename into place), retires old ones, adds, unloads
 * and loads a second model. No lookup of the swapped model may fail, every reader must see
 * versions only move forward, and a model in use must stay valid after it is retired.
 * scripts/tsan.sh runs this under ThreadSanitizer. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcore.h"
#include "check_main.h"
#include "repo_helpers.h"

#define READERS 4
#define SWAPS 40

struct reader {
	pthread_t thread;
	appcore_repository *repo;
	atomic_int *stop;
	long lookups;
	long failures;
	long regressions;
	unsigned long last_version;
	char first_error[APPCORE_ERROR_MESSAGE_SIZE];
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	const float row[4] = { 6.2f, 2.9f, 4.3f, 1.3f };
	float out[3];

	while (!atomic_load(r->stop)) {
		appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
		appcore_model *model = NULL;
		appcore_error err;
		unsigned long version;
		int rc;

		/* the model by name, and as the default (the only one served most of the time) */
		rc = appcore_repository_get(&model, r->repo, (r->lookups & 1) ? "iris" : NULL, NULL,
					    &err);
		if (rc == APPCORE_EREQUEST && (r->lookups & 1) == 0)
			rc = appcore_repository_get(&model, r->repo, "iris", NULL, &err);
		r->lookups++;
		if (rc != APPCORE_OK) {
			if (r->failures++ == 0)
				snprintf(r->first_error, sizeof(r->first_error), "%s", err.message);
			continue;
		}
		version = strtoul(appcore_model_version(model), NULL, 10);
		if (version < r->last_version)
			r->regressions++;
		r->last_version = version;
		/* use it a little, as a request would, while the writer may retire it */
		if (appcore_repository_predict_options(&options, r->repo, "iris", &err) != APPCORE_OK ||
		    appcore_predict(out, model, row, 1, &options, &err) != APPCORE_OK ||
		    appcore_predict(out, model, row, 1, NULL, &err) != APPCORE_OK) {
			if (r->failures++ == 0)
				snprintf(r->first_error, sizeof(r->first_error), "%s", err.message);
		}
		appcore_model_unref(model);
		if ((r->lookups & 255) == 0) {
			appcore_repository_entry *lines = NULL;
			size_t count = 0;
			if (appcore_repository_list(&lines, &count, r->repo, NULL, &err) != APPCORE_OK ||
			    count == 0)
				r->failures++;
			appcore_free(lines);
		}
	}
	return NULL;
}

START_TEST(lookups_race_reloads)
{
	appcore_repository_options options = APPCORE_REPOSITORY_OPTIONS_INIT;
	struct reader readers[READERS];
	appcore_repository *repo = NULL;
	atomic_int stop;
	appcore_error err;

	repo_make();
	repo_publish("iris", "1", IRIS);
	options.path = repo_path("");
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_repository_reload(repo, &err), APPCORE_OK);
	atomic_init(&stop, 0);
	memset(readers, 0, sizeof(readers));
	for (int i = 0; i < READERS; i++) {
		readers[i].repo = repo;
		readers[i].stop = &stop;
		ck_assert_int_eq(pthread_create(&readers[i].thread, NULL, read_loop, &readers[i]), 0);
	}
	for (int v = 2; v <= SWAPS; v++) {
		char label[16], old[32];

		snprintf(label, sizeof(label), "%d", v);
		repo_publish("iris", label, IRIS);
		ck_assert_int_eq(appcore_repository_reload(repo, &err), APPCORE_OK);
		snprintf(old, sizeof(old), "iris/%d", v - 1);
		repo_delete(old);
		switch (v % 4) {
		case 0: /* a second model comes */
			repo_publish("other", label, FIXTURE("reg_squarederror"));
			ck_assert_int_eq(appcore_repository_reload(repo, &err), APPCORE_OK);
			break;
		case 1: /* ... is unloaded, loaded again */
			ck_assert_int_eq(appcore_repository_unload(repo, "other", &err), APPCORE_OK);
			ck_assert_int_eq(appcore_repository_load(repo, "other", &err), APPCORE_OK);
			break;
		case 2: /* ... and goes */
			repo_delete("other");
			ck_assert_int_eq(appcore_repository_reload(repo, &err), APPCORE_OK);
			break;
		default: /* a reload with nothing to do */
			ck_assert_int_eq(appcore_repository_reload(repo, &err), APPCORE_OK);
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++) {
		pthread_join(readers[i].thread, NULL);
		ck_assert_msg(readers[i].failures == 0, "reader %d: %ld failures of %ld lookups: %s",
			      i, readers[i].failures, readers[i].lookups, readers[i].first_error);
		ck_assert_int_eq(readers[i].regressions, 0);
		ck_assert_int_gt(readers[i].lookups, 0);
	}
	appcore_repository_free(repo);
	repo_remove();
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("repository_stress");
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 280);
	tcase_add_test(tc, lookups_race_reloads);
	suite_add_tcase(s, tc);
	return s;
}
