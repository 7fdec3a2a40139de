/* UBJSON (Universal Binary JSON, draft 12) -> tokens (reader.h), as XGBoost's UBJWriter
 * writes it (src/common/json.cc: objects without counts, arrays as `[#L<n>`, numeric arrays
 * as typed `[$d#L<n>` with big-endian elements) and as the draft allows besides: unsized
 * arrays, counted and typed objects (`{#`, `{$`), any integer type for lengths and counts,
 * 'H' high-precision numbers, 'C' characters, 'N' no-ops.
 *
 * Every length and count is checked against the bytes left in the input before anything is
 * sized from it, so a file declaring a 10 GB array is refused without allocating. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/utf8.h"
#include "model/reader.h"

/* A UBJSON int8 (two's complement) from its byte. */
static inline int64_t i8(char c)
{
	const int v = (unsigned char)c;

	return v > 127 ? v - 256 : v;
}

static inline uint16_t be16(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint16_t)((unsigned)u[0] << 8 | u[1]);
}

static inline uint32_t be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static inline uint64_t be64(const char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static inline float f32_at(const char *p)
{
	uint32_t bits = be32(p);
	float f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

static inline double f64_at(const char *p)
{
	uint64_t bits = be64(p);
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* Payload bytes of a fixed-size value, 0 for none, -1 for a variable size. */
static int payload_size(char marker)
{
	switch (marker) {
	case 'i':
	case 'U':
	case 'C': return 1;
	case 'I': return 2;
	case 'l':
	case 'd': return 4;
	case 'L':
	case 'D': return 8;
	case 'T':
	case 'F':
	case 'Z': return 0;
	default: return -1;
	}
}

static void mark(struct ac_reader *r)
{
	r->tok_pos = ac_input_pos(r->in, r->in->cur);
}

/* Bytes that may still follow: what the file has left, or what the size limit allows. */
static uint64_t bytes_left(const struct ac_reader *r)
{
	uint64_t left = ac_input_remaining(r->in);

	if (left == UINT64_MAX)
		left = r->in->limit - ac_input_pos(r->in, r->in->cur);
	return left;
}

static int truncated(struct ac_reader *r)
{
	mark(r);
	return ac_syntax_error(r, "unexpected end of input");
}

static int read_int(struct ac_reader *r, char marker, int64_t *out)
{
	struct ac_input *in = r->in;
	int size = payload_size(marker);

	*out = 0;
	if (!ac_input_have(in, (size_t)size))
		return truncated(r);
	switch (marker) {
	case 'i': *out = i8(in->cur[0]); break;
	case 'U': *out = (uint8_t)in->cur[0]; break;
	case 'I': *out = (int16_t)be16(in->cur); break;
	case 'l': *out = (int32_t)be32(in->cur); break;
	default: *out = (int64_t)be64(in->cur); break;
	}
	in->cur += size;
	return APPCORE_OK;
}

/* A length or count: an integer marker and its value, not negative. */
static int read_length(struct ac_reader *r, const char *what, int64_t *out)
{
	struct ac_input *in = r->in;
	char marker;

	mark(r);
	if (!ac_input_have(in, 1))
		return truncated(r);
	marker = *in->cur;
	if (strchr("iUIlL", marker) == NULL || marker == '\0')
		return ac_syntax_error(r, "%s: expected an integer marker, got 0x%02x", what,
				       (unsigned char)marker);
	in->cur++;
	if (read_int(r, marker, out) != APPCORE_OK)
		return r->err->code;
	if (*out < 0)
		return ac_syntax_error(r, "negative %s %lld", what, (long long)*out);
	return APPCORE_OK;
}

/* A string of a length read first (key, 'S', 'H'): into r->scratch, NUL-terminated. */
static int read_text(struct ac_reader *r, const char *what)
{
	struct ac_input *in = r->in;
	int64_t len = 0;

	if (read_length(r, what, &len) != APPCORE_OK)
		return r->err->code;
	if ((uint64_t)len > bytes_left(r))
		return ac_syntax_error(r, "%s length %lld is more than the %llu bytes left", what,
				       (long long)len, (unsigned long long)bytes_left(r));
	if (!ac_input_have(in, (size_t)len))
		return truncated(r);
	if (ac_reader_scratch(r, (size_t)len + 1) != APPCORE_OK)
		return r->err->code;
	for (size_t i = 0; i < (size_t)len;) {
		size_t n = ac_utf8_sequence_length((const unsigned char *)in->cur + i,
						   (size_t)len - i);

		if (n == 0 || in->cur[i] == '\0') {
			r->tok_pos = ac_input_pos(in, in->cur + i);
			return ac_syntax_error(r, "%s", n == 0 ? "invalid UTF-8 in a string"
							       : "NUL byte in a string");
		}
		i += n;
	}
	memcpy(r->scratch, in->cur, (size_t)len);
	r->scratch[len] = '\0';
	r->str = r->scratch;
	r->len = (size_t)len;
	in->cur += len;
	return APPCORE_OK;
}

/* After '[' or '{': the optional `$type` and `#count`, then the frame. */
static ac_tok open_container(struct ac_reader *r, char kind)
{
	struct ac_input *in = r->in;
	char type = 0;
	int64_t count = -1;
	int size;

	if (r->depth == AC_MAX_DEPTH)
		return ac_syntax_error(r, "nested deeper than %d levels", AC_MAX_DEPTH), AC_TOK_ERROR;
	if (!ac_input_have(in, 1))
		return truncated(r), AC_TOK_ERROR;
	if (*in->cur == '$') {
		in->cur++;
		mark(r);
		if (!ac_input_have(in, 1))
			return truncated(r), AC_TOK_ERROR;
		type = *in->cur++;
		if (strchr("iUIlLdDHCSTFZ", type) == NULL || type == '\0')
			return ac_syntax_error(r, "unsupported element type 0x%02x in a typed "
					       "container", (unsigned char)type),
			       AC_TOK_ERROR;
		if (!ac_input_have(in, 1))
			return truncated(r), AC_TOK_ERROR;
		if (*in->cur != '#') {
			mark(r);
			return ac_syntax_error(r, "a typed container needs a count ('#')"),
			       AC_TOK_ERROR;
		}
	}
	if (*in->cur == '#') {
		in->cur++;
		if (read_length(r, "count", &count) != APPCORE_OK)
			return AC_TOK_ERROR;
		/* every element takes a byte at least (a typed one its payload); elements of
		 * no size are held to the same bound, so no count outgrows the file */
		size = type ? payload_size(type) : 1;
		if (size < 1)
			size = 1;
		if ((uint64_t)count > bytes_left(r) / (uint64_t)size)
			return ac_syntax_error(r, "count %lld needs more than the %llu bytes left",
					       (long long)count, (unsigned long long)bytes_left(r)),
			       AC_TOK_ERROR;
	}
	if (ac_reader_push(r, kind, type, count) != APPCORE_OK)
		return AC_TOK_ERROR;
	return r->tok = kind == '{' ? AC_TOK_OBJECT : AC_TOK_ARRAY;
}

/* The value of a marker already read. */
static ac_tok read_payload(struct ac_reader *r, char marker)
{
	struct ac_input *in = r->in;
	int64_t i = 0;

	switch (marker) {
	case '{':
	case '[':
		return open_container(r, marker);
	case 'Z': return r->tok = AC_TOK_NULL;
	case 'T': return r->tok = AC_TOK_TRUE;
	case 'F': return r->tok = AC_TOK_FALSE;
	case 'i':
	case 'U':
	case 'I':
	case 'l':
	case 'L':
		if (read_int(r, marker, &i) != APPCORE_OK)
			return AC_TOK_ERROR;
		r->integer = i;
		return r->tok = AC_TOK_INTEGER;
	case 'd':
		if (!ac_input_have(in, 4))
			return truncated(r), AC_TOK_ERROR;
		r->real = f32_at(in->cur);
		in->cur += 4;
		return r->tok = AC_TOK_REAL;
	case 'D':
		if (!ac_input_have(in, 8))
			return truncated(r), AC_TOK_ERROR;
		r->real = f64_at(in->cur);
		in->cur += 8;
		return r->tok = AC_TOK_REAL;
	case 'C':
		if (!ac_input_have(in, 1))
			return truncated(r), AC_TOK_ERROR;
		if ((unsigned char)*in->cur >= 0x80 || *in->cur == '\0')
			return ac_syntax_error(r, "char 0x%02x is not ASCII",
					       (unsigned char)*in->cur),
			       AC_TOK_ERROR;
		if (ac_reader_scratch(r, 2) != APPCORE_OK)
			return AC_TOK_ERROR;
		r->scratch[0] = *in->cur++;
		r->scratch[1] = '\0';
		r->str = r->scratch;
		r->len = 1;
		return r->tok = AC_TOK_STRING;
	case 'S':
		if (read_text(r, "string") != APPCORE_OK)
			return AC_TOK_ERROR;
		return r->tok = AC_TOK_STRING;
	case 'H':
		if (read_text(r, "high-precision number") != APPCORE_OK)
			return AC_TOK_ERROR;
		if (!ac_parse_number(r, r->str, r->len))
			return ac_syntax_error(r, "high-precision number \"%.40s\" is not a number",
					       r->str),
			       AC_TOK_ERROR;
		return r->tok;
	default:
		return ac_syntax_error(r, "unknown marker 0x%02x", (unsigned char)marker),
		       AC_TOK_ERROR;
	}
}

/* A marker (no-ops skipped) and its value. */
static ac_tok read_value(struct ac_reader *r)
{
	struct ac_input *in = r->in;

	for (;;) {
		mark(r);
		if (!ac_input_have(in, 1))
			return truncated(r), AC_TOK_ERROR;
		if (*in->cur != 'N')
			break;
		in->cur++;
	}
	return read_payload(r, *in->cur++);
}

static ac_tok close_container(struct ac_reader *r, ac_tok tok)
{
	if (--r->depth == 0)
		r->done = true;
	return r->tok = tok;
}

ac_tok ac_ubjson_next(struct ac_reader *r)
{
	struct ac_input *in = r->in;
	struct ac_frame *f;

	if (r->depth == 0) {
		mark(r);
		if (!r->done) {
			ac_tok tok = read_value(r);

			if (tok != AC_TOK_ERROR && r->depth == 0)
				r->done = true;
			return tok;
		}
		if (!ac_input_have(in, 1))
			return r->tok = AC_TOK_END;
		return ac_syntax_error(r, "end of input expected, got marker 0x%02x",
				       (unsigned char)*in->cur),
		       AC_TOK_ERROR;
	}
	f = &r->stack[r->depth - 1];
	if (f->kind == '{' && f->after_key) {
		f->after_key = false;
		mark(r);
		return f->type ? read_payload(r, f->type) : read_value(r);
	}
	if (f->count == 0)
		return close_container(r, f->kind == '{' ? AC_TOK_OBJECT_END : AC_TOK_ARRAY_END);
	if (f->count > 0) {
		f->count--;
	} else {
		for (;;) {
			mark(r);
			if (!ac_input_have(in, 1))
				return truncated(r), AC_TOK_ERROR;
			if (*in->cur != 'N')
				break;
			in->cur++;
		}
		if (*in->cur == (f->kind == '{' ? '}' : ']')) {
			in->cur++;
			return close_container(r, f->kind == '{' ? AC_TOK_OBJECT_END
								 : AC_TOK_ARRAY_END);
		}
	}
	if (f->kind == '[') {
		mark(r);
		return f->type ? read_payload(r, f->type) : read_value(r);
	}
	/* a key: a length and UTF-8 bytes, no 'S' marker */
	if (read_text(r, "key") != APPCORE_OK)
		return AC_TOK_ERROR;
	f->after_key = true;
	return r->tok = AC_TOK_KEY;
}


static void decode_f32_d(const char *p, size_t n, void *out)
{
	float *o = out;

	for (size_t i = 0; i < n; i++)
		o[i] = f32_at(p + 4 * i);
}

static void decode_f32_D(const char *p, size_t n, void *out)
{
	float *o = out;

	for (size_t i = 0; i < n; i++)
		o[i] = (float)f64_at(p + 8 * i);
}

static int64_t int_at(char type, const char *p)
{
	switch (type) {
	case 'i': return i8(p[0]);
	case 'U': return (uint8_t)p[0];
	case 'I': return (int16_t)be16(p);
	case 'l': return (int32_t)be32(p);
	default: return (int64_t)be64(p);
	}
}

static int typed_f32(struct ac_reader *r, struct ac_f32_buf *out)
{
	struct ac_input *in = r->in;
	struct ac_frame *f = &r->stack[r->depth - 1];
	const int size_or_none = payload_size(f->type);
	const size_t size = size_or_none > 0 ? (size_t)size_or_none : 1;

	while (f->count > 0) {
		size_t avail, chunk;

		if (!ac_input_have(in, size))
			return truncated(r);
		avail = (size_t)(in->end - in->cur) / size;
		chunk = (uint64_t)f->count < avail ? (size_t)f->count : avail;
		if (ac_f32_reserve(out, out->n + chunk) != APPCORE_OK)
			return ac_error_set(r->err, APPCORE_ENOMEM, "out of memory");
		if (f->type == 'd') {
			decode_f32_d(in->cur, chunk, out->v + out->n);
		} else if (f->type == 'D') {
			decode_f32_D(in->cur, chunk, out->v + out->n);
		} else {
			for (size_t i = 0; i < chunk; i++)
				out->v[out->n + i] = (float)int_at(f->type, in->cur + i * size);
		}
		out->n += chunk;
		in->cur += chunk * size;
		f->count -= (int64_t)chunk;
	}
	close_container(r, AC_TOK_ARRAY_END);
	return APPCORE_OK;
}

static int typed_i32(struct ac_reader *r, struct ac_i32_buf *out, struct ac_elem_error *bad)
{
	struct ac_input *in = r->in;
	struct ac_frame *f = &r->stack[r->depth - 1];
	const int size_or_none = payload_size(f->type);
	const size_t size = size_or_none > 0 ? (size_t)size_or_none : 1;
	size_t index = 0;

	while (f->count > 0) {
		size_t avail, chunk;

		if (!ac_input_have(in, size))
			return truncated(r);
		avail = (size_t)(in->end - in->cur) / size;
		chunk = (uint64_t)f->count < avail ? (size_t)f->count : avail;
		if (ac_i32_reserve(out, out->n + chunk) != APPCORE_OK)
			return ac_error_set(r->err, APPCORE_ENOMEM, "out of memory");
		if (f->type == 'l') {
			for (size_t i = 0; i < chunk; i++)
				out->v[out->n + i] = (int32_t)be32(in->cur + 4 * i);
		} else {
			for (size_t i = 0; i < chunk; i++) {
				int64_t v = int_at(f->type, in->cur + i * size);

				if (v < INT32_MIN || v > INT32_MAX) {
					*bad = (struct ac_elem_error){ index + i, AC_TOK_INTEGER,
								       (double)v, true };
					return APPCORE_EMODEL;
				}
				out->v[out->n + i] = (int32_t)v;
			}
		}
		out->n += chunk;
		index += chunk;
		in->cur += chunk * size;
		f->count -= (int64_t)chunk;
	}
	close_container(r, AC_TOK_ARRAY_END);
	return APPCORE_OK;
}

static bool numeric_type(char type, bool integers_only)
{
	return type != 0 && strchr(integers_only ? "iUIlL" : "iUIlLdD", type) != NULL;
}

int ac_ubjson_f32_array(struct ac_reader *r, struct ac_f32_buf *out, struct ac_elem_error *bad)
{
	const struct ac_frame *f = &r->stack[r->depth - 1];

	if (r->tok != AC_TOK_ARRAY)
		return ac_error_set(r->err, APPCORE_EINTERNAL, "array reader misused");
	if (numeric_type(f->type, false))
		return typed_f32(r, out);
	for (size_t i = 0;; i++) {
		ac_tok tok = ac_ubjson_next(r);
		float v;

		switch (tok) {
		case AC_TOK_ARRAY_END: return APPCORE_OK;
		case AC_TOK_ERROR: return r->err->code;
		case AC_TOK_INTEGER: v = (float)r->integer; break;
		case AC_TOK_REAL:
			v = (float)r->real;
			if (isinf(v)) {
				*bad = (struct ac_elem_error){ i, AC_TOK_REAL, r->real, true };
				return APPCORE_EMODEL;
			}
			break;
		case AC_TOK_NULL: v = NAN; break;
		default:
			*bad = (struct ac_elem_error){ i, tok, 0, false };
			return APPCORE_EMODEL;
		}
		if (ac_f32_reserve(out, out->n + 1) != APPCORE_OK)
			return ac_error_set(r->err, APPCORE_ENOMEM, "out of memory");
		out->v[out->n++] = v;
	}
}

int ac_ubjson_i32_array(struct ac_reader *r, struct ac_i32_buf *out, struct ac_elem_error *bad)
{
	const struct ac_frame *f = &r->stack[r->depth - 1];

	if (r->tok != AC_TOK_ARRAY)
		return ac_error_set(r->err, APPCORE_EINTERNAL, "array reader misused");
	if (numeric_type(f->type, true))
		return typed_i32(r, out, bad);
	for (size_t i = 0;; i++) {
		ac_tok tok = ac_ubjson_next(r);
		int64_t v;

		switch (tok) {
		case AC_TOK_ARRAY_END: return APPCORE_OK;
		case AC_TOK_ERROR: return r->err->code;
		case AC_TOK_INTEGER: v = r->integer; break;
		case AC_TOK_TRUE: v = 1; break;
		case AC_TOK_FALSE: v = 0; break;
		default:
			*bad = (struct ac_elem_error){ i, tok, tok == AC_TOK_REAL ? r->real : 0, false };
			return APPCORE_EMODEL;
		}
		if (v < INT32_MIN || v > INT32_MAX) {
			*bad = (struct ac_elem_error){ i, AC_TOK_INTEGER, (double)v, true };
			return APPCORE_EMODEL;
		}
		if (ac_i32_reserve(out, out->n + 1) != APPCORE_OK)
			return ac_error_set(r->err, APPCORE_ENOMEM, "out of memory");
		out->v[out->n++] = (int32_t)v;
	}
}
