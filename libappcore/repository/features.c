/* config.yaml's feature_names: the names requests may use for a model saved without them
 * (or with others). Applied to a freshly loaded model before anyone else can see it, the
 * one moment a model may still change. */
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "model/model_internal.h"
#include "repository/repository_internal.h"

static int compare_slots(const void *a, const void *b)
{
	return strcmp(((const ac_feature_slot *)a)->name, ((const ac_feature_slot *)b)->name);
}

int ac_model_override_feature_names(appcore_model *m, char *const *names, size_t count,
				    appcore_error *err)
{
	char **copy;
	ac_feature_slot *index;

	if (count != m->num_features)
		return ac_error_set(err, APPCORE_ECONFIG,
				    "feature_names lists %zu names, the model has %zu features",
				    count, m->num_features);
	copy = calloc(count, sizeof(*copy));
	index = malloc(count * sizeof(*index));
	if (copy == NULL || index == NULL)
		goto no_memory;
	for (size_t i = 0; i < count; i++) {
		copy[i] = strdup(names[i]);
		if (copy[i] == NULL)
			goto no_memory;
		index[i] = (ac_feature_slot){ copy[i], i };
	}
	qsort(index, count, sizeof(*index), compare_slots);
	for (size_t i = 0; m->feature_names != NULL && i < m->num_features; i++)
		free(m->feature_names[i]);
	free(m->feature_names);
	free(m->feature_index);
	m->feature_names = copy;
	m->feature_index = index;
	return APPCORE_OK;

no_memory:
	for (size_t i = 0; copy != NULL && i < count; i++)
		free(copy[i]);
	free(copy);
	free(index);
	return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
}
