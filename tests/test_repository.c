/* The model repository on real directories: layout, version policies, config.yaml, failures
 * that keep the previous version serving, partly written files, junk, unload/load, files. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appcore.h"
#include "check_main.h"
#include "repo_helpers.h"

static struct repo_events events;

static void setup(void)
{
	memset(&events, 0, sizeof(events));
	repo_make();
}

static void teardown(void)
{
	repo_remove();
}

static appcore_repository *open_repo(void (*adjust)(appcore_repository_options *))
{
	appcore_repository_options options = APPCORE_REPOSITORY_OPTIONS_INIT;
	appcore_repository *repo = NULL;
	appcore_error err;

	options.path = repo_path("");
	options.on_event = repo_on_event;
	options.event_data = &events;
	if (adjust != NULL)
		adjust(&options);
	ck_assert_msg(appcore_repository_new(&repo, &options, &err) == APPCORE_OK, "%s",
		      err.message);
	return repo;
}

static void reload(appcore_repository *repo)
{
	appcore_error err;

	ck_assert_msg(appcore_repository_reload(repo, &err) == APPCORE_OK, "%s", err.message);
}

/* The version label a lookup gets, or the error name. */
static const char *served(appcore_repository *repo, const char *name, const char *version)
{
	static char out[64];
	appcore_model *model = NULL;
	appcore_error err;
	int rc = appcore_repository_get(&model, repo, name, version, &err);

	if (rc != APPCORE_OK) {
		ck_assert_ptr_null(model);
		snprintf(out, sizeof(out), "%s", appcore_error_name(rc));
		return out;
	}
	ck_assert_str_eq(appcore_model_name(model), name != NULL ? name : appcore_model_name(model));
	snprintf(out, sizeof(out), "%s", appcore_model_version(model));
	appcore_model_unref(model);
	return out;
}

/* "name version state" lines of the list, joined by ';'. */
static const char *listing(appcore_repository *repo, const char *name)
{
	static char out[4096];
	appcore_repository_entry *lines = NULL;
	size_t count = 0;
	appcore_error err;
	static const char *const states[] = { "READY", "FAILED", "UNLOADED", "EMPTY" };

	ck_assert_msg(appcore_repository_list(&lines, &count, repo, name, &err) == APPCORE_OK,
		      "%s", err.message);
	out[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		size_t used = strlen(out);
		snprintf(out + used, sizeof(out) - used, "%s%s %s %s%s", i ? ";" : "",
			 lines[i].name, lines[i].version ? lines[i].version : "-",
			 states[lines[i].state], lines[i].is_default ? "*" : "");
	}
	appcore_free(lines);
	return out;
}

START_TEST(options_are_checked)
{
	appcore_repository_options options;
	appcore_repository *repo = NULL;
	appcore_error err;

	ck_assert_int_eq(appcore_repository_options_init(NULL, 1), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_repository_options_init(&options, 2), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_repository_options_init(&options, 1), APPCORE_OK);
	ck_assert_uint_eq(options.default_latest, 1);
	ck_assert_int_eq(appcore_repository_new(&repo, NULL, &err), APPCORE_EINVAL);

	options.poll_seconds = -1;
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "poll_seconds must be 0 or more, got -1");
	options.poll_seconds = 0;
	options.default_latest = 0;
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_EINVAL);
	options.default_latest = 1;
	options.default_policy = APPCORE_REPOSITORY_POLICY_SPECIFIC;
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_EINVAL);
	options.default_policy = APPCORE_REPOSITORY_POLICY_LATEST;
	options.version = 99;
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_EINVAL);
	options.version = APPCORE_REPOSITORY_OPTIONS_VERSION;

	options.path = repo_path("missing");
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_ENOTFOUND);
	ck_assert_ptr_null(repo);
	repo_write("file", "x");
	options.path = repo_path("file");
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_EIO);
	appcore_repository_free(NULL);
}
END_TEST

START_TEST(two_models_two_versions)
{
	appcore_repository *repo;
	appcore_model *model = NULL;
	appcore_error err;

	repo_copy("iris/1/model.json", IRIS, (size_t)-1);
	repo_copy("iris/2/model.json", IRIS, (size_t)-1);
	repo_copy("reg/1/model.json", FIXTURE("reg_squarederror"), (size_t)-1);
	repo_copy("reg/7/model.json", FIXTURE("reg_squarederror"), (size_t)-1);
	repo_write("reg/config.yaml", "version_policy: all\n");
	repo = open_repo(NULL);
	/* nothing before the first reload */
	ck_assert_str_eq(served(repo, "iris", NULL), "not_found");
	ck_assert_uint_eq(appcore_repository_num_ready(repo), 0);
	reload(repo);
	ck_assert_uint_eq(appcore_repository_num_ready(repo), 2);
	/* latest: 1 by default; "all" from config.yaml */
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	ck_assert_str_eq(served(repo, "iris", "2"), "2");
	ck_assert_str_eq(served(repo, "iris", "1"), "not_found");
	ck_assert_str_eq(served(repo, "reg", NULL), "7");
	ck_assert_str_eq(served(repo, "reg", "1"), "1");
	ck_assert_str_eq(served(repo, "reg", "7"), "7");
	ck_assert_str_eq(served(repo, "nope", NULL), "not_found");
	ck_assert_int_eq(appcore_repository_get(&model, repo, "reg", "3", &err), APPCORE_ENOTFOUND);
	ck_assert_str_eq(err.message, "model 'reg' has no version '3' (served: 7, ...)");
	ck_assert_str_eq(listing(repo, NULL), "iris 2 READY*;reg 7 READY*;reg 1 READY");
	ck_assert_str_eq(listing(repo, "reg"), "reg 7 READY*;reg 1 READY");
	ck_assert_int_eq(appcore_repository_list(NULL, NULL, repo, "x", &err), APPCORE_EINVAL);
	{
		appcore_repository_entry *lines;
		size_t count;
		ck_assert_int_eq(appcore_repository_list(&lines, &count, repo, "x", &err),
				 APPCORE_ENOTFOUND);
	}
	/* two models and no default: a lookup without a name must say so */
	ck_assert_int_eq(appcore_repository_get(&model, repo, NULL, NULL, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "2 models are served and none is the default: name one");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOADED], 3);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 0);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_IGNORED], 0);
	/* a second reload with nothing changed does nothing */
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOADED], 3);
	appcore_repository_free(repo);
}
END_TEST

static void default_iris(appcore_repository_options *options)
{
	options->default_model = "iris";
}

START_TEST(default_model_rules)
{
	appcore_repository *repo;
	appcore_model *model = NULL;
	appcore_error err;

	repo_copy("iris/3/model.json", IRIS, (size_t)-1);
	repo = open_repo(NULL);
	ck_assert_int_eq(appcore_repository_get(&model, repo, NULL, NULL, &err),
			 APPCORE_EUNAVAILABLE);
	ck_assert_str_eq(err.message, "no model is loaded");
	reload(repo);
	/* the only model is the default */
	ck_assert_str_eq(served(repo, NULL, NULL), "3");
	repo_copy("reg/1/model.json", FIXTURE("reg_squarederror"), (size_t)-1);
	reload(repo);
	ck_assert_str_eq(served(repo, NULL, NULL), "invalid_request");
	appcore_repository_free(repo);

	repo = open_repo(default_iris);
	reload(repo);
	ck_assert_str_eq(served(repo, NULL, NULL), "3");
	appcore_repository_free(repo);
}
END_TEST

START_TEST(version_policies)
{
	appcore_repository *repo;

	for (int v = 1; v <= 4; v++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "a/%d/model.json", v);
		repo_copy(rel, IRIS, (size_t)-1);
		snprintf(rel, sizeof(rel), "b/%d/model.json", v);
		repo_copy(rel, IRIS, (size_t)-1);
		snprintf(rel, sizeof(rel), "c/%d/model.json", v);
		repo_copy(rel, IRIS, (size_t)-1);
		snprintf(rel, sizeof(rel), "d/%d/model.json", v);
		repo_copy(rel, IRIS, (size_t)-1);
	}
	repo_write("a/config.yaml", "version_policy:\n  latest: 2\n");
	repo_write("b/config.yaml", "version_policy: {specific: [3, 1]}\n");
	repo_write("c/config.yaml", "version_policy:\n  all: {}\n");
	repo_write("d/config.yaml", "version_policy: latest\n");
	repo = open_repo(NULL);
	reload(repo);
	ck_assert_str_eq(listing(repo, "a"), "a 4 READY*;a 3 READY");
	ck_assert_str_eq(listing(repo, "b"), "b 3 READY*;b 1 READY");
	ck_assert_str_eq(listing(repo, "c"), "c 4 READY*;c 3 READY;c 2 READY;c 1 READY");
	ck_assert_str_eq(listing(repo, "d"), "d 4 READY*");
	/* the policy changes: versions follow without a restart */
	repo_write("a/config.yaml", "version_policy: {latest: 1}\n");
	repo_write("d/config.yaml", "version_policy: {specific: [2]}\n");
	reload(repo);
	ck_assert_str_eq(listing(repo, "a"), "a 4 READY*");
	ck_assert_str_eq(listing(repo, "d"), "d 2 READY*");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_UNLOADED], 2);
	appcore_repository_free(repo);
}
END_TEST

static void expect_config_error(const char *yaml, const char *message)
{
	appcore_repository *repo;
	char expected[1024];

	repo_copy("m/1/model.json", IRIS, (size_t)-1);
	repo_write("m/config.yaml", yaml);
	memset(&events, 0, sizeof(events));
	repo = open_repo(NULL);
	reload(repo);
	/* a new model with a broken config.yaml loads nothing and says why */
	ck_assert_str_eq(served(repo, "m", NULL), "not_ready");
	ck_assert_str_eq(listing(repo, "m"), "m - FAILED");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 1);
	snprintf(expected, sizeof(expected), "m - %s%s", repo_path("m/config.yaml"), message);
	ck_assert_str_eq(events.last[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], expected);
	appcore_repository_free(repo);
	repo_delete("m");
}

START_TEST(config_errors)
{
	expect_config_error("version_policy: {latest: two}\n",
			    ":1:26: version_policy.latest: expected an integer from 1 to 1000000, "
			    "got 'two'");
	expect_config_error("version_policy: newest\n",
			    ":1:17: version_policy: expected one of 'all', 'latest', {latest: N}, "
			    "{all: {}} or {specific: [versions]}");
	expect_config_error("version_policy: {specific: [1, 1]}\n",
			    ":1:18: version_policy.specific: version 1 is listed twice");
	expect_config_error("max_batch_rows: \"10\"\n",
			    ":1:17: max_batch_rows: expected an integer, got a quoted string");
	expect_config_error("iteration_range: [5, 2]\n",
			    ":1:22: iteration_range: end (2) must be greater than begin (5), or 0 "
			    "for the last iteration");
	expect_config_error("feature_names: [a, a]\n", ":1:20: feature_names: 'a' is listed twice");
	expect_config_error("use_best_iteration: maybe\n",
			    ":1:21: use_best_iteration: expected true or false, got 'maybe'");
	expect_config_error("max_batch_row: 3\n",
			    ":1:1: (root): unknown key 'max_batch_row' (expected version_policy, "
			    "use_best_iteration, iteration_range, max_batch_rows or feature_names)");
	expect_config_error("version_policy: [\n", ":2:1: flow sequence without a closing bracket");
}
END_TEST

START_TEST(config_settings)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_repository *repo;
	appcore_model *model = NULL;
	appcore_error err;
	size_t column;

	repo_copy("iris/1/model.json", IRIS, (size_t)-1);
	repo_write("iris/config.yaml", "max_batch_rows: 5\n"
				       "iteration_range: [0, 10]\n"
				       "feature_names: [sl, sw, pl, pw]\n");
	repo = open_repo(NULL);
	reload(repo);
	ck_assert_int_eq(appcore_repository_predict_options(&options, repo, "iris", &err),
			 APPCORE_OK);
	ck_assert_uint_eq(options.max_batch_rows, 5);
	ck_assert_uint_eq(options.iteration_begin, 0);
	ck_assert_uint_eq(options.iteration_end, 10);
	ck_assert_int_eq(appcore_repository_get(&model, repo, "iris", NULL, &err), APPCORE_OK);
	ck_assert_str_eq(appcore_model_feature_name(model, 3), "pw");
	ck_assert_int_eq(appcore_model_feature_index(&column, model, "pl"), APPCORE_OK);
	ck_assert_uint_eq(column, 2);
	ck_assert_int_eq(appcore_model_feature_index(&column, model, "petal_length"),
			 APPCORE_ENOTFOUND);
	appcore_model_unref(model);

	/* a setting that shapes models reloads every version; a limit only republishes */
	repo_write("iris/config.yaml", "max_batch_rows: 7\nfeature_names: [sl, sw, pl, pw]\n"
				       "iteration_range: [0, 10]\n");
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOADED], 1);
	ck_assert_int_eq(appcore_repository_predict_options(&options, repo, "iris", &err),
			 APPCORE_OK);
	ck_assert_uint_eq(options.max_batch_rows, 7);

	/* three names for four features: the version fails, the old one keeps serving */
	repo_write("iris/config.yaml", "feature_names: [a, b, c]\n");
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "1");
	ck_assert_str_eq(listing(repo, "iris"), "iris 1 READY*;iris 1 FAILED");
	ck_assert_str_eq(events.last[APPCORE_REPOSITORY_EVENT_LOAD_FAILED],
			 "iris 1 config.yaml: feature_names lists 3 names, the model has 4 "
			 "features");
	ck_assert_int_eq(appcore_repository_get(&model, repo, "iris", NULL, &err), APPCORE_OK);
	ck_assert_str_eq(appcore_model_feature_name(model, 3), "pw");
	appcore_model_unref(model);

	/* an iteration range beyond the model */
	repo_write("iris/config.yaml", "iteration_range: [0, 500]\n");
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 2);
	ck_assert_msg(strstr(events.last[APPCORE_REPOSITORY_EVENT_LOAD_FAILED],
			     "config.yaml: iteration_range") != NULL,
		      "%s", events.last[APPCORE_REPOSITORY_EVENT_LOAD_FAILED]);

	/* config.yaml removed: defaults again, the model reloads with its own names */
	repo_delete("iris/config.yaml");
	reload(repo);
	ck_assert_str_eq(listing(repo, "iris"), "iris 1 READY*");
	ck_assert_int_eq(appcore_repository_get(&model, repo, "iris", NULL, &err), APPCORE_OK);
	ck_assert_str_eq(appcore_model_feature_name(model, 3), "petal_width");
	appcore_model_unref(model);
	ck_assert_int_eq(appcore_repository_predict_options(&options, repo, "iris", &err),
			 APPCORE_OK);
	ck_assert_uint_eq(options.max_batch_rows, APPCORE_PREDICT_DEFAULT_MAX_BATCH_ROWS);
	appcore_repository_free(repo);
}
END_TEST

START_TEST(broken_version_keeps_previous)
{
	appcore_repository *repo;
	appcore_model *held = NULL;
	appcore_error err;
	float row[4] = { 5.1f, 3.5f, 1.4f, 0.2f }, out[3];

	repo_copy("iris/1/model.json", IRIS, (size_t)-1);
	repo = open_repo(NULL);
	reload(repo);
	ck_assert_int_eq(appcore_repository_get(&held, repo, "iris", NULL, &err), APPCORE_OK);

	repo_write("iris/2/model.json", "{\"learner\": 42}");
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "1");
	ck_assert_str_eq(listing(repo, "iris"), "iris 1 READY*;iris 2 FAILED");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 1);
	/* unchanged files are not retried (nor reported again) */
	reload(repo);
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 1);

	/* fixed: version 2 replaces 1, and whoever held 1 can still use it */
	repo_copy("iris/2/model.json", IRIS, (size_t)-1);
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	ck_assert_str_eq(listing(repo, "iris"), "iris 2 READY*");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_UNLOADED], 1);
	ck_assert_str_eq(appcore_model_version(held), "1");
	ck_assert_int_eq(appcore_predict(out, held, row, 1, NULL, &err), APPCORE_OK);
	appcore_model_unref(held);

	/* the served version's file broken in place: the loaded model stays */
	repo_write("iris/2/model.json", "not json");
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	ck_assert_str_eq(listing(repo, "iris"), "iris 2 READY*;iris 2 FAILED");
	appcore_repository_free(repo);
}
END_TEST

START_TEST(partly_written_file_is_retried)
{
	appcore_repository *repo;
	struct stat st;

	ck_assert_int_eq(stat(IRIS, &st), 0);
	repo_copy("iris/1/model.json", IRIS, (size_t)-1);
	repo = open_repo(NULL);
	reload(repo);
	/* a copy in progress: half the file */
	repo_copy("iris/2/model.json", IRIS, (size_t)st.st_size / 2);
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "1");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 1);
	/* the copy finishes: the next scan sees a different file and loads it */
	repo_copy("iris/2/model.json", IRIS, (size_t)-1);
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	/* an empty version directory (mkdir, then copy) is waited for, not an error */
	repo_mkdir("iris/3");
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 1);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_IGNORED], 1);
	repo_copy("iris/3/model.json", IRIS, (size_t)-1);
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "3");
	appcore_repository_free(repo);
}
END_TEST

START_TEST(junk_is_reported_and_skipped)
{
	appcore_repository *repo;
	char expected[1024];

	repo_copy("good/1/model.json", IRIS, (size_t)-1);
	repo_copy("good/latest/model.json", IRIS, (size_t)-1); /* not an integer */
	repo_copy("good/0/model.json", IRIS, (size_t)-1);      /* not positive */
	repo_copy("good/01/model.json", IRIS, (size_t)-1);     /* leading zero */
	repo_write("good/README", "versions live here\n");     /* a file among versions */
	repo_write("notes.txt", "hello\n");                     /* a file among models */
	repo_copy("bad name/1/model.json", IRIS, (size_t)-1);  /* not a valid name */
	repo_copy(".staging/1/model.json", IRIS, (size_t)-1);  /* hidden: silently skipped */
	ck_assert_int_eq(symlink("loop", repo_path("loop")), 0); /* a symlink loop */
	repo_mkdir("dangling/1");
	ck_assert_int_eq(symlink("/nonexistent/model.json", repo_path("dangling/1/model.json")), 0);
	repo_mkdir("isdir/1/model.json"); /* unreadable: a directory */
	repo_mkdir("empty");              /* a model without versions */
	repo = open_repo(NULL);
	reload(repo);
	ck_assert_str_eq(served(repo, "good", NULL), "1");
	ck_assert_str_eq(served(repo, "dangling", NULL), "not_ready");
	ck_assert_str_eq(served(repo, "isdir", NULL), "not_ready");
	ck_assert_str_eq(served(repo, "empty", NULL), "not_ready");
	ck_assert_str_eq(served(repo, "bad name", NULL), "not_found");
	ck_assert_str_eq(listing(repo, NULL),
			 "dangling 1 FAILED;empty - EMPTY;good 1 READY*;isdir 1 FAILED");
	/* latest, 0, 01, README, notes.txt, bad name, loop */
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_IGNORED], 7);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 2);
	snprintf(expected, sizeof(expected), "- - %s: cannot read: Too many levels of symbolic links\n",
		 repo_path("loop"));
	ck_assert_msg(strstr(events.log, expected) != NULL, "%s", events.log);
	/* reported once, not at every scan */
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_IGNORED], 7);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 2);
	appcore_repository_free(repo);
}
END_TEST

START_TEST(ten_thousand_empty_directories)
{
	appcore_repository *repo;
	struct timespec start, end;
	double seconds;

	for (int i = 0; i < 10000; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "junk%05d", i);
		repo_mkdir(rel);
	}
	repo_copy("zgood/1/model.json", IRIS, (size_t)-1);
	repo = open_repo(NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	reload(repo);
	clock_gettime(CLOCK_MONOTONIC, &end);
	seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	ck_assert_str_eq(served(repo, "zgood", NULL), "1");
	ck_assert_str_eq(served(repo, NULL, NULL), "1"); /* still the only model served */
	ck_assert_uint_eq(appcore_repository_num_ready(repo), 1);
	ck_assert_str_eq(listing(repo, "junk04242"), "junk04242 - EMPTY");
	/* seconds natively; generous enough for valgrind and a loaded machine, and still a bound
	 * a scan quadratic in the entries would break */
	ck_assert_msg(seconds < 120, "first scan took %.1f s", seconds);
	/* a poll over the same directories is cheap and quiet */
	clock_gettime(CLOCK_MONOTONIC, &start);
	reload(repo);
	clock_gettime(CLOCK_MONOTONIC, &end);
	seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	ck_assert_msg(seconds < 60, "second scan took %.1f s", seconds);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOADED], 1);
	appcore_repository_free(repo);
}
END_TEST

START_TEST(unload_and_load)
{
	appcore_repository *repo;
	appcore_error err;

	repo_copy("iris/1/model.json", IRIS, (size_t)-1);
	repo_copy("other/1/model.json", IRIS, (size_t)-1);
	repo = open_repo(NULL);
	reload(repo);
	ck_assert_int_eq(appcore_repository_unload(repo, "iris", &err), APPCORE_OK);
	ck_assert_str_eq(served(repo, "iris", NULL), "not_ready");
	ck_assert_str_eq(listing(repo, "iris"), "iris - UNLOADED");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_UNLOADED], 1);
	/* stays unloaded across reloads, even when a new version appears */
	repo_copy("iris/2/model.json", IRIS, (size_t)-1);
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "not_ready");
	ck_assert_int_eq(appcore_repository_unload(repo, "iris", &err), APPCORE_OK);
	ck_assert_int_eq(appcore_repository_load(repo, "iris", &err), APPCORE_OK);
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	ck_assert_str_eq(served(repo, "other", NULL), "1");

	ck_assert_int_eq(appcore_repository_unload(repo, "nope", &err), APPCORE_ENOTFOUND);
	ck_assert_str_eq(err.message, "no model named 'nope' in the repository");
	ck_assert_int_eq(appcore_repository_load(repo, "nope", &err), APPCORE_ENOTFOUND);
	ck_assert_int_eq(appcore_repository_load(repo, "../iris", &err), APPCORE_ENOTFOUND);
	ck_assert_int_eq(appcore_repository_load(NULL, "x", &err), APPCORE_EINVAL);

	/* load retries a broken version even though its file did not change, and says why */
	repo_write("iris/3/model.json", "{");
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 1);
	ck_assert_int_eq(appcore_repository_load(repo, "iris", &err), APPCORE_EMODEL);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 2);
	ck_assert_str_eq(served(repo, "iris", NULL), "2");

	/* a model directory that appears is loaded by load() before any scan */
	repo_copy("late/5/model.json", IRIS, (size_t)-1);
	ck_assert_int_eq(appcore_repository_load(repo, "late", &err), APPCORE_OK);
	ck_assert_str_eq(served(repo, "late", NULL), "5");
	/* and a model directory without versions cannot load */
	repo_mkdir("hollow");
	ck_assert_int_eq(appcore_repository_load(repo, "hollow", &err), APPCORE_ENOTFOUND);
	appcore_repository_free(repo);
}
END_TEST

START_TEST(removed_directories_are_retired)
{
	appcore_repository *repo;

	repo_copy("iris/1/model.json", IRIS, (size_t)-1);
	repo_copy("iris/2/model.json", IRIS, (size_t)-1);
	repo_copy("other/1/model.json", IRIS, (size_t)-1);
	repo = open_repo(NULL);
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	/* the newest version retired by removing it: the previous one comes back */
	repo_delete("iris/2");
	reload(repo);
	ck_assert_str_eq(served(repo, "iris", NULL), "1");
	repo_delete("other");
	reload(repo);
	ck_assert_str_eq(served(repo, "other", NULL), "not_found");
	ck_assert_str_eq(listing(repo, NULL), "iris 1 READY*");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_UNLOADED], 2);
	appcore_repository_free(repo);
}
END_TEST

START_TEST(safe_publish_by_rename)
{
	appcore_repository *repo;

	repo_publish("iris", "1", IRIS);
	repo = open_repo(NULL);
	reload(repo);
	for (int v = 2; v <= 5; v++) {
		char label[8], old[16];
		snprintf(label, sizeof(label), "%d", v);
		repo_publish("iris", label, IRIS);
		reload(repo);
		ck_assert_str_eq(served(repo, "iris", NULL), label);
		snprintf(old, sizeof(old), "iris/%d", v - 1);
		repo_delete(old);
	}
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 0);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_IGNORED], 0);
	appcore_repository_free(repo);
}
END_TEST

START_TEST(files_without_directory)
{
	appcore_model_load_options load = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	appcore_repository_options options = APPCORE_REPOSITORY_OPTIONS_INIT;
	appcore_repository *repo = NULL;
	appcore_error err;

	options.on_event = repo_on_event;
	options.event_data = &events;
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_OK);
	repo_copy("iris.json", IRIS, (size_t)-1);
	load.name = "flowers";
	load.model_version = "4";
	ck_assert_int_eq(appcore_repository_add_file(repo, repo_path("iris.json"), &load, &err),
			 APPCORE_OK);
	ck_assert_str_eq(served(repo, "flowers", NULL), "4");
	ck_assert_str_eq(served(repo, NULL, NULL), "4");
	ck_assert_int_eq(appcore_repository_add_file(repo, repo_path("iris.json"), &load, &err),
			 APPCORE_EEXISTS);
	ck_assert_str_eq(err.message, "a model named 'flowers' is already served");
	ck_assert_int_eq(appcore_repository_add_file(repo, repo_path("none.json"), NULL, &err),
			 APPCORE_EIO);
	/* without options: the file name, no version */
	repo_copy("reg.json", FIXTURE("reg_squarederror"), (size_t)-1);
	ck_assert_int_eq(appcore_repository_add_file(repo, repo_path("reg.json"), NULL, &err),
			 APPCORE_OK);
	ck_assert_str_eq(served(repo, "reg", NULL), "");
	ck_assert_str_eq(served(repo, "reg", ""), "");
	/* a reload re-reads a changed file; a broken rewrite keeps the loaded model */
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOADED], 2);
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOADED], 2);
	repo_write("iris.json", "[]");
	reload(repo);
	ck_assert_str_eq(served(repo, "flowers", NULL), "4");
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOAD_FAILED], 1);
	repo_copy("iris.json", IRIS, (size_t)-1);
	reload(repo);
	ck_assert_uint_eq(events.count[APPCORE_REPOSITORY_EVENT_LOADED], 3);
	ck_assert_int_eq(appcore_repository_unload(repo, "flowers", &err), APPCORE_OK);
	ck_assert_str_eq(served(repo, "flowers", NULL), "not_ready");
	ck_assert_int_eq(appcore_repository_load(repo, "flowers", &err), APPCORE_OK);
	ck_assert_str_eq(served(repo, "flowers", NULL), "4");
	appcore_repository_free(repo);
}
END_TEST

/* Polling and asynchronous reloads: wait on the event, with a deadline. */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t loaded;
};

static void count_loaded(const appcore_repository_event *event, void *data)
{
	struct waiter *w = data;

	if (event->kind != APPCORE_REPOSITORY_EVENT_LOADED)
		return;
	pthread_mutex_lock(&w->lock);
	w->loaded++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static int wait_loaded(struct waiter *w, size_t n)
{
	struct timespec deadline;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	pthread_mutex_lock(&w->lock);
	while (w->loaded < n && rc == 0)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, &deadline);
	pthread_mutex_unlock(&w->lock);
	return w->loaded >= n;
}

static struct waiter waiter = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void polled(appcore_repository_options *options)
{
	options->poll_seconds = 0.05;
	options->on_event = count_loaded;
	options->event_data = &waiter;
}

START_TEST(polling_and_async_reload)
{
	appcore_repository *repo;
	appcore_error err;

	repo_publish("iris", "1", IRIS);
	repo = open_repo(polled);
	ck_assert(wait_loaded(&waiter, 1));
	ck_assert_str_eq(served(repo, "iris", NULL), "1");
	repo_publish("iris", "2", IRIS);
	ck_assert(wait_loaded(&waiter, 2));
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	appcore_repository_free(repo);

	waiter.loaded = 0;
	repo = open_repo(NULL);
	ck_assert_int_eq(appcore_repository_reload_async(NULL, &err), APPCORE_EINVAL);
	appcore_repository_free(repo);
	{
		appcore_repository_options options = APPCORE_REPOSITORY_OPTIONS_INIT;
		options.path = repo_path("");
		options.on_event = count_loaded;
		options.event_data = &waiter;
		ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_OK);
	}
	ck_assert_int_eq(appcore_repository_reload_async(repo, &err), APPCORE_OK);
	ck_assert(wait_loaded(&waiter, 1));
	ck_assert_str_eq(served(repo, "iris", NULL), "2");
	appcore_repository_free(repo);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("repository");
	TCase *tc = tcase_create("repository");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, options_are_checked);
	tcase_add_test(tc, two_models_two_versions);
	tcase_add_test(tc, default_model_rules);
	tcase_add_test(tc, version_policies);
	tcase_add_test(tc, config_errors);
	tcase_add_test(tc, config_settings);
	tcase_add_test(tc, broken_version_keeps_previous);
	tcase_add_test(tc, partly_written_file_is_retried);
	tcase_add_test(tc, junk_is_reported_and_skipped);
	tcase_add_test(tc, ten_thousand_empty_directories);
	tcase_add_test(tc, unload_and_load);
	tcase_add_test(tc, removed_directories_are_retired);
	tcase_add_test(tc, safe_publish_by_rename);
	tcase_add_test(tc, files_without_directory);
	tcase_add_test(tc, polling_and_async_reload);
	suite_add_tcase(s, tc);
	return s;
}
