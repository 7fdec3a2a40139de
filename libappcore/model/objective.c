#include <math.h>
#include <string.h>

#include "model/objective.h"

/* Transforms follow XGBoost 1.7's src/objective (float arithmetic, same formulas) so values
 * match its predict() to the last bit or so. */
static const ac_objective objectives[] = {
	{ "reg:squarederror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false },
	{ "reg:linear", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false }, /* pre-1.0 alias */
	{ "reg:squaredlogerror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false },
	{ "reg:pseudohubererror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false },
	{ "reg:absoluteerror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false },
	{ "reg:logistic", AC_LINK_LOGIT, AC_TRANSFORM_SIGMOID, false },
	{ "binary:logistic", AC_LINK_LOGIT, AC_TRANSFORM_SIGMOID, false },
	{ "binary:logitraw", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false }, /* 1.7: base_score used raw */
	{ "binary:hinge", AC_LINK_IDENTITY, AC_TRANSFORM_HINGE, false },
	{ "count:poisson", AC_LINK_LOG, AC_TRANSFORM_EXP, false },
	{ "reg:gamma", AC_LINK_LOG, AC_TRANSFORM_EXP, false },
	{ "reg:tweedie", AC_LINK_LOG, AC_TRANSFORM_EXP, false },
	{ "multi:softprob", AC_LINK_IDENTITY, AC_TRANSFORM_SOFTPROB, true },
	{ "multi:softmax", AC_LINK_IDENTITY, AC_TRANSFORM_SOFTMAX, true },
	{ "rank:pairwise", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false },
	{ "rank:ndcg", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false },
	{ "rank:map", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false },
	{ "survival:cox", AC_LINK_LOG, AC_TRANSFORM_EXP, false },
	{ "survival:aft", AC_LINK_LOG, AC_TRANSFORM_EXP, false },
};

const ac_objective *ac_objective_find(const char *name)
{
	for (size_t i = 0; i < sizeof(objectives) / sizeof(objectives[0]); i++)
		if (strcmp(objectives[i].name, name) == 0)
			return &objectives[i];
	return NULL;
}

bool ac_objective_base_margin(const ac_objective *objective, float base_score, float *margin)
{
	switch (objective->link) {
	case AC_LINK_LOGIT:
		if (!(base_score > 0.0f && base_score < 1.0f))
			return false;
		*margin = -logf(1.0f / base_score - 1.0f);
		return true;
	case AC_LINK_LOG:
		if (!(base_score > 0.0f) || isinf(base_score))
			return false;
		*margin = logf(base_score);
		return true;
	case AC_LINK_IDENTITY:
		break;
	}
	if (!isfinite(base_score))
		return false;
	*margin = base_score;
	return true;
}

static float sigmoid(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

void ac_objective_transform(const ac_objective *objective, const float *margins, size_t groups,
			    float *out)
{
	float max;
	float sum;
	size_t best;

	switch (objective->transform) {
	case AC_TRANSFORM_IDENTITY:
		memcpy(out, margins, groups * sizeof(*out));
		return;
	case AC_TRANSFORM_SIGMOID:
		for (size_t g = 0; g < groups; g++)
			out[g] = sigmoid(margins[g]);
		return;
	case AC_TRANSFORM_EXP:
		for (size_t g = 0; g < groups; g++)
			out[g] = expf(margins[g]);
		return;
	case AC_TRANSFORM_HINGE:
		for (size_t g = 0; g < groups; g++)
			out[g] = margins[g] > 0.0f ? 1.0f : 0.0f;
		return;
	case AC_TRANSFORM_SOFTPROB:
		max = margins[0];
		for (size_t g = 1; g < groups; g++)
			max = margins[g] > max ? margins[g] : max;
		sum = 0.0f;
		for (size_t g = 0; g < groups; g++) {
			out[g] = expf(margins[g] - max);
			sum += out[g];
		}
		for (size_t g = 0; g < groups; g++)
			out[g] /= sum;
		return;
	case AC_TRANSFORM_SOFTMAX:
		/* first maximum wins, like XGBoost's FindMaxIndex */
		best = 0;
		for (size_t g = 1; g < groups; g++)
			if (margins[g] > margins[best])
				best = g;
		out[0] = (float)best;
		return;
	}
}
