/* Times appcore prediction on one model and one row matrix; bench_model.py drives it and
 * measures XGBoost on the same data in the same run.
 *
 *   bench_model MODEL ROWS.f32 NUM_ROWS NUM_FEATURES [BATCH_ROWS] [SECONDS]
 *
 * Prints one JSON object: batch rows/s (one thread), single-row predict latency, and
 * single-row appcore_predict_json latency (request parsing + response writing included). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <appcore.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static float *read_rows(const char *path, size_t count)
{
	FILE *f = fopen(path, "rb");
	float *rows = malloc(count * sizeof(float));

	if (f == NULL || rows == NULL || fread(rows, sizeof(float), count, f) != count) {
		fprintf(stderr, "bench_model: cannot read %zu floats from %s\n", count, path);
		exit(1);
	}
	fclose(f);
	return rows;
}

/* {"instances":[[...]]} for row r, as a client would send it. */
static char *request_for(const float *row, size_t nf)
{
	char *body = malloc(32 + nf * 20);
	size_t used = (size_t)sprintf(body, "{\"instances\":[[");

	for (size_t f = 0; f < nf; f++)
		used += isnan(row[f]) ? (size_t)sprintf(body + used, "%snull", f ? "," : "")
				      : (size_t)sprintf(body + used, "%s%.9g", f ? "," : "",
							(double)row[f]);
	sprintf(body + used, "]]}");
	return body;
}

int main(int argc, char **argv)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	size_t num_rows, nf, batch, width, done;
	double seconds, start, elapsed, batch_rate, single_ns, json_ns;
	float *rows, *out;
	volatile float sink = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: bench_model MODEL ROWS.f32 NUM_ROWS NUM_FEATURES [BATCH] [SECONDS]\n");
		return 2;
	}
	num_rows = strtoul(argv[3], NULL, 10);
	nf = strtoul(argv[4], NULL, 10);
	batch = argc > 5 ? strtoul(argv[5], NULL, 10) : 1000;
	seconds = argc > 6 ? strtod(argv[6], NULL) : 2.0;
	if (appcore_model_load_file(&model, argv[1], NULL, &err) != APPCORE_OK) {
		fprintf(stderr, "bench_model: %s\n", err.message);
		return 1;
	}
	if (appcore_model_num_features(model) != nf || batch == 0 || batch > num_rows) {
		fprintf(stderr, "bench_model: bad sizes\n");
		return 1;
	}
	rows = read_rows(argv[2], num_rows * nf);
	width = appcore_model_num_outputs(model);
	out = malloc(num_rows * width * sizeof(float));

	/* batch throughput: consecutive batches over the whole matrix */
	done = 0;
	start = now();
	do {
		for (size_t r = 0; r + batch <= num_rows; r += batch) {
			appcore_predict(out + r * width, model, rows + r * nf, batch, NULL, NULL);
			done += batch;
		}
		elapsed = now() - start;
	} while (elapsed < seconds);
	batch_rate = (double)done / elapsed;
	sink += out[0];

	/* single-row latency: one call per row, cycling through different rows */
	done = 0;
	start = now();
	do {
		for (size_t r = 0; r < num_rows && r < 10000; r++) {
			appcore_predict(out, model, rows + r * nf, 1, NULL, NULL);
			sink += out[0];
		}
		done += num_rows < 10000 ? num_rows : 10000;
		elapsed = now() - start;
	} while (elapsed < seconds);
	single_ns = elapsed * 1e9 / (double)done;

	/* the server's per-request library work for a one-row request */
	{
		enum { BODIES = 256 };
		char *bodies[BODIES];
		size_t lens[BODIES];

		for (size_t i = 0; i < BODIES; i++) {
			bodies[i] = request_for(rows + (i % num_rows) * nf, nf);
			lens[i] = strlen(bodies[i]);
		}
		done = 0;
		start = now();
		do {
			for (size_t i = 0; i < BODIES; i++) {
				appcore_response response;

				appcore_predict_json(&response, model, bodies[i], lens[i], NULL, NULL);
				sink += (float)response.body_len;
				appcore_response_dispose(&response);
			}
			done += BODIES;
			elapsed = now() - start;
		} while (elapsed < seconds);
		json_ns = elapsed * 1e9 / (double)done;
		for (size_t i = 0; i < BODIES; i++)
			free(bodies[i]);
	}

	printf("{\"trees\":%zu,\"batch_rows\":%zu,\"batch_rows_per_s\":%.0f,\"single_row_ns\":%.0f,"
	       "\"json_single_row_ns\":%.0f}\n",
	       appcore_model_num_trees(model), batch, batch_rate, single_ns, json_ns);
	(void)sink;
	free(out);
	free(rows);
	appcore_model_unref(model);
	return 0;
}
