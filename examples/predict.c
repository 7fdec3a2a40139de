/*
 * Load an XGBoost model and predict rows given on the command line:
 *
 *   predict MODEL ROW...        e.g. predict iris.json 5.1,3.5,1.4,0.2 6.2,,4.8,1.8
 *
 * A row is comma-separated numbers; an empty field is a missing value. Prints one line per
 * row with what XGBoost's predict() returns. Build it with
 *   cc predict.c $(pkg-config --cflags --libs appcore)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

/* "5.1,,1.4,0.2" -> row (n floats, NaN for an empty field); 0 on success. */
static int parse_row(float *row, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++) {
		char *end;

		row[i] = NAN;
		if (*text != ',' && *text != '\0') {
			row[i] = strtof(text, &end);
			if (end == text)
				return -1;
			text = end;
		}
		if (i + 1 < n && *text++ != ',')
			return -1;
	}
	return *text == '\0' ? 0 : -1;
}

int main(int argc, char **argv)
{
	appcore_model *model = NULL;
	appcore_error err;
	float *row, *out;
	size_t features, outputs;
	int status = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MODEL ROW...\n", argv[0]);
		return 2;
	}
	if (appcore_model_load_file(&model, argv[1], NULL, &err) != APPCORE_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	features = appcore_model_num_features(model);
	outputs = appcore_model_num_outputs(model);
	row = malloc(features * sizeof(*row));
	out = malloc(outputs * sizeof(*out));
	for (int i = 2; row != NULL && out != NULL && i < argc; i++) {
		if (parse_row(row, features, argv[i]) != 0) {
			fprintf(stderr, "row %d: expected %zu comma-separated numbers\n", i - 1,
				features);
			status = 1;
			break;
		}
		if (appcore_predict(out, model, row, 1, NULL, &err) != APPCORE_OK) {
			fprintf(stderr, "%s\n", err.message);
			status = 1;
			break;
		}
		for (size_t k = 0; k < outputs; k++)
			printf("%s%.9g", k ? "," : "", (double)out[k]);
		printf("\n");
	}
	free(row);
	free(out);
	appcore_model_unref(model);
	return status;
}
