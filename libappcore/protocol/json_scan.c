/*
 * The server's hot path spends more time in Jansson building a tree of json_t nodes than in
 * the trees of the model (bench/RESULTS.md). Requests almost always have one shape, so the
 * fast paths scan it directly with these primitives.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/json_scan.h"

void ac_scan_space(struct ac_scan *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

bool ac_scan_take(struct ac_scan *c, char expected)
{
	ac_scan_space(c);
	if (c->p < c->end && *c->p == expected) {
		c->p++;
		return true;
	}
	return false;
}

bool ac_scan_peek(struct ac_scan *c, char expected)
{
	ac_scan_space(c);
	return c->p < c->end && *c->p == expected;
}

bool ac_scan_string(struct ac_scan *c, const char **text, size_t *len)
{
	const char *start;

	if (!ac_scan_take(c, '"'))
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

static bool is_digit(const struct ac_scan *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

bool ac_scan_number(struct ac_scan *c, double *out)
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

bool ac_scan_count(struct ac_scan *c, size_t *out)
{
	size_t value = 0, digits = 0;

	ac_scan_space(c);
	while (is_digit(c) && digits < 18) {
		value = value * 10 + (size_t)(*c->p - '0');
		c->p++;
		digits++;
	}
	/* a leading zero, a sign or a fraction is the general path's to judge */
	if (digits == 0 || is_digit(c) || (digits > 1 && c->p[-(long)digits] == '0') ||
	    (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E')))
		return false;
	*out = value;
	return true;
}

bool ac_scan_value(struct ac_scan *c, float *out)
{
	double value;

	ac_scan_space(c);
	if ((size_t)(c->end - c->p) >= 4 && memcmp(c->p, "null", 4) == 0) {
		c->p += 4;
		*out = NAN;
		return true;
	}
	/* Python's json.dumps spelling of a missing numpy value (see core/json_nan.h) */
	if ((size_t)(c->end - c->p) >= 3 && memcmp(c->p, "NaN", 3) == 0) {
		c->p += 3;
		*out = NAN;
		return true;
	}
	if (!ac_scan_number(c, &value))
		return false;
	*out = (float)value;
	return isfinite(*out);
}

bool ac_scan_row(struct ac_scan *c, float *out, size_t num_features)
{
	size_t col = 0;

	if (!ac_scan_take(c, '['))
		return false;
	do {
		if (col == num_features || !ac_scan_value(c, &out[col]))
			return false;
		col++;
	} while (ac_scan_take(c, ','));
	return col == num_features && ac_scan_take(c, ']');
}

bool ac_scan_end(struct ac_scan *c)
{
	ac_scan_space(c);
	return c->p == c->end;
}
