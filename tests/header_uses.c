/* The public headers' macros and initialisers in use, compiled by public_headers.sh as C11,
 * C++11 and C++17 with -pedantic -Werror: what a C or C++ program writes must compile in
 * both languages (compound literals and designated initialisers would not). */
#include <appcore.h>

int appcore_header_uses(void);

int appcore_header_uses(void)
{
	appcore_log_field fields[4] = {
		APPCORE_LOG_STR("path", "/predict"),
		APPCORE_LOG_INT("status", 200),
		APPCORE_LOG_FLOAT("ms", 1.5),
		APPCORE_LOG_BOOL("cached", 0),
	};
	appcore_predict_options predict = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_model_load_options load = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	static const int codes[] = {
#define CODE(name, value, machine, status, text) APPCORE_##name,
		APPCORE_ERROR_LIST(CODE)
#undef CODE
	};

	predict.output = APPCORE_OUTPUT_MARGIN;
	load.use_best_iteration = 1;
	return fields[3].type + (int)predict.version + (int)load.version + codes[1] +
	       APPCORE_VERSION_CHECK(0, 0, 0) + (int)APPCORE_METRICS_MAX_LABELS +
	       APPCORE_ERROR_MESSAGE_SIZE + APPCORE_CONFIG_KEY_MAX;
}
