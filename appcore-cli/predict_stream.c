/* appcore-cli predict for CSV and NDJSON: lines from a file, scored by the library's row
 * scorer (appcore/rows.h, the one the batch-job workers use), predictions to stdout. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "predict_stream.h"

/* Seconds between two progress lines (the first comes after the first batch). */
#define PROGRESS_INTERVAL 0.5

/* The progress line on a terminal: rows done, rate, and when the input is a regular file
 * (its size known), how much of it was read and the time left at the rate so far. */
struct progress {
	bool on;
	double started, last;
	long long size; /* -1: unknown (a pipe) */
	long long read;
	size_t shown_rows;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_start(struct progress *p, bool on, FILE *in)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->on = on;
	p->size = -1;
	if (on && fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		p->size = (long long)st.st_size - (long long)ftello(in);
	p->started = p->last = now_seconds();
}

static void progress_show(struct progress *p, size_t rows, bool done)
{
	double t = now_seconds(), elapsed = t - p->started;
	double rate = elapsed > 0 ? (double)rows / elapsed : 0;

	if (!p->on || (!done && (rows == p->shown_rows ||
				 (p->shown_rows > 0 && t - p->last < PROGRESS_INTERVAL))))
		return;
	p->last = t;
	p->shown_rows = rows;
	/* \033[K clears what a longer previous line left behind */
	if (done) {
		fprintf(stderr, "\rappcore-cli predict: %zu rows in %.1f s, %.0f rows/s\033[K\n", rows,
			elapsed, rate);
	} else if (p->size > 0 && p->read > 0) {
		double fraction = (double)p->read / (double)p->size;
		double left = elapsed * (1 - fraction) / fraction;

		fprintf(stderr,
			"\rappcore-cli predict: %zu rows, %.0f rows/s, %.0f%% read, ETA %d:%02d\033[K",
			rows, rate, 100 * fraction, (int)(left / 60), (int)left % 60);
	} else {
		fprintf(stderr, "\rappcore-cli predict: %zu rows, %.0f rows/s\033[K", rows, rate);
	}
	fflush(stderr);
}

static int write_out(void *ctx, const char *data, size_t len)
{
	FILE *out = ctx;

	return fwrite(data, 1, len, out) == len ? 0 : -1;
}

static int exit_code(const appcore_error *err)
{
	switch (err->code) {
	case APPCORE_EREQUEST:
	case APPCORE_EPARSE:
		return CLI_EXIT_BAD_INPUT;
	default:
		return CLI_EXIT_FAILURE;
	}
}

int predict_stream(appcore_model *model, const appcore_predict_options *options,
		   enum stream_format format, FILE *in, FILE *out, bool progress,
		   struct cli_predlog *log)
{
	appcore_rows_scorer *scorer = NULL;
	appcore_error err;
	char *line = NULL;
	size_t cap = 0, number = 0;
	ssize_t len;
	int rc = CLI_EXIT_OK;
	struct progress shown;

	if (appcore_rows_scorer_new(&scorer, model,
				    format == STREAM_CSV ? APPCORE_ROWS_CSV : APPCORE_ROWS_NDJSON,
				    options, write_out, out, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli predict: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	if (log->log != NULL)
		appcore_rows_scorer_on_batch(scorer, cli_predlog_batch, log);
	progress_start(&shown, progress, in);
	while ((len = getline(&line, &cap, in)) >= 0) {
		shown.read += len;
		if (appcore_rows_scorer_line(scorer, line, (size_t)len, ++number, &err) !=
		    APPCORE_OK) {
			fprintf(stderr, "appcore-cli predict: %s\n", err.message);
			rc = exit_code(&err);
			break;
		}
		progress_show(&shown, appcore_rows_scorer_rows(scorer), false);
	}
	if (rc == CLI_EXIT_OK && ferror(in)) {
		fprintf(stderr, "appcore-cli predict: read error after line %zu\n", number);
		rc = CLI_EXIT_BAD_INPUT;
	}
	/* rows before a bad line are still answered, so output lines match input lines */
	if (appcore_rows_scorer_flush(scorer, &err) != APPCORE_OK && rc == CLI_EXIT_OK) {
		fprintf(stderr, "appcore-cli predict: %s\n", err.message);
		rc = exit_code(&err);
	}
	progress_show(&shown, appcore_rows_scorer_rows(scorer), true);
	if (rc == CLI_EXIT_OK && ferror(out))
		rc = CLI_EXIT_FAILURE;
	free(line);
	appcore_rows_scorer_free(scorer);
	return rc;
}
