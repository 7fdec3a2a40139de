/* JSON text -> tokens (reader.h). RFC 8259, plus the NaN and Infinity words XGBoost writes
 * for non-finite floats (categorical nodes carry NaN split conditions). Strings are checked
 * to be UTF-8 and decoded; \u0000 is refused, as Jansson does. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/utf8.h"
#include "model/reader.h"

/* Bytes the hot loops want in the window before they look at an element: every number
 * XGBoost writes fits, so a token rarely straddles the end of the window. */
#define LOOKAHEAD 64

static void skip_ws(struct ac_reader *r)
{
	struct ac_input *in = r->in;

	for (;;) {
		const char *p = in->cur, *end = in->end;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			if (*p == '\n') {
				r->line++;
				r->line_start = ac_input_pos(in, p) + 1;
			}
			p++;
		}
		in->cur = p;
		if (p < end || in->eof || ac_input_fill(in, LOOKAHEAD) == 0)
			return;
	}
}

static void mark(struct ac_reader *r)
{
	r->tok_pos = ac_input_pos(r->in, r->in->cur);
}

/* The printable form of the byte at cur, for messages. */
static const char *near(struct ac_reader *r, char buf[16])
{
	unsigned char c;

	if (r->in->cur >= r->in->end)
		return "end of input";
	c = (unsigned char)*r->in->cur;
	if (c >= 0x20 && c < 0x7f && c != '\'')
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0xFFFFFFFFu;
	}
	return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The string at cur ('"' included) into r->scratch; cur moves past it. */
static ac_tok read_string(struct ac_reader *r, ac_tok tok)
{
	struct ac_input *in = r->in;
	size_t scanned;

	mark(r);
	/* find the closing quote with the whole string in the window */
	for (scanned = 1;;) {
		const char *p = in->cur + scanned;

		while (p < in->end && *p != '"') {
			if (*p == '\\')
				p++;
			p++;
		}
		if (p < in->end)
			break;
		scanned = (size_t)(in->end - in->cur);
		if (in->eof || ac_input_fill(in, scanned * 2 + LOOKAHEAD) <= scanned) {
			in->cur = in->end;
			return ac_syntax_error(r, "unterminated string"), AC_TOK_ERROR;
		}
	}
	{
		const char *p = in->cur + 1;
		const char *close = p;
		const char *escape = NULL;
		char *out;

		while (*close != '"')
			close += *close == '\\' ? 2 : 1;
		/* decoding never lengthens the text (\uXXXX is 6 bytes for at most 4) */
		if (ac_reader_scratch(r, (size_t)(close - p) + 1) != APPCORE_OK)
			return AC_TOK_ERROR;
		out = r->scratch;
		while (p < close) {
			unsigned char c = (unsigned char)*p;

			if (c == '\\') {
				unsigned cp;

				escape = p;
				switch (p[1]) {
				case '"': *out++ = '"'; break;
				case '\\': *out++ = '\\'; break;
				case '/': *out++ = '/'; break;
				case 'b': *out++ = '\b'; break;
				case 'f': *out++ = '\f'; break;
				case 'n': *out++ = '\n'; break;
				case 'r': *out++ = '\r'; break;
				case 't': *out++ = '\t'; break;
				case 'u':
					if (close - p < 6 || (cp = hex4(p + 2)) > 0xFFFF)
						goto bad_escape;
					p += 4;
					if (cp >= 0xD800 && cp <= 0xDBFF) {
						unsigned low;

						if (close - p < 8 || p[2] != '\\' || p[3] != 'u' ||
						    (low = hex4(p + 4)) < 0xDC00 || low > 0xDFFF)
							goto bad_escape;
						cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
						p += 6;
					} else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
						goto bad_escape;
					}
					out += put_utf8(out, cp);
					break;
				default:
					goto bad_escape;
				}
				p += 2;
			} else if (c < 0x20) {
				in->cur = p;
				mark(r);
				return ac_syntax_error(r, "control character 0x%02x in a string", c),
				       AC_TOK_ERROR;
			} else if (c < 0x80) {
				*out++ = (char)c;
				p++;
			} else {
				size_t n = ac_utf8_sequence_length((const unsigned char *)p,
								   (size_t)(close - p));

				if (n == 0) {
					in->cur = p;
					mark(r);
					return ac_syntax_error(r, "invalid UTF-8 in a string"),
					       AC_TOK_ERROR;
				}
				memcpy(out, p, n);
				out += n;
				p += n;
			}
		}
		*out = '\0';
		r->str = r->scratch;
		r->len = (size_t)(out - r->scratch);
		in->cur = close + 1;
		r->tok = tok;
		return tok;
bad_escape:
		in->cur = escape;
		mark(r);
		return ac_syntax_error(r, "invalid escape in a string"), AC_TOK_ERROR;
	}
}

/* Digits, signs, '.', exponents, and the letters of NaN and Infinity. */
static bool number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
	       c == 'E' || c == 'N' || c == 'a' || c == 'I' || c == 'n' || c == 'f' || c == 'i' ||
	       c == 't' || c == 'y';
}

/* The literal `word` at cur (all of it in the window)? */
static bool at_word(struct ac_input *in, const char *word, size_t n)
{
	return ac_input_have(in, n) && memcmp(in->cur, word, n) == 0;
}

/* Length of the number-like run at cur, with all of it in the window. */
static size_t number_length(struct ac_input *in)
{
	size_t n = 0;

	for (;;) {
		while (in->cur + n < in->end && number_char(in->cur[n]))
			n++;
		if (in->cur + n < in->end || in->eof || ac_input_fill(in, n * 2 + LOOKAHEAD) <= n)
			return n;
	}
}

static ac_tok read_number(struct ac_reader *r)
{
	size_t n;

	mark(r);
	n = number_length(r->in);
	if (n == 0 || !ac_parse_number(r, r->in->cur, n)) {
		char buf[16];

		return ac_syntax_error(r, "invalid number or unexpected %s", near(r, buf)),
		       AC_TOK_ERROR;
	}
	r->in->cur += n;
	return r->tok;
}

static ac_tok read_word(struct ac_reader *r, const char *word, ac_tok tok)
{
	size_t n = strlen(word);

	mark(r);
	if (!ac_input_have(r->in, n) || memcmp(r->in->cur, word, n) != 0) {
		char buf[16];

		return ac_syntax_error(r, "unexpected %s", near(r, buf)), AC_TOK_ERROR;
	}
	r->in->cur += n;
	r->tok = tok;
	return tok;
}

/* A value at cur (whitespace skipped); containers push a frame. */
static ac_tok read_value(struct ac_reader *r)
{
	char buf[16];

	if (r->in->cur == r->in->end) {
		mark(r);
		return ac_syntax_error(r, "unexpected end of input"), AC_TOK_ERROR;
	}
	switch (*r->in->cur) {
	case '{':
	case '[':
		mark(r);
		if (ac_reader_push(r, *r->in->cur, 0, -1) != APPCORE_OK)
			return AC_TOK_ERROR;
		r->tok = *r->in->cur == '{' ? AC_TOK_OBJECT : AC_TOK_ARRAY;
		r->in->cur++;
		return r->tok;
	case '"':
		return read_string(r, AC_TOK_STRING);
	case 't':
		return read_word(r, "true", AC_TOK_TRUE);
	case 'f':
		return read_word(r, "false", AC_TOK_FALSE);
	case 'n':
		return read_word(r, "null", AC_TOK_NULL);
	default:
		if ((*r->in->cur >= '0' && *r->in->cur <= '9') || *r->in->cur == '-' ||
		    *r->in->cur == 'N' || *r->in->cur == 'I')
			return read_number(r);
		mark(r);
		return ac_syntax_error(r, "expected a value, got %s", near(r, buf)), AC_TOK_ERROR;
	}
}

static ac_tok close_container(struct ac_reader *r, ac_tok tok)
{
	mark(r);
	r->in->cur++;
	if (--r->depth == 0)
		r->done = true;
	r->tok = tok;
	return tok;
}

ac_tok ac_json_next(struct ac_reader *r)
{
	struct ac_frame *f;
	char buf[16];

	skip_ws(r);
	if (r->depth == 0) {
		mark(r);
		if (!r->done) {
			ac_tok tok = read_value(r);

			if (tok != AC_TOK_ERROR && r->depth == 0)
				r->done = true;
			return tok;
		}
		if (r->in->cur == r->in->end)
			return r->tok = AC_TOK_END;
		return ac_syntax_error(r, "end of input expected, got %s", near(r, buf)), AC_TOK_ERROR;
	}
	f = &r->stack[r->depth - 1];
	if (f->kind == '{' && f->after_key) {
		f->after_key = false;
		return read_value(r);
	}
	mark(r);
	if (r->in->cur == r->in->end)
		return ac_syntax_error(r, "unexpected end of input"), AC_TOK_ERROR;
	if (*r->in->cur == (f->kind == '{' ? '}' : ']'))
		return close_container(r, f->kind == '{' ? AC_TOK_OBJECT_END : AC_TOK_ARRAY_END);
	if (f->has_items) {
		if (*r->in->cur != ',')
			return ac_syntax_error(r, "expected ',' or '%c', got %s",
					       f->kind == '{' ? '}' : ']', near(r, buf)),
			       AC_TOK_ERROR;
		r->in->cur++;
		skip_ws(r);
		mark(r);
		if (r->in->cur < r->in->end && *r->in->cur == (f->kind == '{' ? '}' : ']'))
			return ac_syntax_error(r, "trailing comma"), AC_TOK_ERROR;
	}
	f->has_items = true;
	if (f->kind == '[')
		return read_value(r);
	/* a key, then ':' */
	if (r->in->cur == r->in->end || *r->in->cur != '"')
		return ac_syntax_error(r, "expected a string key, got %s", near(r, buf)),
		       AC_TOK_ERROR;
	if (read_string(r, AC_TOK_KEY) == AC_TOK_ERROR)
		return AC_TOK_ERROR;
	skip_ws(r);
	if (r->in->cur == r->in->end || *r->in->cur != ':') {
		mark(r);
		return ac_syntax_error(r, "expected ':', got %s", near(r, buf)), AC_TOK_ERROR;
	}
	r->in->cur++;
	f->after_key = true;
	return AC_TOK_KEY;
}

/* The element at cur is not a number: which type it is, for the caller's message
 * (AC_TOK_ERROR: not a value at all). */
static ac_tok element_type(struct ac_input *in)
{
	switch (in->cur < in->end ? *in->cur : 0) {
	case '"': return AC_TOK_STRING;
	case '{': return AC_TOK_OBJECT;
	case '[': return AC_TOK_ARRAY;
	case 't': return at_word(in, "true", 4) ? AC_TOK_TRUE : AC_TOK_ERROR;
	case 'f': return at_word(in, "false", 5) ? AC_TOK_FALSE : AC_TOK_ERROR;
	case 'n': return at_word(in, "null", 4) ? AC_TOK_NULL : AC_TOK_ERROR;
	default: return AC_TOK_ERROR;
	}
}

/* The separator before element `index`: ',' (after the first), or the array's end. Returns
 * 1 at the end of the array, 0 for an element at cur, -1 on a syntax error. */
static int separator(struct ac_reader *r, size_t index)
{
	struct ac_input *in = r->in;
	char buf[16];

	if ((size_t)(in->end - in->cur) < LOOKAHEAD && !in->eof)
		ac_input_fill(in, LOOKAHEAD);
	skip_ws(r);
	mark(r);
	if (in->cur < in->end && *in->cur == ']') {
		close_container(r, AC_TOK_ARRAY_END);
		return 1;
	}
	if (index > 0) {
		if (in->cur == in->end || *in->cur != ',')
			return in->cur == in->end ? ac_syntax_error(r, "unexpected end of input")
						  : ac_syntax_error(r, "expected ',' or ']', got %s",
								    near(r, buf)),
			       -1;
		in->cur++;
		skip_ws(r);
		mark(r);
		if (in->cur < in->end && *in->cur == ']')
			return ac_syntax_error(r, "trailing comma"), -1;
	}
	if (in->cur == in->end)
		return ac_syntax_error(r, "unexpected end of input"), -1;
	return 0;
}

static int start_numbers(struct ac_reader *r)
{
	/* called right after the ARRAY token: its frame is on top */
	if (r->depth == 0 || r->stack[r->depth - 1].kind != '[' || r->tok != AC_TOK_ARRAY)
		return ac_error_set(r->err, APPCORE_EINTERNAL, "array reader misused");
	return APPCORE_OK;
}

int ac_json_f32_array(struct ac_reader *r, struct ac_f32_buf *out, struct ac_elem_error *bad)
{
	struct ac_input *in = r->in;
	int rc = start_numbers(r);

	for (size_t i = 0; rc == APPCORE_OK; i++) {
		int sep = separator(r, i);
		size_t n;
		double approx;

		if (sep != 0)
			return sep > 0 ? APPCORE_OK : r->err->code;
		if (out->n == out->cap && ac_f32_reserve(out, out->n + 1) != APPCORE_OK)
			return ac_error_set(r->err, APPCORE_ENOMEM, "out of memory");
		if (*in->cur != 'n' || !at_word(in, "null", 4)) {
			n = number_length(in);
			if (n > 0 && ac_decimal_to_f32(in->cur, n, &out->v[out->n], &approx)) {
				if (isinf(out->v[out->n])) {
					/* beyond float32 (or an Infinity word) */
					*bad = (struct ac_elem_error){ i, AC_TOK_REAL, approx, true };
					return APPCORE_EMODEL;
				}
				out->n++;
				in->cur += n;
				continue;
			}
		} else {
			/* null reads as NaN, as the NaN word does: the tree builder accepts
			 * it only where a value is unused */
			out->v[out->n++] = NAN;
			in->cur += 4;
			continue;
		}
		bad->index = i;
		bad->range = false;
		bad->got = element_type(in);
		if (bad->got == AC_TOK_ERROR) {
			char buf[16];

			return ac_syntax_error(r, "invalid number or unexpected %s", near(r, buf));
		}
		return APPCORE_EMODEL;
	}
	return rc;
}

int ac_json_i32_array(struct ac_reader *r, struct ac_i32_buf *out, struct ac_elem_error *bad)
{
	struct ac_input *in = r->in;
	int rc = start_numbers(r);

	for (size_t i = 0; rc == APPCORE_OK; i++) {
		int sep = separator(r, i);
		const char *p;
		size_t n;
		bool negative;
		int64_t v = 0;

		if (sep != 0)
			return sep > 0 ? APPCORE_OK : r->err->code;
		if (out->n == out->cap && ac_i32_reserve(out, out->n + 1) != APPCORE_OK)
			return ac_error_set(r->err, APPCORE_ENOMEM, "out of memory");
		n = number_length(in);
		p = in->cur;
		negative = n > 0 && p[0] == '-';
		/* plain integers directly; anything else through the general number parser */
		if (n > (size_t)negative && n - negative <= 10) {
			size_t k = negative;

			for (; k < n && p[k] >= '0' && p[k] <= '9'; k++)
				v = v * 10 + (p[k] - '0');
			if (k == n && !(p[negative] == '0' && n - negative > 1)) {
				v = negative ? -v : v;
				if (v < INT32_MIN || v > INT32_MAX) {
					*bad = (struct ac_elem_error){ i, AC_TOK_INTEGER, (double)v, true };
					return APPCORE_EMODEL;
				}
				out->v[out->n++] = (int32_t)v;
				in->cur += n;
				continue;
			}
		}
		if (*p == 't' && at_word(in, "true", 4)) {
			out->v[out->n++] = 1;
			in->cur += 4;
			continue;
		}
		if (*p == 'f' && at_word(in, "false", 5)) {
			out->v[out->n++] = 0;
			in->cur += 5;
			continue;
		}
		if (n > 0 && ac_parse_number(r, p, n)) {
			bool integer = r->tok == AC_TOK_INTEGER;

			*bad = (struct ac_elem_error){ i, r->tok,
						       integer ? (double)r->integer : r->real, integer };
			return APPCORE_EMODEL;
		}
		*bad = (struct ac_elem_error){ i, element_type(in), 0, false };
		if (bad->got == AC_TOK_ERROR) {
			char buf[16];

			return ac_syntax_error(r, "invalid number or unexpected %s", near(r, buf));
		}
		return APPCORE_EMODEL;
	}
	return rc;
}
