#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <appcore.h>

#include "commands.h"
#include "model_arg.h"
#include "predict_stream.h"

static const char usage[] =
	"Usage: appcore-cli predict [--config PATH] [--model PATH] [--output value|margin]\n"
	"                           [--input-format json|csv|ndjson] < INPUT > OUTPUT\n"
	"Predict with an XGBoost JSON model, configured as appcore-server would be: the model\n"
	"is --model, else model.path from the configuration (--config PATH, else\n"
	"$APPCORE_CONFIG, plus APPCORE_* environment overrides); model.name, model.version and\n"
	"model.max_batch_rows come from the configuration too.\n\n"
	"  json    (default) stdin is one request {\"instances\": [...]}; stdout is exactly the\n"
	"          body appcore-server answers, followed by a newline. A bad request prints the\n"
	"          server's error body on stdout and the message on stderr.\n"
	"  csv     one row per line, optional header naming features; empty, NA or nan = missing\n"
	"  ndjson  one row per line: a JSON array, or an object keyed by feature name\n"
	"csv and ndjson stream in constant memory and write one prediction per line (numbers\n"
	"separated by commas for csv, a JSON array for ndjson, when a row has several outputs).\n";

static char *read_all(FILE *in, size_t *len)
{
	size_t cap = 1 << 16, used = 0, got;
	char *buf = malloc(cap), *grown;

	while (buf != NULL && (got = fread(buf + used, 1, cap - used, in)) > 0) {
		used += got;
		if (used == cap) {
			grown = realloc(buf, cap *= 2);
			if (grown == NULL)
				free(buf);
			buf = grown;
		}
	}
	if (buf != NULL && ferror(in)) {
		free(buf);
		return NULL;
	}
	*len = used;
	return buf;
}

static int predict_request(const appcore_model *model, appcore_predict_options options,
			   appcore_output_kind kind)
{
	appcore_predict_response response;
	appcore_error err = { 0 };
	char *body, *error_body = NULL;
	size_t len = 0;
	int rc;

	if ((body = read_all(stdin, &len)) == NULL) {
		fprintf(stderr, "appcore-cli predict: cannot read stdin\n");
		return CLI_EXIT_BAD_INPUT;
	}
	options.default_output = kind;
	rc = appcore_predict_json(&response, model, body, len, &options, &err);
	free(body);
	if (rc == APPCORE_OK) {
		fwrite(response.body, 1, response.body_len, stdout);
		fputc('\n', stdout);
		appcore_predict_response_release(&response);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	}
	if (appcore_error_json(&error_body, NULL, &err) == APPCORE_OK)
		printf("%s\n", error_body);
	appcore_free(error_body);
	fprintf(stderr, "appcore-cli predict: %s\n", err.message);
	return rc == APPCORE_EPARSE || rc == APPCORE_EREQUEST || rc == APPCORE_ELIMIT
		       ? CLI_EXIT_BAD_INPUT
		       : CLI_EXIT_FAILURE;
}

/* --name VALUE or --name=VALUE; advances *i past a separate value. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
	size_t len = strlen(name);

	/* callers pass i < argc: argv[*i] is set */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	if (strncmp(argv[*i], name, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "appcore-cli predict: %s needs a value\n", name);
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

int cmd_predict(int argc, char **argv)
{
	const char *model_path = NULL, *config_path = NULL, *format = "json", *output = "value", *v;
	appcore_predict_options options;
	appcore_output_kind kind;
	appcore_model *model = NULL;
	bool bad = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		}
		if ((v = option_value(argc, argv, &i, "--model", &bad)) != NULL)
			model_path = v;
		else if ((v = option_value(argc, argv, &i, "--config", &bad)) != NULL)
			config_path = v;
		else if ((v = option_value(argc, argv, &i, "--output", &bad)) != NULL)
			output = v;
		else if ((v = option_value(argc, argv, &i, "--input-format", &bad)) != NULL)
			format = v;
		else if (!bad)
			fprintf(stderr, "appcore-cli predict: unknown argument '%s'\n", argv[i]);
		if (v == NULL) {
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (strcmp(output, "value") == 0) {
		kind = APPCORE_OUTPUT_VALUE;
	} else if (strcmp(output, "margin") == 0) {
		kind = APPCORE_OUTPUT_MARGIN;
	} else {
		fprintf(stderr, "appcore-cli predict: --output: expected value or margin, got '%s'\n",
			output);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "ndjson") != 0) {
		fprintf(stderr, "appcore-cli predict: --input-format: expected json, csv or ndjson, "
				"got '%s'\n", format);
		return CLI_EXIT_USAGE;
	}
	/* the configuration sets the options as it does the server's, so both answer alike */
	appcore_predict_options_init(&options);
	if ((rc = cli_load_model(&model, &options, "predict", model_path, config_path)) !=
	    CLI_EXIT_OK)
		return rc;
	if (strcmp(format, "json") == 0)
		rc = predict_request(model, options, kind);
	else
		rc = predict_stream(model, strcmp(format, "csv") == 0 ? STREAM_CSV : STREAM_NDJSON,
				    kind, stdin, stdout, isatty(STDERR_FILENO) == 1);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_FAILURE;
	appcore_model_unref(model);
	return rc;
}
