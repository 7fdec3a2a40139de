/* appcore-cli predict for CSV and NDJSON: lines from a file, scored by the library's row
 * scorer (appcore/rows.h, the one the batch-job workers use), predictions to stdout. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "predict_stream.h"

#define PROGRESS_EVERY 100000

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
		   enum stream_format format, FILE *in, FILE *out, bool progress)
{
	appcore_rows_scorer *scorer = NULL;
	appcore_error err;
	char *line = NULL;
	size_t cap = 0, number = 0;
	ssize_t len;
	int rc = CLI_EXIT_OK;

	if (appcore_rows_scorer_new(&scorer, model,
				    format == STREAM_CSV ? APPCORE_ROWS_CSV : APPCORE_ROWS_NDJSON,
				    options, write_out, out, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli predict: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	while ((len = getline(&line, &cap, in)) >= 0) {
		size_t before = appcore_rows_scorer_rows(scorer);

		if (appcore_rows_scorer_line(scorer, line, (size_t)len, ++number, &err) !=
		    APPCORE_OK) {
			fprintf(stderr, "appcore-cli predict: %s\n", err.message);
			rc = exit_code(&err);
			break;
		}
		if (progress &&
		    appcore_rows_scorer_rows(scorer) / PROGRESS_EVERY != before / PROGRESS_EVERY)
			fprintf(stderr, "\rappcore-cli predict: %zu rows",
				appcore_rows_scorer_rows(scorer));
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
	if (progress)
		fprintf(stderr, "\rappcore-cli predict: %zu rows\n", appcore_rows_scorer_rows(scorer));
	if (rc == CLI_EXIT_OK && ferror(out))
		rc = CLI_EXIT_FAILURE;
	free(line);
	appcore_rows_scorer_free(scorer);
	return rc;
}
