#include <math.h>
#include <string.h>

#include "model/objective.h"

/* Transforms follow XGBoost's src/objective (float arithmetic, same formulas) so values
 * match its predict() to the last bit or so. Where a release changed an objective's
 * prediction, the table has one entry per behaviour, newest first. */
static const ac_objective objectives[] = {
	{ "reg:squarederror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	{ "reg:linear", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 }, /* pre-1.0 alias */
	{ "reg:squaredlogerror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	{ "reg:pseudohubererror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	{ "reg:absoluteerror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	{ "reg:logistic", AC_LINK_LOGIT, AC_TRANSFORM_SIGMOID, false, 0 },
	{ "binary:logistic", AC_LINK_LOGIT, AC_TRANSFORM_SIGMOID, false, 0 },
	{ "binary:logitraw", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 }, /* base_score used raw */
	{ "binary:hinge", AC_LINK_IDENTITY, AC_TRANSFORM_HINGE, false, 0 },
	{ "count:poisson", AC_LINK_LOG, AC_TRANSFORM_EXP, false, 0 },
	{ "reg:gamma", AC_LINK_LOG, AC_TRANSFORM_EXP, false, 0 },
	{ "reg:tweedie", AC_LINK_LOG, AC_TRANSFORM_EXP, false, 0 },
	{ "multi:softprob", AC_LINK_IDENTITY, AC_TRANSFORM_SOFTPROB, true, 0 },
	{ "multi:softmax", AC_LINK_IDENTITY, AC_TRANSFORM_SOFTMAX, true, 0 },
	{ "rank:pairwise", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	{ "rank:ndcg", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	{ "rank:map", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	{ "survival:cox", AC_LINK_LOG, AC_TRANSFORM_EXP, false, 0 },
	{ "survival:aft", AC_LINK_LOG, AC_TRANSFORM_EXP, false, 0 },
	/* 2.0+: one output per quantile_alpha (num_target of them); from 3.4 predict() sorts
	 * each row's quantiles so that they never cross (quantile_obj.cu PredTransform) */
	{ "reg:quantileerror", AC_LINK_IDENTITY, AC_TRANSFORM_SORT, false, 30400 },
	{ "reg:quantileerror", AC_LINK_IDENTITY, AC_TRANSFORM_IDENTITY, false, 0 },
	/* 3.3+: one output per expectile_alpha, kept ascending by construction
	 * (regression_obj.cu ExpectileRegression) */
	{ "reg:expectileerror", AC_LINK_EXPECTILE, AC_TRANSFORM_EXPECTILE, false, 0 },
};

const ac_objective *ac_objective_find(const char *name, int version)
{
	for (size_t i = 0; i < sizeof(objectives) / sizeof(objectives[0]); i++)
		if (strcmp(objectives[i].name, name) == 0 && version >= objectives[i].since)
			return &objectives[i];
	return NULL;
}

/* XGBoost's kRtEps and common::SoftPlus / SoftPlusInv (math.h), in float. */
#define RT_EPS 1e-6f

static float softplus(float x)
{
	return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

static float softplus_inv(float x)
{
	x = x > RT_EPS ? x : RT_EPS;
	return x + logf(-expm1f(-x));
}

static bool base_margin(const ac_objective *objective, float base_score, float *margin)
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
	case AC_LINK_EXPECTILE:
		break;
	}
	if (!isfinite(base_score))
		return false;
	*margin = base_score;
	return true;
}

bool ac_objective_base_margins(const ac_objective *objective, const float *base_score, size_t n,
			       float *margins, size_t *bad)
{
	for (size_t g = 0; g < n; g++)
		if (!base_margin(objective, base_score[g], &margins[g])) {
			*bad = g;
			return false;
		}
	/* ExpectileRegression::ProbToMargin: the first expectile as is, each next one as the
	 * softplus^-1 of its gap to the one before (from the last down, on output values) */
	if (objective->link == AC_LINK_EXPECTILE)
		for (size_t j = n; j-- > 1;) {
			margins[j] = softplus_inv(base_score[j] - base_score[j - 1] - RT_EPS);
			if (!isfinite(margins[j])) {
				*bad = j;
				return false;
			}
		}
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
	case AC_TRANSFORM_SORT:
		/* insertion sort, as QuantileRegression::PredTransform */
		memcpy(out, margins, groups * sizeof(*out));
		for (size_t i = 1; i < groups; i++) {
			float value = out[i];
			size_t pos = i;

			while (pos > 0 && out[pos - 1] > value) {
				out[pos] = out[pos - 1];
				pos--;
			}
			out[pos] = value;
		}
		return;
	case AC_TRANSFORM_EXPECTILE:
		/* ExpectileRegression::PredTransform */
		sum = margins[0];
		out[0] = sum;
		for (size_t j = 1; j < groups; j++) {
			sum += RT_EPS + softplus(margins[j]);
			out[j] = sum;
		}
		return;
	}
}
