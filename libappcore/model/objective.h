/* XGBoost objectives: how base_score maps to margin space and how margins map to the values
 * predict() returns. Private to libappcore. */
#ifndef APPCORE_OBJECTIVE_H
#define APPCORE_OBJECTIVE_H

#include <stdbool.h>
#include <stddef.h>

/* Inverse link applied once to base_score at load (XGBoost's ProbToMargin). */
typedef enum ac_link {
	AC_LINK_IDENTITY,
	AC_LINK_LOGIT,
	AC_LINK_LOG,
	AC_LINK_EXPECTILE, /* per vector: first value as is, then softplus^-1 of the gaps */
} ac_link;

/* Output transform applied to margins (XGBoost's PredTransform). */
typedef enum ac_transform {
	AC_TRANSFORM_IDENTITY,
	AC_TRANSFORM_SIGMOID,
	AC_TRANSFORM_EXP,
	AC_TRANSFORM_HINGE,
	AC_TRANSFORM_SOFTPROB,
	AC_TRANSFORM_SOFTMAX,
	AC_TRANSFORM_SORT,      /* reg:quantileerror from 3.4: each row's outputs ascending */
	AC_TRANSFORM_EXPECTILE, /* reg:expectileerror: running sums of softplus gaps */
} ac_transform;

typedef struct ac_objective {
	const char *name;
	ac_link link;
	ac_transform transform;
	bool multiclass; /* needs num_class >= 1 */
	int since;       /* XGBoost release (major * 10000 + minor * 100 + patch) from which this
			  * behaviour applies; the newest that fits the file wins */
} ac_objective;

/* The objective called name as the XGBoost release `version` (major * 10000 + minor * 100 +
 * patch, 0 when unknown) defined it, or NULL when appcore does not know it. */
const ac_objective *ac_objective_find(const char *name, int version);

/* base_score (output space, n values: one per output group) to margin space; false when a
 * value is outside the link's domain (*bad receives its index). */
bool ac_objective_base_margins(const ac_objective *objective, const float *base_score, size_t n,
			       float *margins, size_t *bad);

/* Transform one row of `groups` margins into out (1 value for softmax, else groups values). */
void ac_objective_transform(const ac_objective *objective, const float *margins, size_t groups,
			    float *out);

#endif
