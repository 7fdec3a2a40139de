/* A model's config.yaml in a repository: version policy, prediction limits, iteration range
 * and a feature-name override. Private to libappcore. */
#ifndef APPCORE_REPOSITORY_MODEL_CONFIG_H
#define APPCORE_REPOSITORY_MODEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "appcore/repository.h"

/* Each setting is optional: has_* says whether the file set it. */
struct ac_model_config {
	bool has_policy;
	appcore_repository_policy policy;
	size_t latest;                /* LATEST */
	unsigned long long *specific; /* SPECIFIC, ascending, distinct */
	size_t num_specific;

	bool has_use_best_iteration;
	int use_best_iteration;

	bool has_iteration_range;
	size_t iteration_begin, iteration_end;

	bool has_max_batch_rows;
	size_t max_batch_rows;

	char **feature_names; /* NULL when not overridden */
	size_t num_feature_names;
};

/* Largest config.yaml read; anything bigger is a mistake. */
#define AC_MODEL_CONFIG_MAX_BYTES ((size_t)1024 * 1024)

/* Read `path`. On error (APPCORE_ECONFIG with "path:line:column: key: problem",
 * APPCORE_EIO, APPCORE_ENOMEM) *out is left zeroed. */
int ac_model_config_load(struct ac_model_config *out, const char *path, appcore_error *err);
void ac_model_config_free(struct ac_model_config *config);

/* Whether two configurations load models differently (use_best_iteration, iteration range,
 * feature names), so loaded versions must be loaded again. */
bool ac_model_config_shapes_differ(const struct ac_model_config *a,
				   const struct ac_model_config *b);

#endif
