/* Fuzz the XGBoost model loader: any buffer loads into a model that predicts
 * without faults, or fails with an error message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appcore_model *model = NULL;
	appcore_error err;
	int rc = appcore_model_load_buffer(&model, data, size, NULL, &err);

	if (rc != APPCORE_OK) {
		if (model != NULL || err.message[0] == '\0')
			abort();
		return 0;
	}
	{
		/* a loaded model must predict any row, with and without missing values */
		size_t features = appcore_model_num_features(model);
		size_t value_size = appcore_model_output_size(model, APPCORE_OUTPUT_VALUE);
		size_t margin_size = appcore_model_output_size(model, APPCORE_OUTPUT_MARGIN);
		/* multi:softmax writes one class index per row but num_class margins */
		size_t outputs = value_size > margin_size ? value_size : margin_size;
		float *rows = NULL;
		float *out = NULL;

		if (features <= 4096 && outputs <= 4096) {
			rows = calloc(2 * (features ? features : 1), sizeof(float));
			out = calloc(2 * (outputs ? outputs : 1), sizeof(float));
		}
		if (rows != NULL && out != NULL) {
			for (size_t i = 0; i < features; i++) {
				rows[i] = (float)i - 2.5f;
				rows[features + i] = NAN;
			}
			appcore_predict_options margin = APPCORE_PREDICT_OPTIONS_INIT;

			margin.output = APPCORE_OUTPUT_MARGIN;
			if (appcore_predict(out, model, rows, 2, NULL, &err) != APPCORE_OK ||
			    appcore_predict(out, model, rows, 2, &margin, &err) != APPCORE_OK)
				abort();
		}
		free(rows);
		free(out);
	}
	{
		char *info = NULL;
		if (appcore_model_info_json(&info, NULL, model, APPCORE_MODEL_INFO_FULL, &err) ==
		    APPCORE_OK)
			appcore_free(info);
	}
	appcore_model_unref(model);
	return 0;
}
