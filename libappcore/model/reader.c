/* The format-neutral half of the streaming readers: dispatch, skipping, buffers, messages and
 * decimal numbers. reader_json.c and reader_ubjson.c turn bytes into tokens. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "model/reader.h"

ac_format ac_detect_format(struct ac_input *in)
{
	/* JSON may start with whitespace; UBJSON's '{' is the first byte. After '{', JSON has
	 * whitespace, '"' or '}', UBJSON the integer marker of the first key's length or the
	 * '$' / '#' of an optimized object. */
	if (ac_input_have(in, 2) && in->cur[0] == '{' && strchr("iUIlL$#", in->cur[1]) != NULL &&
	    in->cur[1] != '\0')
		return AC_FORMAT_UBJSON;
	return AC_FORMAT_JSON;
}

void ac_reader_init(struct ac_reader *r, ac_format format, struct ac_input *in,
		    appcore_error *err)
{
	memset(r, 0, sizeof(*r));
	r->format = format;
	r->in = in;
	r->err = err;
	r->line = 1;
	r->str = "";
}

void ac_reader_free(struct ac_reader *r)
{
	free(r->scratch);
	r->scratch = NULL;
}

int ac_reader_scratch(struct ac_reader *r, size_t n)
{
	size_t cap = r->scratch_cap ? r->scratch_cap : 256;
	char *bigger;

	if (n <= r->scratch_cap)
		return APPCORE_OK;
	while (cap < n)
		cap *= 2;
	if ((bigger = realloc(r->scratch, cap)) == NULL)
		return ac_error_set(r->err, APPCORE_ENOMEM, "out of memory");
	r->scratch = bigger;
	r->scratch_cap = cap;
	return APPCORE_OK;
}

int ac_reader_push(struct ac_reader *r, char kind, char type, int64_t count)
{
	if (r->depth == AC_MAX_DEPTH)
		return ac_syntax_error(r, "nested deeper than %d levels", AC_MAX_DEPTH);
	r->stack[r->depth++] = (struct ac_frame){ kind, type, false, false, count };
	return APPCORE_OK;
}

int ac_syntax_error(struct ac_reader *r, const char *fmt, ...)
{
	char what[APPCORE_ERROR_MESSAGE_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->in->error > 0)
		return ac_error_set(r->err, r->in->error == ENOMEM ? APPCORE_ENOMEM : APPCORE_EIO,
				    "%s", r->in->error == ENOMEM ? "out of memory"
								 : "read error");
	if (r->in->error < 0)
		return ac_error_set(r->err, APPCORE_EMODEL, "larger than %llu bytes",
				    (unsigned long long)r->in->limit);
	if (r->format == AC_FORMAT_UBJSON)
		return ac_error_set(r->err, APPCORE_EMODEL, "not valid UBJSON at byte %llu: %s",
				    (unsigned long long)r->tok_pos, what);
	{
		long long column = (long long)(r->tok_pos - r->line_start) + 1;
		int col = column > 0x7fffffff ? 0x7fffffff : (int)column;

		return ac_error_set_at(r->err, APPCORE_EMODEL, r->line, col,
				       "not valid JSON at line %d, column %d: %s", r->line, col, what);
	}
}

const char *ac_tok_name(ac_tok tok)
{
	switch (tok) {
	case AC_TOK_OBJECT: return "object";
	case AC_TOK_ARRAY: return "array";
	case AC_TOK_STRING: return "string";
	case AC_TOK_INTEGER: return "integer";
	case AC_TOK_REAL: return "number";
	case AC_TOK_TRUE:
	case AC_TOK_FALSE: return "boolean";
	case AC_TOK_NULL: return "null";
	default: return "nothing";
	}
}

ac_tok ac_next(struct ac_reader *r)
{
	return r->format == AC_FORMAT_JSON ? ac_json_next(r) : ac_ubjson_next(r);
}

int ac_skip(struct ac_reader *r)
{
	int depth;

	if (r->tok != AC_TOK_OBJECT && r->tok != AC_TOK_ARRAY)
		return r->tok == AC_TOK_ERROR ? r->err->code : APPCORE_OK;
	depth = r->depth;
	/* iterative: the readers' own stack bounds the nesting */
	while (r->depth >= depth)
		if (ac_next(r) == AC_TOK_ERROR)
			return r->err->code;
	return APPCORE_OK;
}

/* Grow *v (of *cap elements of elem bytes) to hold n, doubling from 64. */
static int reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t want = *cap ? *cap : 64;
	void *bigger;

	if (n <= *cap)
		return APPCORE_OK;
	while (want < n)
		want *= 2;
	if ((bigger = realloc(*v, want * elem)) == NULL)
		return APPCORE_ENOMEM;
	*v = bigger;
	*cap = want;
	return APPCORE_OK;
}

int ac_f32_reserve(struct ac_f32_buf *b, size_t n)
{
	void *v = b->v;
	int rc = reserve(&v, &b->cap, n, sizeof(*b->v));

	b->v = v;
	return rc;
}

int ac_i32_reserve(struct ac_i32_buf *b, size_t n)
{
	void *v = b->v;
	int rc = reserve(&v, &b->cap, n, sizeof(*b->v));

	b->v = v;
	return rc;
}

int ac_read_f32_array(struct ac_reader *r, struct ac_f32_buf *out, struct ac_elem_error *bad)
{
	return r->format == AC_FORMAT_JSON ? ac_json_f32_array(r, out, bad)
					   : ac_ubjson_f32_array(r, out, bad);
}

int ac_read_i32_array(struct ac_reader *r, struct ac_i32_buf *out, struct ac_elem_error *bad)
{
	return r->format == AC_FORMAT_JSON ? ac_json_i32_array(r, out, bad)
					   : ac_ubjson_i32_array(r, out, bad);
}

/* Exact powers of ten: float up to 1e10 (5^10 < 2^24), double up to 1e22 (5^22 < 2^53). */
static const float pow10_f[] = { 1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f,
				 1e10f };
static const double pow10_d[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/* JSON number grammar, plus the NaN / Infinity words XGBoost writes (see json.cc's
 * ParseNumber). Fills the significant digits (up to 19, *exact false beyond) and the decimal
 * exponent. Returns 0 for a number, 1 for NaN, 2 for an infinity, -1 for no number. */
static int scan_decimal(const char *s, size_t n, bool *negative, uint64_t *mantissa,
			long *exponent, bool *exact, bool *is_integer)
{
	size_t i = 0;
	int digits = 0;
	long exp10 = 0;
	uint64_t w = 0;

	*negative = n > 0 && s[0] == '-';
	i = *negative;
	if (n - i == 3 && memcmp(s + i, "NaN", 3) == 0)
		return 1;
	if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0)
		return 2;
	*exact = true;
	*is_integer = true;
	if (i == n || s[i] < '0' || s[i] > '9')
		return -1;
	if (s[i] == '0') {
		i++;
	} else {
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (digits < 19) {
				w = w * 10 + (uint64_t)(s[i] - '0');
				digits++;
			} else {
				exp10++;
				*exact &= s[i] == '0';
			}
		}
	}
	if (i < n && s[i] == '.') {
		*is_integer = false;
		i++;
		if (i == n || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (w == 0 && s[i] == '0') {
				exp10--; /* leading zeros of a fraction are not significant */
			} else if (digits < 19) {
				w = w * 10 + (uint64_t)(s[i] - '0');
				digits++;
				exp10--;
			} else {
				*exact &= s[i] == '0';
			}
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		bool neg = false;
		long e = 0;

		*is_integer = false;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			neg = s[i++] == '-';
		if (i == n || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
		exp10 += neg ? -e : e;
	}
	if (i != n)
		return -1;
	*mantissa = w;
	*exponent = exp10;
	return 0;
}

/* strtof/strtod want NUL-terminated text; numbers longer than this are refused. */
#define MAX_NUMBER_TEXT 512

bool ac_decimal_to_f32(const char *s, size_t n, float *out, double *approx)
{
	bool negative, exact, is_integer;
	uint64_t w;
	long e;
	char text[MAX_NUMBER_TEXT];
	int kind = scan_decimal(s, n, &negative, &w, &e, &exact, &is_integer);

	if (kind < 0)
		return false;
	if (kind > 0) {
		*out = kind == 1 ? NAN : (negative ? -INFINITY : INFINITY);
		*approx = *out;
		return true;
	}
	if (exact && w == 0) {
		*out = negative ? -0.0f : 0.0f;
		*approx = *out;
		return true;
	}
	/* Clinger's fast path: an exact mantissa times an exact power of ten is one correctly
	 * rounded operation. */
	if (exact && w < (1u << 24) && e >= -10 && e <= 10) {
		float f = (float)w;

		f = e < 0 ? f / pow10_f[-e] : f * pow10_f[e];
		*out = negative ? -f : f;
		*approx = *out;
		return true;
	}
	if (exact && w < ((uint64_t)1 << 53) && e >= -22 && e <= 22) {
		double d = (double)w;
		float f;

		d = e < 0 ? d / pow10_d[-e] : d * pow10_d[e];
		f = (float)d;
		/* d is the correctly rounded double; rounding it again to float is exact unless d
		 * lies exactly halfway between two floats (then the text decides: strtof) */
		if ((double)f != d) {
			float other = nextafterf(f, d > (double)f ? INFINITY : -INFINITY);

			if (d - (double)f == (double)other - d)
				goto slow;
		}
		*out = negative ? -f : f;
		*approx = negative ? -d : d;
		return true;
	}
slow:
	if (n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	errno = 0;
	*out = strtof(text, NULL); /* ERANGE for subnormals: the value is still right */
	*approx = isfinite(*out) ? (double)*out : strtod(text, NULL);
	return true;
}

bool ac_parse_number(struct ac_reader *r, const char *s, size_t n)
{
	bool negative, exact, is_integer;
	uint64_t w;
	long e;
	char text[MAX_NUMBER_TEXT];
	int kind = scan_decimal(s, n, &negative, &w, &e, &exact, &is_integer);

	if (kind < 0)
		return false;
	if (kind > 0) {
		r->tok = AC_TOK_REAL;
		r->real = kind == 1 ? NAN : (negative ? -INFINITY : INFINITY);
		return true;
	}
	if (is_integer && exact && e == 0 && w <= (uint64_t)INT64_MAX + negative) {
		r->tok = AC_TOK_INTEGER;
		r->integer = negative ? (int64_t)(0 - w) : (int64_t)w;
		return true;
	}
	if (n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	r->tok = AC_TOK_REAL;
	r->real = strtod(text, NULL);
	return true;
}
