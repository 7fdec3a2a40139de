/* Fuzz the prediction protocol, differentially: any body against a fixed model gives
 * APPCORE_OK with a JSON response, or an error with a message, never a crash; and whenever the
 * fast request parser (protocol/predict_fast.c) accepts a body, the general Jansson decoder
 * must accept it too with bit-identical rows, row count and output kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

#include "protocol/predict_fast.h"
#include "protocol/predict_json_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static appcore_model *model;

static void load_model_once(void)
{
	appcore_error err;

	if (model != NULL)
		return;
	if (appcore_model_load_file(&model, FUZZ_SOURCE_DIR "/examples/models/iris.json", NULL,
				    &err) != APPCORE_OK)
		abort();
}

static void compare_paths(const char *text, size_t size, const appcore_predict_options *options)
{
	const size_t nf = appcore_model_num_features(model);
	const size_t width = appcore_model_output_size(model, APPCORE_OUTPUT_MARGIN);
	float *fast = NULL, *general = NULL;
	size_t fast_n = 0, general_n = 0;
	appcore_output_kind fast_kind, general_kind;
	appcore_error err;

	if (!ac_predict_fast_parse(text, size, nf, width, options->max_batch_rows, options->output,
				   &fast, &fast_n, &fast_kind))
		return;
	if (ac_predict_decode_general(&general, &general_n, &general_kind, model, text, size,
				      options, &err) != APPCORE_OK)
		abort(); /* the fast path accepted what the general path refuses */
	if (fast_n != general_n || fast_kind != general_kind ||
	    memcmp(fast, general, fast_n * nf * sizeof(float)) != 0)
		abort(); /* the two paths decoded different rows */
	free(fast);
	free(general);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_response response;
	appcore_error err;
	int rc;

	load_model_once();
	options.max_batch_rows = 64;
	compare_paths((const char *)data, size, &options);
	memset(&response, 0, sizeof(response));
	rc = appcore_predict_json(&response, model, (const char *)data, size, &options, &err);
	if (rc == APPCORE_OK) {
		if (response.body == NULL || response.body_len != strlen(response.body) ||
		    response.body[0] != '{')
			abort();
		appcore_response_dispose(&response);
	} else {
		char *json = NULL;
		if (err.code != rc || err.message[0] == '\0')
			abort();
		if (appcore_error_json(&json, NULL, &err) != APPCORE_OK)
			abort();
		appcore_free(json);
	}
	return 0;
}
