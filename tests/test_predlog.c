/* The prediction log's pieces that need no database: options and their errors, the spool's
 * frame format and checksums, COPY text, key ids, and what record() does when the spool is
 * full while the database is unreachable. tests/predlog/ runs it against a real PostgreSQL. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <appcore.h>

#include "check_main.h"

#include "predlog/copy.h"
#include "predlog/record.h"
#include "predlog/spool.h"

#define MODEL TEST_SOURCE_DIR "/examples/models/iris.json"
/* a port nothing listens on: connections are refused at once */
#define NOWHERE "postgresql://appcore@127.0.0.1:1/none?connect_timeout=1"

static char tmp[64];

static void make_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/appcore-predlog-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void remove_tmp(void)
{
	char command[128];
	snprintf(command, sizeof(command), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(command), 0);
}

static appcore_predlog_options options_in(const char *spool)
{
	appcore_predlog_options o = APPCORE_PREDLOG_OPTIONS_INIT;
	o.conninfo = NOWHERE;
	o.spool_dir = spool;
	o.sync_interval_ms = 10;
	o.fsync = 0;
	o.connect_timeout_ms = 500;
	o.shutdown_timeout_ms = 200;
	return o;
}

START_TEST(options_init_gives_the_documented_defaults)
{
	appcore_predlog_options o;

	ck_assert_int_eq(appcore_predlog_options_init(&o, APPCORE_PREDLOG_OPTIONS_VERSION),
			 APPCORE_OK);
	ck_assert_uint_eq(o.queue_rows, 65536);
	ck_assert_uint_eq(o.batch_rows, 1000);
	ck_assert_uint_eq(o.sync_interval_ms, 200);
	ck_assert_int_eq(o.fsync, 1);
	ck_assert_int_eq(o.on_disk_full, APPCORE_PREDLOG_FULL_REFUSE);
	ck_assert_int_eq(appcore_predlog_options_init(&o, 0), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_predlog_options_init(&o, APPCORE_PREDLOG_OPTIONS_VERSION + 1),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_predlog_options_init(NULL, 1), APPCORE_EINVAL);
}
END_TEST

static void assert_open_fails(const appcore_predlog_options *o, int code, const char *message)
{
	appcore_predlog *log = (appcore_predlog *)1;
	appcore_error err;

	ck_assert_int_eq(appcore_predlog_open(&log, o, &err), code);
	ck_assert_ptr_null(log);
	ck_assert_msg(strstr(err.message, message) != NULL, "'%s' lacks '%s'", err.message, message);
}

START_TEST(open_refuses_bad_options_with_the_option_named)
{
	char spool[160], file[96];
	appcore_predlog_options o;
	FILE *f;

	make_tmp();
	snprintf(spool, sizeof(spool), "%s/spool", tmp);
	snprintf(file, sizeof(file), "%s/file", tmp);
	o = options_in(spool);
	o.conninfo = NULL;
	assert_open_fails(&o, APPCORE_ECONFIG, "APPCORE_PREDICTION_LOG_URL");
	o.conninfo = "postgresql://[::1";
	assert_open_fails(&o, APPCORE_ECONFIG, "prediction_log.url: invalid connection string");
	o.conninfo = "host=x nosuchkey=1";
	assert_open_fails(&o, APPCORE_ECONFIG, "invalid connection option \"nosuchkey\"");
	o = options_in(NULL);
	assert_open_fails(&o, APPCORE_ECONFIG, "prediction_log.spool_dir: a directory is required");
	o = options_in(spool);
	o.sample_rate = 1.5;
	assert_open_fails(&o, APPCORE_ECONFIG, "sample_rate must be between 0 and 1, got 1.5");
	o = options_in(spool);
	o.password_file = file;
	assert_open_fails(&o, APPCORE_ECONFIG, "prediction_log.password_file");
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("\nsecond line\n", f);
	fclose(f);
	assert_open_fails(&o, APPCORE_ECONFIG, "no password on its first line");
	/* a spool under a regular file cannot be created */
	snprintf(spool, sizeof(spool), "%s/spool", file);
	o = options_in(spool);
	assert_open_fails(&o, APPCORE_EIO, "cannot create: Not a directory");
	o.version = 99;
	assert_open_fails(&o, APPCORE_EINVAL, "unknown version 99");
	remove_tmp();
}
END_TEST

START_TEST(one_spool_one_process)
{
	char spool[160];
	appcore_predlog_options o;
	appcore_predlog *log = NULL, *second = NULL;
	appcore_error err;
	struct stat st;

	make_tmp();
	snprintf(spool, sizeof(spool), "%s/spool", tmp);
	o = options_in(spool);
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_OK);
	ck_assert_int_eq(stat(spool, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(appcore_predlog_open(&second, &o, &err), APPCORE_EIO);
	ck_assert_ptr_null(second);
	ck_assert_ptr_nonnull(strstr(err.message, "in use by another process"));
	appcore_predlog_close(log);
	/* the lock goes with the log */
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_OK);
	appcore_predlog_close(log);
	appcore_predlog_close(NULL);
	remove_tmp();
}
END_TEST

START_TEST(key_id_is_a_sha256_prefix)
{
	char id[APPCORE_PREDLOG_KEY_ID_SIZE];

	/* SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223... */
	ck_assert_int_eq(appcore_predlog_key_id(id, "abc", 3), APPCORE_OK);
	ck_assert_str_eq(id, "ba7816bf8f01cfea");
	ck_assert_int_eq(appcore_predlog_key_id(id, "", 0), APPCORE_OK);
	ck_assert_str_eq(id, "e3b0c44298fc1c14");
	ck_assert_int_eq(appcore_predlog_key_id(NULL, "abc", 3), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_predlog_key_id(id, NULL, 3), APPCORE_EINVAL);
}
END_TEST

static appcore_model *load_model(void)
{
	appcore_model_load_options lo = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	appcore_model *model = NULL;
	appcore_error err;

	lo.name = "iris\tnew";
	lo.model_version = "v\\1";
	ck_assert_int_eq(appcore_model_load_file(&model, MODEL, &lo, &err), APPCORE_OK);
	return model;
}

START_TEST(frames_round_trip_and_detect_damage)
{
	appcore_model *model = load_model();
	const float inputs[8] = { 1.5f, NAN, 3, 4, 5, 6, 7, 8 };
	const float outputs[6] = { 0.25f, INFINITY, -INFINITY, NAN, 1e-30f, 3 };
	const uint8_t id[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				 0, 0, 0, 0, 0, 0, 0, 42 };
	appcore_predlog_entry entry = APPCORE_PREDLOG_ENTRY_INIT;
	struct pl_record *record;
	struct pl_view view;
	ac_strbuf copy;
	bool too_large;

	entry.request_id = "req\n1";
	entry.model = model;
	entry.inputs = inputs;
	entry.num_rows = 2;
	entry.outputs = outputs;
	entry.output_kind = APPCORE_OUTPUT_MARGIN;
	entry.received_unix_us = 1700000000123456LL;
	entry.latency_seconds = 0.0015;
	entry.client = "ba7816bf8f01cfea";
	record = pl_record_build(&entry, id, true, &too_large);
	ck_assert_ptr_nonnull(record);
	pl_record_seal(record);
	ck_assert_int_eq(pl_frame_check(record->frame, record->size), (long long)record->size);
	ck_assert_int_eq(pl_frame_check(record->frame, record->size - 1), 0);
	ck_assert_int_eq(pl_frame_check(record->frame, 3), 0);
	ck_assert(pl_frame_view(&view, record->frame, record->size));
	ck_assert_uint_eq(view.num_rows, 2);
	ck_assert_uint_eq(view.num_features, 4);
	ck_assert_uint_eq(view.num_outputs, 3);

	ac_strbuf_init(&copy, NULL, 0);
	pl_copy_rows(&copy, &view);
	ac_strbuf_putc(&copy, '\0');
	ck_assert_str_eq(copy.data,
			 "01234567-89ab-cdef-0000-00000000002a\t0\treq\\n1\tiris\\tnew\tv\\\\1\t"
			 "2023-11-14 22:13:20.123456+00\t{1.5,NULL,3,4}\t{0.25,Infinity,-Infinity}\t"
			 "margin\t1.5\tba7816bf8f01cfea\n"
			 "01234567-89ab-cdef-0000-00000000002a\t1\treq\\n1\tiris\\tnew\tv\\\\1\t"
			 "2023-11-14 22:13:20.123456+00\t{5,6,7,8}\t{NaN,1e-30,3}\t"
			 "margin\t1.5\tba7816bf8f01cfea\n");
	ac_strbuf_release(&copy);

	/* any flipped bit is caught by the checksum */
	record->frame[record->size - 1] ^= 1;
	ck_assert_int_eq(pl_frame_check(record->frame, record->size), -1);
	record->frame[record->size - 1] ^= 1;
	record->frame[0] ^= 1;
	ck_assert_int_eq(pl_frame_check(record->frame, record->size), -1);
	free(record);

	/* without inputs (include_inputs false) and without a client */
	entry.client = NULL;
	record = pl_record_build(&entry, id, false, &too_large);
	pl_record_seal(record);
	ck_assert(pl_frame_view(&view, record->frame, record->size));
	ck_assert_ptr_null(view.inputs);
	ac_strbuf_init(&copy, NULL, 0);
	pl_copy_rows(&copy, &view);
	ac_strbuf_putc(&copy, '\0');
	ck_assert_ptr_nonnull(strstr(copy.data, "+00\t\\N\t{0.25,"));
	ck_assert_ptr_nonnull(strstr(copy.data, "\t1.5\t\\N\n"));
	ac_strbuf_release(&copy);
	free(record);
	appcore_model_unref(model);
}
END_TEST

START_TEST(record_validates_its_entry)
{
	char spool[160];
	appcore_predlog_options o;
	appcore_predlog *log = NULL;
	appcore_predlog_entry entry = APPCORE_PREDLOG_ENTRY_INIT;
	appcore_model *model = load_model();
	const float values[4] = { 1, 2, 3, 4 }, out[3] = { 0 };
	appcore_error err;

	make_tmp();
	snprintf(spool, sizeof(spool), "%s/spool", tmp);
	o = options_in(spool);
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_predlog_record(log, &entry, &err), APPCORE_EINVAL);
	entry.model = model;
	entry.inputs = values;
	entry.outputs = out;
	ck_assert_int_eq(appcore_predlog_record(log, &entry, &err), APPCORE_EINVAL); /* 0 rows */
	entry.num_rows = 1;
	entry.version = 2;
	ck_assert_int_eq(appcore_predlog_record(log, &entry, &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "appcore_predlog_entry: unknown version 2");
	entry.version = APPCORE_PREDLOG_ENTRY_VERSION;
	ck_assert_int_eq(appcore_predlog_record(log, &entry, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_predlog_record(NULL, &entry, &err), APPCORE_EINVAL);
	appcore_predlog_close(log);
	appcore_model_unref(model);
	remove_tmp();
}
END_TEST

/* Record 50-row requests until the spool (spool_max_bytes, database unreachable) is full. */
static int fill(appcore_predlog *log, appcore_model *model, int max_requests, int *accepted)
{
	static float inputs[50 * 4], outputs[50 * 3];
	appcore_predlog_entry entry = APPCORE_PREDLOG_ENTRY_INIT;
	appcore_error err;
	int rc = APPCORE_OK;

	entry.model = model;
	entry.inputs = inputs;
	entry.outputs = outputs;
	entry.num_rows = 50;
	*accepted = 0;
	for (int i = 0; i < max_requests; i++) {
		rc = appcore_predlog_record(log, &entry, &err);
		if (rc != APPCORE_OK)
			break;
		(*accepted)++;
		/* let the flusher find the spool full: one record per flush */
		(void)appcore_predlog_flush(log, 0, NULL);
		for (int wait = 0; wait < 2000; wait++) {
			appcore_predlog_stats s;
			appcore_predlog_stats_get(&s, log);
			if (s.queue_rows == 0 || s.spool_full)
				break;
			usleep(1000);
		}
	}
	if (rc != APPCORE_OK)
		ck_assert_str_eq(err.message,
				 "prediction log: the spool is full (disk full or spool_max_bytes)");
	return rc;
}

START_TEST(full_spool_refuses_or_drops_and_counts)
{
	char spool[160];
	appcore_predlog_options o;
	appcore_predlog *log = NULL;
	appcore_model *model = load_model();
	appcore_predlog_stats stats;
	appcore_error err;
	int accepted;

	make_tmp();
	snprintf(spool, sizeof(spool), "%s/refuse", tmp);
	o = options_in(spool);
	o.spool_max_bytes = 65536;
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_OK);
	ck_assert_int_eq(fill(log, model, 1000, &accepted), APPCORE_EUNAVAILABLE);
	appcore_predlog_stats_get(&stats, log);
	ck_assert_int_eq(stats.spool_full, 1);
	ck_assert_int_eq(stats.database_up, 0);
	ck_assert_uint_eq(stats.requests_refused, 1);
	ck_assert_uint_eq(stats.rows_dropped, 0);
	ck_assert_uint_eq(stats.rows_recorded, (unsigned long long)accepted * 50);
	ck_assert_uint_le(stats.spool_bytes, 65536);
	ck_assert_int_eq(appcore_predlog_flush(log, 50, &err), APPCORE_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(err.message, "(database down; last error: "));
	appcore_predlog_close(log);

	snprintf(spool, sizeof(spool), "%s/drop", tmp);
	o = options_in(spool);
	o.spool_max_bytes = 65536;
	o.on_disk_full = APPCORE_PREDLOG_FULL_DROP;
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_OK);
	ck_assert_int_eq(fill(log, model, 100, &accepted), APPCORE_OK);
	ck_assert_int_eq(accepted, 100);
	/* the database is down: flush() gives up, and says the rows got as far as the spool
	 * step (spooled or dropped, and counted), so the counts below are final */
	ck_assert_int_eq(appcore_predlog_flush(log, 100, &err), APPCORE_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(err.message, "rows not in PostgreSQL within 100 ms"));
	appcore_predlog_stats_get(&stats, log);
	ck_assert_uint_eq(stats.rows_recorded, 100 * 50);
	ck_assert_uint_gt(stats.rows_dropped, 0);
	ck_assert_uint_eq(stats.rows_spooled + stats.rows_dropped + stats.queue_rows, 100 * 50);
	appcore_predlog_close(log);
	appcore_model_unref(model);
	remove_tmp();
}
END_TEST

START_TEST(metrics_are_registered_once)
{
	char spool[160];
	appcore_predlog_options o;
	appcore_predlog *log = NULL, *other = NULL;
	appcore_metrics *metrics = NULL;
	appcore_error err;
	char *text = NULL;

	make_tmp();
	snprintf(spool, sizeof(spool), "%s/spool", tmp);
	ck_assert_int_eq(appcore_metrics_new(&metrics, &err), APPCORE_OK);
	o = options_in(spool);
	o.metrics = metrics;
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_render(&text, NULL, metrics, &err), APPCORE_OK);
	ck_assert_ptr_nonnull(strstr(text, "appcore_prediction_log_rows_dropped_total{reason=\"disk_full\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "appcore_prediction_log_database_up 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "appcore_prediction_log_queue_rows 0\n"));
	appcore_free(text);
	/* a second log in the same registry: the names are taken */
	snprintf(spool, sizeof(spool), "%s/other", tmp);
	o.spool_dir = spool;
	ck_assert_int_eq(appcore_predlog_open(&other, &o, &err), APPCORE_EEXISTS);
	appcore_predlog_close(log);
	appcore_metrics_free(metrics);
	remove_tmp();
}
END_TEST


START_TEST(options_from_the_prediction_log_section)
{
	appcore_predlog_options o = APPCORE_PREDLOG_OPTIONS_INIT;
	appcore_config *config = NULL;
	appcore_error err;
	char *const env[] = { "APPCORE_PREDICTION_LOG_URL=postgresql://u@h/db",
			      "APPCORE_PREDICTION_LOG_SAMPLE_RATE=0.25",
			      "APPCORE_PREDICTION_LOG_ON_DISK_FULL=drop", NULL };
	char *const bad_env[] = { "APPCORE_PREDICTION_LOG_SAMPLE_RATE=1.5", NULL };
	char *const typo_env[] = { "APPCORE_PREDICTION_LOG_SAMPLERATE=1", NULL };
	double rate = 0;

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_apply_env(config, env, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_set(config, "prediction_log.batch_rows", "250",
					    APPCORE_CONFIG_FLAG, &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_config_get_double(&rate, config, "prediction_log.sample_rate", &err),
			 APPCORE_OK);
	ck_assert(rate == 0.25);
	ck_assert_int_eq(appcore_predlog_options_from_config(&o, config, &err), APPCORE_OK);
	ck_assert_str_eq(o.conninfo, "postgresql://u@h/db");
	ck_assert_str_eq(o.spool_dir, "/var/lib/appcore/prediction-log");
	ck_assert(o.sample_rate == 0.25);
	ck_assert_int_eq(o.on_disk_full, APPCORE_PREDLOG_FULL_DROP);
	ck_assert_uint_eq(o.batch_rows, 250);
	ck_assert_uint_eq(o.sync_interval_ms, 200);
	ck_assert_int_eq(o.include_inputs, 1);

	/* the number type: range and syntax checked like every other key */
	ck_assert_int_eq(appcore_config_apply_env(config, bad_env, &err), APPCORE_ECONFIG);
	ck_assert_str_eq(err.message,
			 "APPCORE_PREDICTION_LOG_SAMPLE_RATE: must be between 0 and 1, got 1.5");
	ck_assert_int_eq(appcore_config_set(config, "prediction_log.sample_rate", "half",
					    APPCORE_CONFIG_FLAG, &err),
			 APPCORE_ECONFIG);
	ck_assert_str_eq(err.message, "prediction_log.sample_rate: expected a number, got 'half'");
	ck_assert_int_eq(appcore_config_apply_env(config, typo_env, &err), APPCORE_ECONFIG);
	ck_assert_str_eq(err.message, "APPCORE_PREDICTION_LOG_SAMPLERATE: unknown configuration "
				      "variable (did you mean APPCORE_PREDICTION_LOG_SAMPLE_RATE?)");
	ck_assert_int_eq(appcore_predlog_options_from_config(NULL, config, &err), APPCORE_EINVAL);
	appcore_config_free(config);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("predlog");
	TCase *tc = tcase_create("predlog");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, options_init_gives_the_documented_defaults);
	tcase_add_test(tc, open_refuses_bad_options_with_the_option_named);
	tcase_add_test(tc, one_spool_one_process);
	tcase_add_test(tc, key_id_is_a_sha256_prefix);
	tcase_add_test(tc, frames_round_trip_and_detect_damage);
	tcase_add_test(tc, record_validates_its_entry);
	tcase_add_test(tc, full_spool_refuses_or_drops_and_counts);
	tcase_add_test(tc, metrics_are_registered_once);
	tcase_add_test(tc, options_from_the_prediction_log_section);
	suite_add_tcase(s, tc);
	return s;
}
