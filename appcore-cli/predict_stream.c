#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "predict_stream.h"

#define BATCH_ROWS 1024
#define PROGRESS_EVERY 100000

struct stream {
	const appcore_model *model;
	const appcore_predict_options *options;
	enum stream_format format;
	FILE *out;
	bool progress;
	size_t nf, width;
	float *rows, *values;
	size_t pending;       /* rows in the current batch */
	size_t done;          /* rows predicted so far */
	long *column_feature; /* CSV with header: column -> feature, -1 = unknown */
	size_t columns;
};

static int flush_batch(struct stream *s)
{
	appcore_error err;
	int rc;

	if (s->pending == 0)
		return CLI_EXIT_OK;
	rc = appcore_predict(s->values, s->model, s->rows, s->pending, s->options, &err);
	if (rc != APPCORE_OK) {
		fprintf(stderr, "appcore-cli predict: %s\n", err.message);
		return rc == APPCORE_EREQUEST ? CLI_EXIT_BAD_INPUT : CLI_EXIT_FAILURE;
	}
	for (size_t r = 0; r < s->pending; r++) {
		const float *v = s->values + r * s->width;
		bool brackets = s->format == STREAM_NDJSON && s->width > 1;
		char number[16];

		fputs(brackets ? "[" : "", s->out);
		for (size_t k = 0; k < s->width; k++) {
			appcore_format_value(number, sizeof(number), v[k]);
			fprintf(s->out, "%s%s", k ? "," : "", number);
		}
		fputs(brackets ? "]\n" : "\n", s->out);
	}
	if (s->progress && (s->done + s->pending) / PROGRESS_EVERY != s->done / PROGRESS_EVERY)
		fprintf(stderr, "\rappcore-cli predict: %zu rows", s->done + s->pending);
	s->done += s->pending;
	s->pending = 0;
	return ferror(s->out) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static bool is_missing(const char *field)
{
	return field[0] == '\0' || strcasecmp(field, "nan") == 0 || strcmp(field, "NA") == 0;
}

/* A finite float32. strtof reports ERANGE both for overflow (an infinity: refused) and for
 * underflow to a subnormal or zero, which is a real value: XGBoost writes 1.4e-45 as a split
 * for 0/1 features, and JSON inputs accept subnormals too. */
static bool parse_number(const char *field, float *value)
{
	char *end;

	if (is_missing(field)) {
		*value = NAN;
		return true;
	}
	errno = 0;
	*value = strtof(field, &end);
	return end != field && *end == '\0' && isfinite(*value);
}

/* Split line (modified in place) at commas; returns the number of fields. */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;

	for (char *p = line;; p++) {
		if (n < max)
			fields[n] = p;
		n++;
		p = strchr(p, ',');
		if (p == NULL)
			return n;
		*p = '\0';
	}
}

static void strip_quotes(char **field)
{
	size_t len = strlen(*field);

	if (len >= 2 && (*field)[0] == '"' && (*field)[len - 1] == '"') {
		(*field)[len - 1] = '\0';
		(*field)++;
	}
}

static int csv_header(struct stream *s, char **fields, size_t n, size_t line)
{
	if (appcore_model_feature_name(s->model, 0) == NULL) {
		fprintf(stderr, "appcore-cli predict: line %zu: a header row, but the model has no "
				"feature names to match it; remove the header\n", line);
		return CLI_EXIT_BAD_INPUT;
	}
	/* a line has at least one field */
	s->column_feature = malloc((n ? n : 1) * sizeof(*s->column_feature));
	if (s->column_feature == NULL)
		return CLI_EXIT_FAILURE;
	s->columns = n;
	for (size_t c = 0; c < n; c++) {
		strip_quotes(&fields[c]);
		s->column_feature[c] = -1;
		for (size_t f = 0; f < s->nf; f++)
			if (strcmp(fields[c], appcore_model_feature_name(s->model, f)) == 0)
				s->column_feature[c] = (long)f;
		if (s->column_feature[c] < 0) {
			fprintf(stderr, "appcore-cli predict: line %zu: column %zu: unknown feature "
					"\"%s\"\n", line, c + 1, fields[c]);
			return CLI_EXIT_BAD_INPUT;
		}
	}
	return CLI_EXIT_OK;
}

static int csv_line(struct stream *s, char *line, size_t number, char **fields)
{
	size_t max = s->column_feature ? s->columns : s->nf;
	size_t n = split_fields(line, fields, max + 1);
	float *row = s->rows + s->pending * s->nf;

	/* a header names columns: no field of it reads as a number (or is empty), so a first
	 * line of data, even with a bad value in it, is never taken for one */
	if (number == 1 && s->column_feature == NULL) {
		size_t c;

		for (c = 0; c < n && c <= max; c++) {
			float ignored;

			/* split_fields set fields[0..min(n, max + 1) - 1] */
			/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
			if (parse_number(fields[c], &ignored))
				break;
		}
		if (c == n || c > max)
			return csv_header(s, fields, n <= max ? n : max + 1, number);
	}
	if (n != max) {
		fprintf(stderr, "appcore-cli predict: line %zu: expected %zu fields, got %zu\n", number,
			max, n);
		return CLI_EXIT_BAD_INPUT;
	}
	for (size_t f = 0; f < s->nf; f++)
		row[f] = NAN;
	for (size_t c = 0; c < n; c++) {
		size_t f = s->column_feature ? (size_t)s->column_feature[c] : c;

		if (!parse_number(fields[c], &row[f])) {
			fprintf(stderr, "appcore-cli predict: line %zu: column %zu: expected a finite "
					"number or an empty field, got '%s'\n", number, c + 1, fields[c]);
			return CLI_EXIT_BAD_INPUT;
		}
	}
	s->pending++;
	return CLI_EXIT_OK;
}

static int ndjson_line(struct stream *s, const char *line, size_t len, size_t number)
{
	appcore_error err;

	if (appcore_predict_parse_row(s->rows + s->pending * s->nf, s->model, line, len, &err) != 0) {
		fprintf(stderr, "appcore-cli predict: line %zu: %s\n", number, err.message);
		return err.code == APPCORE_ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_BAD_INPUT;
	}
	s->pending++;
	return CLI_EXIT_OK;
}

int predict_stream(const appcore_model *model, const appcore_predict_options *options,
		   enum stream_format format, FILE *in, FILE *out, bool progress)
{
	struct stream s = {
		model, options, format, out, progress, 0, 0, NULL, NULL, 0, 0, NULL, 0
	};
	char *line = NULL, **fields = NULL;
	size_t cap = 0, number = 0;
	ssize_t len;
	int rc = CLI_EXIT_OK, flush_rc;

	s.nf = appcore_model_num_features(model);
	s.width = appcore_model_output_size(model, options->output);
	s.rows = malloc(BATCH_ROWS * s.nf * sizeof(float));
	s.values = malloc(BATCH_ROWS * s.width * sizeof(float));
	/* a header may name each feature once; one more slot detects too many fields */
	fields = malloc((s.nf + 2) * sizeof(*fields));
	if (s.rows == NULL || s.values == NULL || fields == NULL) {
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	while ((len = getline(&line, &cap, in)) >= 0) {
		number++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (format == STREAM_CSV)
			rc = csv_line(&s, line, number, fields);
		else
			rc = ndjson_line(&s, line, (size_t)len, number);
		if (rc != CLI_EXIT_OK)
			break;
		if (s.pending == BATCH_ROWS && (rc = flush_batch(&s)) != CLI_EXIT_OK)
			break;
	}
	if (rc == CLI_EXIT_OK && ferror(in)) {
		fprintf(stderr, "appcore-cli predict: read error after line %zu\n", number);
		rc = CLI_EXIT_BAD_INPUT;
	}
	/* rows before a bad line are still answered, so output lines match input lines */
	flush_rc = flush_batch(&s);
	if (rc == CLI_EXIT_OK)
		rc = flush_rc;
	if (progress)
		fprintf(stderr, "\rappcore-cli predict: %zu rows\n", s.done);
out:
	free(line);
	free(fields);
	free(s.column_feature);
	free(s.rows);
	free(s.values);
	return rc;
}
