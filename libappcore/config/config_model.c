/* Where configuration meets the model: one rule for server, CLI and embedders. */
#include <stddef.h>

#include "appcore/config.h"
#include "core/error_internal.h"

int appcore_config_load_model(appcore_model **out, const appcore_config *config, const char *path,
			      appcore_error *err)
{
	appcore_model *model = NULL;
	const char *name;
	const char *version;
	int rc;

	if (out == NULL || config == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_load_model: NULL argument");
	*out = NULL;
	if (path == NULL)
		path = appcore_config_get_string(config, "model.path");
	rc = appcore_model_load_file(&model, path, err);
	if (rc != APPCORE_OK)
		return rc;
	/* a built-in default name ("iris") would mislabel any other model */
	name = appcore_config_get_source(config, "model.name") != APPCORE_CONFIG_DEFAULT
		       ? appcore_config_get_string(config, "model.name")
		       : appcore_model_name(model);
	version = appcore_config_get_source(config, "model.version") != APPCORE_CONFIG_DEFAULT
			  ? appcore_config_get_string(config, "model.version")
			  : appcore_model_version(model);
	rc = appcore_model_set_identity(model, name, version, err);
	if (rc != APPCORE_OK) {
		appcore_model_unref(model);
		return rc;
	}
	*out = model;
	return APPCORE_OK;
}

void appcore_config_predict_options(appcore_predict_options *options, const appcore_config *config)
{
	if (options == NULL)
		return;
	appcore_predict_options_init(options);
	if (config != NULL)
		options->max_batch_rows = (size_t)appcore_config_get_int(config, "model.max_batch_rows");
}
