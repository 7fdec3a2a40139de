/* Fuzz the prediction protocol: any body against a fixed model must give
 * APPCORE_OK with a JSON response, or an error with a message, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static appcore_model *model;

static void load_model_once(void)
{
	appcore_error err;

	if (model != NULL)
		return;
	if (appcore_model_load_file(&model, FUZZ_SOURCE_DIR "/examples/models/iris.json", &err) !=
	    APPCORE_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appcore_predict_options options;
	appcore_predict_response response;
	appcore_error err;
	int rc;

	load_model_once();
	appcore_predict_options_init(&options);
	options.max_batch_rows = 64;
	memset(&response, 0, sizeof(response));
	rc = appcore_predict_json(&response, model, (const char *)data, size, &options, &err);
	if (rc == APPCORE_OK) {
		if (response.body == NULL || response.body_len != strlen(response.body) ||
		    response.body[0] != '{')
			abort();
		appcore_predict_response_release(&response);
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
