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
} ac_link;

/* Output transform applied to margins (XGBoost's PredTransform). */
typedef enum ac_transform {
	AC_TRANSFORM_IDENTITY,
	AC_TRANSFORM_SIGMOID,
	AC_TRANSFORM_EXP,
	AC_TRANSFORM_HINGE,
	AC_TRANSFORM_SOFTPROB,
	AC_TRANSFORM_SOFTMAX,
} ac_transform;

typedef struct ac_objective {
	const char *name;
	ac_link link;
	ac_transform transform;
	bool multiclass; /* needs num_class >= 1 */
} ac_objective;

/* The objective called name, or NULL when appcore does not know it. */
const ac_objective *ac_objective_find(const char *name);

/* base_score (output space) to margin space; false when it is outside the link's domain. */
bool ac_objective_base_margin(const ac_objective *objective, float base_score, float *margin);

/* Transform one row of `groups` margins into out (1 value for softmax, else groups values). */
void ac_objective_transform(const ac_objective *objective, const float *margins, size_t groups,
			    float *out);

#endif
