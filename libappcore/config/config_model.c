/* Where configuration meets the model: one rule for server, CLI and embedders. */
#include <stddef.h>

#include "appcore/config.h"
#include "core/error_internal.h"
#include "engine/engine.h"

/* The value of a key the schema is known to have, as configured, or NULL when it still has
 * its built-in default: a default name ("iris") would mislabel any other model. */
static const char *configured(const appcore_config *config, const char *key)
{
	appcore_config_source source = APPCORE_CONFIG_DEFAULT;
	const char *value = NULL;

	if (appcore_config_get_source(&source, config, key, NULL) != APPCORE_OK ||
	    source == APPCORE_CONFIG_DEFAULT ||
	    appcore_config_get_string(&value, config, key, NULL) != APPCORE_OK)
		return NULL;
	return value;
}

int appcore_config_load_model(appcore_model **out, const appcore_config *config, const char *path,
			      appcore_error *err)
{
	appcore_model_load_options options = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	int rc;

	if (out == NULL || config == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_load_model: NULL argument");
	*out = NULL;
	if (path == NULL && (rc = appcore_config_get_string(&path, config, "model.path", err)) != 0)
		return rc;
	options.name = configured(config, "model.name");
	options.model_version = configured(config, "model.version");
	if ((rc = appcore_config_get_bool(&options.use_best_iteration, config,
					  "model.use_best_iteration", err)) != APPCORE_OK)
		return rc;
	return appcore_model_load_file(out, path, &options, err);
}

int appcore_config_predict_options(appcore_predict_options *options, const appcore_config *config,
				   appcore_error *err)
{
	long long rows;
	int rc;

	if (options == NULL || config == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_config_predict_options: NULL argument");
	if ((rc = ac_predict_options_check(options, err)) != APPCORE_OK ||
	    (rc = appcore_config_get_int(&rows, config, "model.max_batch_rows", err)) != APPCORE_OK)
		return rc;
	options->max_batch_rows = (size_t)rows;
	return APPCORE_OK;
}
