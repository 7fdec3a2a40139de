/* Fuzz the UBJSON model reader: any bytes, read as UBJSON whatever they start with, either
 * load into a model that predicts (all trees and iteration ranges) without faults, or fail
 * with a message. The same bytes read through a 7-byte sliding window (a memfd) must give
 * the same outcome and the same predictions as reading them whole: the window's refills are
 * fuzzed too. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <appcore.h>

#include "model/document.h"
#include "model/input.h"
#include "model/model_internal.h"
#include "model/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static appcore_model *read_ubjson(struct ac_input *in, appcore_error *err)
{
	appcore_model *m = calloc(1, sizeof(*m));
	struct ac_reader r;
	int rc;

	if (m == NULL)
		return NULL;
	atomic_init(&m->refs, 1);
	appcore_error_clear(err);
	ac_reader_init(&r, AC_FORMAT_UBJSON, in, err);
	rc = ac_model_read_document(m, &r, err);
	ac_reader_free(&r);
	if (rc != APPCORE_OK) {
		if (err->message[0] == '\0')
			abort();
		ac_model_destroy(m);
		return NULL;
	}
	return m;
}

/* Margins of two rows (one with missing values) for iterations [begin, end). */
static float *margins(const appcore_model *m, size_t begin, size_t end, int *rc)
{
	const size_t features = appcore_model_num_features(m);
	const size_t width = appcore_model_output_size(m, APPCORE_OUTPUT_MARGIN);
	float *rows, *out;

	*rc = APPCORE_OK;
	if (features > 4096 || width > 4096)
		return NULL;
	rows = calloc(2 * features, sizeof(float));
	out = calloc(2 * width, sizeof(float));
	if (rows == NULL || out == NULL) {
		free(rows);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < features; i++) {
		rows[i] = (float)i - 2.5f;
		rows[features + i] = NAN;
	}
	{
		appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;

		options.output = APPCORE_OUTPUT_MARGIN;
		options.iteration_begin = begin;
		options.iteration_end = end;
		*rc = appcore_predict(out, m, rows, 2, &options, NULL);
	}
	free(rows);
	return out;
}

static void exercise(const appcore_model *m)
{
	const size_t n = ac_model_num_iterations(m);
	const size_t ranges[][2] = { { 0, 0 }, { 0, n }, { n / 2, n }, { 0, n / 2 }, { n, n } };
	float value[2 * 4096];
	int rc;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		float *out = margins(m, ranges[i][0], ranges[i][1], &rc);

		/* gblinear refuses a range that does not start at 0, every model an empty one;
		 * nothing else may fail */
		if (rc != APPCORE_OK && !(ranges[i][0] > 0 && m->booster == AC_BOOSTER_GBLINEAR) &&
		    !(ranges[i][0] == ranges[i][1] && ranges[i][1] > 0))
			abort();
		free(out);
	}
	if (appcore_model_num_features(m) <= 4096 &&
	    appcore_model_output_size(m, APPCORE_OUTPUT_VALUE) <= 2048) {
		float *rows = calloc(2 * appcore_model_num_features(m) + 1, sizeof(float));

		if (rows != NULL &&
		    appcore_predict(value, m, rows, 2, NULL, NULL) != APPCORE_OK)
			abort();
		free(rows);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ac_input whole, window;
	appcore_error err, err2;
	appcore_model *a, *b = NULL;
	int fd;

	ac_input_init_buffer(&whole, (const char *)data, size);
	a = read_ubjson(&whole, &err);

	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0 &&
	    ac_input_init_fd(&window, fd, 7, (uint64_t)1 << 31, &err2) == APPCORE_OK) {
		b = read_ubjson(&window, &err2);
		/* the same outcome, whole or through the window */
		if ((a == NULL) != (b == NULL) || (a == NULL && err.code != err2.code))
			abort();
		ac_input_free(&window);
	}
	if (fd >= 0)
		close(fd);
	if (a != NULL) {
		exercise(a);
		if (b != NULL) {
			int rc1, rc2;
			float *x = margins(a, 0, 0, &rc1), *y = margins(b, 0, 0, &rc2);
			size_t width = appcore_model_output_size(a, APPCORE_OUTPUT_MARGIN);

			if (x != NULL && y != NULL && memcmp(x, y, 2 * width * sizeof(float)) != 0)
				abort();
			free(x);
			free(y);
		}
	}
	if (a != NULL)
		ac_model_destroy(a);
	if (b != NULL)
		ac_model_destroy(b);
	return 0;
}
