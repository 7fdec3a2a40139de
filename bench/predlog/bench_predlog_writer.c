/* The prediction log's writer, end to end: record N requests of R rows (iris: 4 features,
 * 3 outputs) as fast as one thread can, then wait until every row is committed in
 * PostgreSQL. Prints one JSON line: the cost of appcore_predlog_record() on the caller's thread
 * and the sustained rows/s from the first record to the last commit.
 *
 *   bench_predlog_writer CONNINFO SPOOL_DIR MODEL [REQUESTS] [ROWS_PER_REQUEST] [BATCH_ROWS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <appcore.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	appcore_predlog_options options = APPCORE_PREDLOG_OPTIONS_INIT;
	appcore_predlog_entry entry = APPCORE_PREDLOG_ENTRY_INIT;
	appcore_predlog_stats stats;
	appcore_predlog *log = NULL;
	appcore_model *model = NULL;
	appcore_error err;
	long requests, rows;
	float *inputs, *outputs;
	double start, recorded, done;

	if (argc < 4) {
		fprintf(stderr, "usage: %s CONNINFO SPOOL_DIR MODEL [REQUESTS] [ROWS] [BATCH_ROWS]\n",
			argv[0]);
		return 2;
	}
	requests = argc > 4 ? atol(argv[4]) : 20000;
	rows = argc > 5 ? atol(argv[5]) : 5;
	options.conninfo = argv[1];
	options.spool_dir = argv[2];
	options.batch_rows = argc > 6 ? (size_t)atol(argv[6]) : 1000;
	options.queue_rows = (size_t)(requests * rows) + 1; /* measure the writer, not the policy */
	options.fsync = 1;
	if (appcore_model_load_file(&model, argv[3], NULL, &err) != APPCORE_OK ||
	    appcore_predlog_open(&log, &options, &err) != APPCORE_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	/* wait for the connection and the schema, so the clock measures writing */
	if (appcore_predlog_flush(log, 30000, &err) != APPCORE_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	for (int i = 0; i < 300; i++) {
		appcore_predlog_stats_get(&stats, log);
		if (stats.database_up)
			break;
		struct timespec pause = { 0, 10000000 };
		nanosleep(&pause, NULL);
	}
	inputs = malloc(sizeof(float) * (size_t)rows * appcore_model_num_features(model));
	outputs = malloc(sizeof(float) * (size_t)rows * appcore_model_num_outputs(model));
	for (long i = 0; i < rows * (long)appcore_model_num_features(model); i++)
		inputs[i] = (float)(i % 70) / 10.0f;
	for (long i = 0; i < rows * (long)appcore_model_num_outputs(model); i++)
		outputs[i] = 1.0f / (float)(i + 3);
	entry.model = model;
	entry.inputs = inputs;
	entry.outputs = outputs;
	entry.num_rows = (size_t)rows;
	entry.request_id = "bench-request-0123456789abcdef";
	entry.latency_seconds = 0.0002;
	start = now();
	for (long i = 0; i < requests; i++)
		if (appcore_predlog_record(log, &entry, &err) != APPCORE_OK) {
			fprintf(stderr, "record: %s\n", err.message);
			return 1;
		}
	recorded = now();
	if (appcore_predlog_flush(log, 600000, &err) != APPCORE_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	done = now();
	appcore_predlog_stats_get(&stats, log);
	printf("{\"requests\":%ld,\"rows_per_request\":%ld,\"batch_rows\":%zu,"
	       "\"record_ns_per_request\":%.0f,\"rows_written\":%llu,\"seconds\":%.3f,"
	       "\"rows_per_second\":%.0f}\n",
	       requests, rows, options.batch_rows, (recorded - start) / (double)requests * 1e9,
	       stats.rows_written, done - start, (double)(requests * rows) / (done - start));
	appcore_predlog_close(log);
	appcore_model_unref(model);
	free(inputs);
	free(outputs);
	return stats.rows_written == (unsigned long long)(requests * rows) ? 0 : 1;
}
