/* A text row stream scored in batches: lines -> rows (rows_reader.c) -> appcore_predict ->
 * one output line per row, each batch's output handed to the caller in one write. */
#include <stdlib.h>
#include <string.h>

#include "appcore/predict.h"
#include "appcore/protocol.h"
#include "appcore/rows.h"
#include "core/error_internal.h"
#include "rows/rows_internal.h"

#define BATCH_ROWS 1024
/* Longest text of one value: appcore_format_value()'s "%.9g" of a float, or "null". */
#define VALUE_CHARS 16

struct appcore_rows_scorer {
	appcore_model *model;
	appcore_predict_options options;
	struct ac_rows_reader reader;
	appcore_rows_write_fn write;
	void *write_ctx;
	appcore_rows_batch_fn on_batch; /* NULL: none */
	void *on_batch_ctx;
	size_t nf, width;
	float *rows, *values;
	char *text; /* one batch of output */
	size_t pending; /* rows in the current batch */
	size_t done;    /* rows predicted and written */
};

const char *appcore_rows_media_type(appcore_rows_format format)
{
	switch (format) {
	case APPCORE_ROWS_CSV:
		return "text/csv";
	case APPCORE_ROWS_NDJSON:
		return "application/x-ndjson";
	}
	return NULL;
}

void appcore_rows_scorer_free(appcore_rows_scorer *s)
{
	if (s == NULL)
		return;
	ac_rows_reader_dispose(&s->reader);
	appcore_model_unref(s->model);
	free(s->rows);
	free(s->values);
	free(s->text);
	free(s);
}

int appcore_rows_scorer_new(appcore_rows_scorer **out, appcore_model *model,
			    appcore_rows_format format, const appcore_predict_options *options,
			    appcore_rows_write_fn write, void *write_ctx, appcore_error *err)
{
	appcore_rows_scorer *s;
	int rc;

	if (out == NULL || model == NULL || write == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_rows_scorer_new: NULL argument");
	*out = NULL;
	if (format != APPCORE_ROWS_CSV && format != APPCORE_ROWS_NDJSON)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_rows_scorer_new: unknown format %d",
				    (int)format);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	s->model = appcore_model_ref(model);
	if (options != NULL) {
		/* read only the fields the caller's version has, as appcore_predict() does */
		if (options->version == 0 || options->version > APPCORE_PREDICT_OPTIONS_VERSION) {
			appcore_rows_scorer_free(s);
			return ac_error_set(err, APPCORE_EINVAL,
					    "appcore_rows_scorer_new: unknown options version %u",
					    options->version);
		}
		s->options = *options;
	} else {
		appcore_predict_options_init(&s->options, APPCORE_PREDICT_OPTIONS_VERSION);
	}
	if (s->options.output != APPCORE_OUTPUT_VALUE && s->options.output != APPCORE_OUTPUT_MARGIN) {
		rc = ac_error_set(err, APPCORE_EINVAL, "appcore_rows_scorer_new: unknown output kind %d",
				  (int)s->options.output);
		appcore_rows_scorer_free(s);
		return rc;
	}
	s->write = write;
	s->write_ctx = write_ctx;
	s->nf = appcore_model_num_features(model);
	s->width = appcore_model_output_size(model, s->options.output);
	if ((rc = ac_rows_reader_init(&s->reader, model, format, err)) != APPCORE_OK) {
		appcore_rows_scorer_free(s);
		return rc;
	}
	s->rows = malloc(BATCH_ROWS * (s->nf > 0 ? s->nf : 1) * sizeof(float));
	s->values = malloc(BATCH_ROWS * s->width * sizeof(float));
	/* per value its text and a separator; per row brackets and the newline */
	s->text = malloc(BATCH_ROWS * (s->width * (VALUE_CHARS + 1) + 3));
	if (s->rows == NULL || s->values == NULL || s->text == NULL) {
		appcore_rows_scorer_free(s);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	*out = s;
	return APPCORE_OK;
}

int appcore_rows_scorer_flush(appcore_rows_scorer *s, appcore_error *err)
{
	bool brackets;
	char *p;
	int rc;

	if (s == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_rows_scorer_flush: NULL scorer");
	if (s->pending == 0)
		return APPCORE_OK;
	rc = appcore_predict(s->values, s->model, s->rows, s->pending, &s->options, err);
	if (rc != APPCORE_OK)
		return rc;
	if (s->on_batch != NULL) {
		appcore_error_clear(err);
		rc = s->on_batch(s->on_batch_ctx, s->done, s->rows, s->pending, s->values, err);
		if (rc != APPCORE_OK)
			return rc;
	}
	brackets = s->reader.format == APPCORE_ROWS_NDJSON && s->width > 1;
	p = s->text;
	for (size_t r = 0; r < s->pending; r++) {
		const float *v = s->values + r * s->width;

		if (brackets)
			*p++ = '[';
		for (size_t k = 0; k < s->width; k++) {
			if (k > 0)
				*p++ = ',';
			p += appcore_format_value(p, VALUE_CHARS, v[k]);
		}
		if (brackets)
			*p++ = ']';
		*p++ = '\n';
	}
	if (s->write(s->write_ctx, s->text, (size_t)(p - s->text)) != 0)
		return ac_error_set(err, APPCORE_EIO, "cannot write the predictions");
	s->done += s->pending;
	s->pending = 0;
	return APPCORE_OK;
}

int appcore_rows_scorer_line(appcore_rows_scorer *s, const char *line, size_t len,
			     size_t line_number, appcore_error *err)
{
	bool is_row;
	int rc;

	if (s == NULL || (line == NULL && len > 0))
		return ac_error_set(err, APPCORE_EINVAL, "appcore_rows_scorer_line: NULL argument");
	rc = ac_rows_reader_line(&is_row, s->rows + s->pending * s->nf, &s->reader,
				 line != NULL ? line : "", len, line_number, err);
	if (rc != APPCORE_OK || !is_row)
		return rc;
	if (++s->pending == BATCH_ROWS)
		return appcore_rows_scorer_flush(s, err);
	return APPCORE_OK;
}

int appcore_rows_scorer_text(appcore_rows_scorer *s, const char *text, size_t len,
			     size_t first_line_number, appcore_error *err)
{
	size_t number = first_line_number;

	if (s == NULL || (text == NULL && len > 0))
		return ac_error_set(err, APPCORE_EINVAL, "appcore_rows_scorer_text: NULL argument");
	while (len > 0) {
		const char *end = memchr(text, '\n', len);
		size_t line_len = end != NULL ? (size_t)(end - text) : len;
		int rc = appcore_rows_scorer_line(s, text, line_len, number++, err);

		if (rc != APPCORE_OK)
			return rc;
		if (end == NULL)
			break;
		text += line_len + 1;
		len -= line_len + 1;
	}
	return APPCORE_OK;
}

int appcore_rows_scorer_on_batch(appcore_rows_scorer *s, appcore_rows_batch_fn fn, void *ctx)
{
	if (s == NULL)
		return APPCORE_EINVAL;
	s->on_batch = fn;
	s->on_batch_ctx = ctx;
	return APPCORE_OK;
}

size_t appcore_rows_scorer_rows(const appcore_rows_scorer *s)
{
	return s != NULL ? s->done : 0;
}
