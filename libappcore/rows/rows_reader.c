/* One text line -> one dense row: CSV fields (with an optional header naming features) or an
 * NDJSON row. Messages start "line N: " and set err->line, so every shell reports a bad line
 * the same way. */
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appcore/model.h"
#include "appcore/protocol.h"
#include "core/error_internal.h"
#include "rows/rows_internal.h"

int ac_rows_reader_init(struct ac_rows_reader *r, const appcore_model *model,
			appcore_rows_format format, appcore_error *err)
{
	memset(r, 0, sizeof(*r));
	r->model = model;
	r->format = format;
	r->nf = appcore_model_num_features(model);
	/* a header may name each feature once; one more slot detects too many fields */
	r->fields = malloc((r->nf + 2) * sizeof(*r->fields));
	if (r->fields == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	return APPCORE_OK;
}

void ac_rows_reader_dispose(struct ac_rows_reader *r)
{
	free(r->column_feature);
	free(r->copy);
	free(r->fields);
	memset(r, 0, sizeof(*r));
}

size_t ac_rows_trimmed_length(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
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

/* Split line (modified in place) at commas; returns the number of fields, of which the first
 * max are stored. */
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

static int csv_header(struct ac_rows_reader *r, char **fields, size_t n, size_t line,
		      appcore_error *err)
{
	if (appcore_model_feature_name(r->model, 0) == NULL)
		return ac_error_set_at(err, APPCORE_EREQUEST, ac_rows_line_int(line), 0,
				       "line %zu: a header row, but the model has no feature names "
				       "to match it; remove the header",
				       line);
	/* a line has at least one field */
	r->column_feature = malloc((n ? n : 1) * sizeof(*r->column_feature));
	if (r->column_feature == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	r->columns = n;
	for (size_t c = 0; c < n; c++) {
		strip_quotes(&fields[c]);
		r->column_feature[c] = -1;
		for (size_t f = 0; f < r->nf; f++)
			if (strcmp(fields[c], appcore_model_feature_name(r->model, f)) == 0)
				r->column_feature[c] = (long)f;
		if (r->column_feature[c] < 0) {
			int rc = ac_error_set_at(err, APPCORE_EREQUEST, ac_rows_line_int(line), 0,
						 "line %zu: column %zu: unknown feature \"%s\"",
						 line, c + 1, fields[c]);
			free(r->column_feature);
			r->column_feature = NULL;
			r->columns = 0;
			return rc;
		}
	}
	return APPCORE_OK;
}

/* A header names columns: no field of it reads as a number (or is empty), so a first line of
 * data, even with a bad value in it, is never taken for one. fields holds the first
 * min(n, max + 1) fields. */
static bool looks_like_header(char **fields, size_t n, size_t max)
{
	size_t c;

	for (c = 0; c < n && c <= max; c++) {
		float ignored;

		/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
		if (parse_number(fields[c], &ignored))
			return false;
	}
	return true;
}

/* Copy line (trimmed, non-empty) into r->copy, NUL-terminated. */
static int copy_line(struct ac_rows_reader *r, const char *line, size_t len, appcore_error *err)
{
	if (len + 1 > r->copy_cap) {
		char *bigger = realloc(r->copy, len + 1);

		if (bigger == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		r->copy = bigger;
		r->copy_cap = len + 1;
	}
	memcpy(r->copy, line, len);
	r->copy[len] = '\0';
	return APPCORE_OK;
}

static int csv_line(bool *is_row, float *row, struct ac_rows_reader *r, char *line,
		    size_t number, appcore_error *err)
{
	size_t max = r->column_feature ? r->columns : r->nf;
	size_t n = split_fields(line, r->fields, max + 1);

	if (number == 1 && r->column_feature == NULL && looks_like_header(r->fields, n, max))
		return csv_header(r, r->fields, n <= max ? n : max + 1, number, err);
	if (n != max)
		return ac_error_set_at(err, APPCORE_EREQUEST, ac_rows_line_int(number), 0,
				       "line %zu: expected %zu fields, got %zu", number, max, n);
	for (size_t f = 0; f < r->nf; f++)
		row[f] = NAN;
	for (size_t c = 0; c < n; c++) {
		size_t f = r->column_feature ? (size_t)r->column_feature[c] : c;

		if (!parse_number(r->fields[c], &row[f]))
			return ac_error_set_at(err, APPCORE_EREQUEST, ac_rows_line_int(number), 0,
					       "line %zu: column %zu: expected a finite number or "
					       "an empty field, got '%s'",
					       number, c + 1, r->fields[c]);
	}
	*is_row = true;
	return APPCORE_OK;
}

static int ndjson_line(bool *is_row, float *row, struct ac_rows_reader *r, const char *line,
		       size_t len, size_t number, appcore_error *err)
{
	char prefix[32];
	int rc = appcore_predict_parse_row(row, r->model, line, len, err);

	if (rc != APPCORE_OK) {
		if (err != NULL && rc != APPCORE_ENOMEM) {
			snprintf(prefix, sizeof(prefix), "line %zu", number);
			ac_error_prefix(err, prefix);
			err->line = ac_rows_line_int(number);
		}
		return rc;
	}
	*is_row = true;
	return APPCORE_OK;
}

int ac_rows_reader_line(bool *is_row, float *row, struct ac_rows_reader *r, const char *line,
			size_t len, size_t number, appcore_error *err)
{
	*is_row = false;
	len = ac_rows_trimmed_length(line, len);
	if (len == 0)
		return APPCORE_OK;
	if (memchr(line, '\0', len) != NULL)
		return ac_error_set_at(err, APPCORE_EREQUEST, ac_rows_line_int(number), 0,
				       "line %zu: contains a NUL byte", number);
	if (r->format == APPCORE_ROWS_NDJSON)
		return ndjson_line(is_row, row, r, line, len, number, err);
	if (copy_line(r, line, len, err) != APPCORE_OK)
		return APPCORE_ENOMEM;
	return csv_line(is_row, row, r, r->copy, number, err);
}

int ac_rows_reader_header(bool *is_header, struct ac_rows_reader *r, const char *line,
			  size_t len, appcore_error *err)
{
	size_t n;

	*is_header = false;
	len = ac_rows_trimmed_length(line, len);
	/* a line with a NUL is no header; reading it as a row reports the NUL */
	if (r->format != APPCORE_ROWS_CSV || len == 0 || memchr(line, '\0', len) != NULL)
		return APPCORE_OK;
	if (copy_line(r, line, len, err) != APPCORE_OK)
		return APPCORE_ENOMEM;
	n = split_fields(r->copy, r->fields, r->nf + 1);
	if (!looks_like_header(r->fields, n, r->nf))
		return APPCORE_OK;
	*is_header = true;
	return csv_header(r, r->fields, n <= r->nf ? n : r->nf + 1, 1, err);
}
