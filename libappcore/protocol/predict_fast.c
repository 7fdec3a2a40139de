/*
 * The server's hot path spends more time in Jansson building a tree of
 * json_t nodes than in the trees of the model (bench/RESULTS.md). Requests
 * almost always have one shape, so it is scanned directly into the row
 * matrix here; any deviation hands the body to the general path, which stays
 * the single source of validation errors.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/predict_fast.h"

struct cursor {
	const char *p;
	const char *end;
};

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool take(struct cursor *c, char expected)
{
	skip_space(c);
	if (c->p < c->end && *c->p == expected) {
		c->p++;
		return true;
	}
	return false;
}

static bool peek(struct cursor *c, char expected)
{
	skip_space(c);
	return c->p < c->end && *c->p == expected;
}

/* A string without escapes or control characters; the general path handles
 * the rest. */
static bool plain_string(struct cursor *c, const char **text, size_t *len)
{
	const char *start;

	if (!take(c, '"'))
		return false;
	start = c->p;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '\\' || ch < 0x20 || ch >= 0x80)
			return false;
		c->p++;
	}
	if (c->p >= c->end)
		return false;
	*text = start;
	*len = (size_t)(c->p - start);
	c->p++;
	return true;
}

static bool is_digit(const struct cursor *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* A JSON number, converted as Jansson converts it: integers (no fraction or
 * exponent) with strtoll, the rest with strtod; overflow goes to the general
 * path, which reports it. */
static bool number(struct cursor *c, double *out)
{
	const char *start = c->p;
	bool integer = true;
	char token[64];
	size_t len;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (is_digit(c))
		while (is_digit(c))
			c->p++;
	else
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		integer = false;
		if (!is_digit(c))
			return false;
		while (is_digit(c))
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		integer = false;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!is_digit(c))
			return false;
		while (is_digit(c))
			c->p++;
	}
	len = (size_t)(c->p - start);
	/* 18 digits always fit a long long; longer integers may not */
	if (len >= sizeof(token) || (integer && len - (size_t)(*start == '-') > 18))
		return false;
	memcpy(token, start, len);
	token[len] = '\0';
	errno = 0;
	if (integer) {
		*out = (double)strtoll(token, NULL, 10);
	} else {
		*out = strtod(token, NULL);
		if (errno == ERANGE && isinf(*out))
			return false;
	}
	return true;
}

static bool row(struct cursor *c, float *out, size_t num_features)
{
	size_t col = 0;

	if (!take(c, '['))
		return false;
	do {
		double value;

		skip_space(c);
		if (col == num_features)
			return false;
		if ((size_t)(c->end - c->p) >= 4 && memcmp(c->p, "null", 4) == 0) {
			c->p += 4;
			out[col++] = NAN;
			continue;
		}
		/* Python's json.dumps spelling of a missing numpy value (see core/json_nan.h) */
		if ((size_t)(c->end - c->p) >= 3 && memcmp(c->p, "NaN", 3) == 0) {
			c->p += 3;
			out[col++] = NAN;
			continue;
		}
		if (!number(c, &value))
			return false;
		out[col] = (float)value;
		if (!isfinite(out[col]))
			return false;
		col++;
	} while (take(c, ','));
	return col == num_features && take(c, ']');
}

static bool grow(float **rows, size_t *capacity, size_t needed_floats)
{
	float *bigger;
	size_t wanted = *capacity ? *capacity : 256;

	if (needed_floats <= *capacity && *rows != NULL)
		return true;
	while (wanted < needed_floats)
		wanted *= 2;
	bigger = realloc(*rows, wanted * sizeof(float));
	if (bigger == NULL)
		return false;
	*rows = bigger;
	*capacity = wanted;
	return true;
}

static bool instances(struct cursor *c, size_t num_features, size_t max_width, size_t max_rows,
		      float **rows, size_t *n)
{
	size_t capacity = 0;

	if (!take(c, '['))
		return false;
	do {
		if (max_rows > 0 && *n == max_rows)
			return false;
		/* room for this row and, at the end, every row's predictions */
		if (!grow(rows, &capacity, (*n + 1) * (num_features + max_width)))
			return false;
		if (!row(c, *rows + *n * num_features, num_features))
			return false;
		(*n)++;
	} while (take(c, ','));
	return take(c, ']');
}

static bool output_kind(struct cursor *c, appcore_output_kind *kind)
{
	const char *text;
	size_t len;

	if (!plain_string(c, &text, &len))
		return false;
	if (len == 5 && memcmp(text, "value", 5) == 0)
		*kind = APPCORE_OUTPUT_VALUE;
	else if (len == 6 && memcmp(text, "margin", 6) == 0)
		*kind = APPCORE_OUTPUT_MARGIN;
	else
		return false;
	return true;
}

bool ac_predict_fast_parse(const char *text, size_t len, size_t num_features, size_t max_width,
			   size_t max_rows, appcore_output_kind default_kind, float **rows, size_t *n,
			   appcore_output_kind *kind)
{
	struct cursor c = { text, text + len };
	bool seen_instances = false, seen_output = false;

	*rows = NULL;
	*n = 0;
	*kind = default_kind;
	if (num_features == 0 || !take(&c, '{') || peek(&c, '}'))
		goto general;
	do {
		const char *key;
		size_t key_len;

		if (!plain_string(&c, &key, &key_len) || !take(&c, ':'))
			goto general;
		if (key_len == 9 && memcmp(key, "instances", 9) == 0 && !seen_instances) {
			seen_instances = true;
			if (!instances(&c, num_features, max_width, max_rows, rows, n))
				goto general;
		} else if (key_len == 6 && memcmp(key, "output", 6) == 0 && !seen_output) {
			seen_output = true;
			if (!output_kind(&c, kind))
				goto general;
		} else {
			goto general;
		}
	} while (take(&c, ','));
	if (!take(&c, '}') || !seen_instances)
		goto general;
	skip_space(&c);
	if (c.p != c.end)
		goto general;
	return true;
general:
	free(*rows);
	*rows = NULL;
	*n = 0;
	return false;
}
