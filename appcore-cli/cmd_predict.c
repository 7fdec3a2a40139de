#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <appcore.h>

#include "cli_options.h"
#include "commands.h"
#include "model_arg.h"
#include "predict_log.h"
#include "predict_stream.h"

static const char usage[] =
    "Usage: appcore-cli predict [OPTION]... [INPUT]\n"
    "Predict with an XGBoost model (JSON or UBJSON), configured as appcore-server would be:\n"
    "the model is --model, else model.path from the configuration (--config PATH, else\n"
    "$APPCORE_CONFIG, plus APPCORE_* environment overrides); model.name, model.version,\n"
    "model.max_batch_rows and model.use_best_iteration come from the configuration too.\n"
    "INPUT is a file, or standard input when absent or '-'.\n"
    "\n"
    "  -c, --config PATH          configuration file (YAML)\n"
    "  -m, --model PATH           model file (model.path)\n"
    "  -o, --output KIND          value (default): what XGBoost's predict() returns;\n"
    "                             margin: predict(output_margin=True)\n"
    "  -f, --input-format FMT     json (default), csv or ndjson\n"
    "      --iteration-range B:E  predict with boosting iterations [B, E), as XGBoost's\n"
    "                             iteration_range (a JSON request's own range wins)\n"
    "      --use-best-iteration   default to [0, best_iteration + 1) for an early-stopped\n"
    "                             model, as XGBoost's scikit-learn wrapper "
    "(model.use_best_iteration)\n"
    "  -t, --threads N            threads a batch of rows is scored on; 0 (default) = every\n"
    "                             online core, 1 = this thread only (model.predict_threads).\n"
    "                             Output order is input order whatever N is\n"
    "      --prediction-log       record every prediction in the PostgreSQL prediction log\n"
    "                             (prediction_log.enabled; url, spool_dir and the rest from\n"
    "                             the configuration's prediction_log section)\n"
    "  -h, --help                 show this help\n"
    "\n"
    "  json    one request {\"instances\": [...]}; stdout is exactly the body appcore-server\n"
    "          answers, followed by a newline. A bad request prints the server's error body\n"
    "          on stdout and the message on stderr.\n"
    "  csv     one row per line, optional header naming features; empty, NA or nan = missing\n"
    "  ndjson  one row per line: a JSON array, or an object keyed by feature name\n"
    "csv and ndjson stream in constant memory and write one prediction per line (numbers\n"
    "separated by commas for csv, a JSON array for ndjson, when a row has several outputs);\n"
    "a prediction that is not a finite number is written null. On a terminal, stderr shows\n"
    "rows done and rows per second, and for a file input the part read and the time left.\n"
    "Exit codes: 0 success, 1 failure, 2 usage error, 3 bad input, 4 bad model.\n";

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

static int predict_request(const appcore_model *model, const appcore_predict_options *options,
			   FILE *in, struct cli_predlog *log)
{
	appcore_response response;
	appcore_error err;
	char *body, *error_body = NULL;
	size_t len = 0;
	int rc;

	if ((body = read_all(in, &len)) == NULL) {
		fprintf(stderr, "appcore-cli predict: cannot read the input\n");
		return CLI_EXIT_BAD_INPUT;
	}
	rc = appcore_predict_json(&response, model, body, len, options, &err);
	free(body);
	if (rc == APPCORE_OK && (rc = cli_predlog_response(log, &response, &err)) != APPCORE_OK) {
		/* not answered: an answer the log refused would be an unlogged prediction */
		appcore_response_dispose(&response);
		fprintf(stderr, "appcore-cli predict: prediction log: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	if (rc == APPCORE_OK) {
		fwrite(response.body, 1, response.body_len, stdout);
		fputc('\n', stdout);
		appcore_response_dispose(&response);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	}
	if (appcore_error_json(&error_body, NULL, &err) == APPCORE_OK)
		printf("%s\n", error_body);
	appcore_free(error_body);
	fprintf(stderr, "appcore-cli predict: %s\n", err.message);
	/* the request's fault (4xx) or ours */
	return appcore_error_http_status(rc) < 500 ? CLI_EXIT_BAD_INPUT : CLI_EXIT_FAILURE;
}

/* "B:E" with B < E, both decimal. */
static bool parse_range(const char *text, size_t *begin, size_t *end)
{
	char *colon, *stop;
	unsigned long long b, e;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	b = strtoull(text, &colon, 10);
	if (errno != 0 || *colon != ':' || colon[1] < '0' || colon[1] > '9')
		return false;
	e = strtoull(colon + 1, &stop, 10);
	if (errno != 0 || *stop != '\0' || b >= e)
		return false;
	*begin = (size_t)b;
	*end = (size_t)e;
	return true;
}

int cmd_predict(int argc, char **argv)
{
	enum { OPT_RANGE = 256, OPT_BEST, OPT_LOG };
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "model", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "input-format", required_argument, NULL, 'f' },
		{ "iteration-range", required_argument, NULL, OPT_RANGE },
		{ "use-best-iteration", no_argument, NULL, OPT_BEST },
		{ "threads", required_argument, NULL, 't' },
		{ "prediction-log", no_argument, NULL, OPT_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model_path = NULL, *config_path = NULL, *format = "json", *input = NULL;
	struct cli_flag flags[4] = { { NULL, NULL } };
	struct cli_predlog log;
	size_t num_flags = 0;
	const char *threads = NULL;
	bool best = false, log_rows = false;
	appcore_pool *pool = NULL;
	appcore_error err;
	appcore_output_kind kind = APPCORE_OUTPUT_VALUE;
	size_t range_begin = 0, range_end = 0;
	struct cli_model loaded;
	FILE *in = stdin;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, ":c:m:o:f:t:h", long_options, "predict")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'm':
			model_path = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "value") == 0)
				kind = APPCORE_OUTPUT_VALUE;
			else if (strcmp(optarg, "margin") == 0)
				kind = APPCORE_OUTPUT_MARGIN;
			else
				return cli_usage_error("predict",
						       "--output: expected value or margin, "
						       "got '%s'",
						       optarg);
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "csv") != 0 &&
			    strcmp(optarg, "ndjson") != 0)
				return cli_usage_error("predict",
						       "--input-format: expected json, csv "
						       "or ndjson, got '%s'",
						       optarg);
			format = optarg;
			break;
		case OPT_RANGE:
			if (!parse_range(optarg, &range_begin, &range_end))
				return cli_usage_error("predict",
						       "--iteration-range: expected BEGIN:END "
						       "with BEGIN < END, got '%s'",
						       optarg);
			break;
		case OPT_BEST:
			best = true;
			break;
		case OPT_LOG:
			log_rows = true;
			break;
		case 't':
			threads = optarg; /* checked (0-1024) as the key it overrides */
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if ((rc = cli_operands(argc, argv, 1, "predict")) != 0)
		return rc;
	/* flags override the configuration as its keys; the list ends at a NULL key */
	if (best)
		flags[num_flags++] = (struct cli_flag){ "model.use_best_iteration", "true" };
	if (log_rows)
		flags[num_flags++] = (struct cli_flag){ "prediction_log.enabled", "true" };
	if (threads != NULL)
		flags[num_flags++] = (struct cli_flag){ "model.predict_threads", threads };
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		input = argv[optind];
		if ((in = fopen(input, "r")) == NULL) {
			fprintf(stderr, "appcore-cli predict: %s: %s\n", input, strerror(errno));
			return CLI_EXIT_BAD_INPUT;
		}
	}
	if ((rc = cli_load_model(&loaded, "predict", model_path, config_path, flags)) ==
	    CLI_EXIT_OK) {
		loaded.options.output = kind;
		loaded.options.iteration_begin = range_begin;
		loaded.options.iteration_end = range_end;
		if (loaded.predict_threads != 1 &&
		    appcore_pool_new(&pool, loaded.predict_threads, &err) != APPCORE_OK) {
			fprintf(stderr, "appcore-cli predict: %s\n", err.message);
			rc = CLI_EXIT_FAILURE;
		} else if ((rc = cli_predlog_open(&log, config_path, flags, loaded.model, kind)) ==
			   CLI_EXIT_OK) {
			loaded.options.pool = pool;
			loaded.options.keep_rows = log.log != NULL;
			if (strcmp(format, "json") == 0)
				rc = predict_request(loaded.model, &loaded.options, in, &log);
			else
				rc = predict_stream(loaded.model, &loaded.options,
						    strcmp(format, "csv") == 0 ? STREAM_CSV
									       : STREAM_NDJSON,
						    in, stdout, isatty(STDERR_FILENO) == 1, &log);
			if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
				rc = CLI_EXIT_FAILURE;
			cli_predlog_close(&log);
		}
		appcore_pool_free(pool);
		cli_model_release(&loaded);
	}
	if (in != stdin)
		fclose(in);
	return rc;
}
