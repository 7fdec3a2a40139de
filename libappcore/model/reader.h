/* Streaming readers for the XGBoost model document: JSON text and UBJSON (Universal Binary
 * JSON, draft 12) deliver the same token events, so one document reader (document.c)
 * understands both. A token is pulled at a time from a window over the input (input.h);
 * nothing like a DOM is ever built.
 *
 * Both readers check syntax fully, bound nesting at AC_MAX_DEPTH levels, and never allocate
 * more than the input could justify: a count a UBJSON file declares is checked against the
 * bytes left before anything is sized from it. Private to libappcore. */
#ifndef APPCORE_MODEL_READER_H
#define APPCORE_MODEL_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appcore/error.h"
#include "model/input.h"

/* XGBoost models nest about eight levels deep. */
#define AC_MAX_DEPTH 64

typedef enum ac_format {
	AC_FORMAT_JSON,
	AC_FORMAT_UBJSON,
} ac_format;

typedef enum ac_tok {
	AC_TOK_ERROR = -1, /* the reader's error is set */
	AC_TOK_END = 0,    /* end of input after the top-level value */
	AC_TOK_OBJECT,
	AC_TOK_OBJECT_END,
	AC_TOK_ARRAY,
	AC_TOK_ARRAY_END,
	AC_TOK_KEY,     /* str/len: a member name; the member's value follows */
	AC_TOK_STRING,  /* str/len */
	AC_TOK_INTEGER, /* integer */
	AC_TOK_REAL,    /* real (NaN and infinities included) */
	AC_TOK_TRUE,
	AC_TOK_FALSE,
	AC_TOK_NULL,
} ac_tok;

/* A container being read. */
struct ac_frame {
	char kind;      /* '{' or '[' */
	char type;      /* UBJSON typed container: the element marker, else 0 */
	bool after_key; /* JSON: inside an object, a key was read and its value is next */
	bool has_items; /* JSON: an element was read (a ',' must come before the next) */
	int64_t count;  /* UBJSON counted container: elements left, else -1 */
};

struct ac_reader {
	ac_format format;
	struct ac_input *in;
	appcore_error *err;

	/* the current token; str is NUL-terminated, valid until the next call */
	ac_tok tok;
	const char *str;
	size_t len;
	int64_t integer;
	double real;
	uint64_t tok_pos; /* absolute offset where the token starts */

	struct ac_frame stack[AC_MAX_DEPTH];
	int depth;
	bool done; /* the top-level value is complete */

	/* JSON positions for messages: 1-based line, and the offset where it starts */
	int line;
	uint64_t line_start;

	char *scratch; /* decoded strings */
	size_t scratch_cap;
};

/* Which format the bytes at the start of the input are: JSON unless '{' is followed by what
 * only UBJSON puts there (a length marker of the first key, or '$' / '#'). */
ac_format ac_detect_format(struct ac_input *in);

void ac_reader_init(struct ac_reader *r, ac_format format, struct ac_input *in,
		    appcore_error *err);
void ac_reader_free(struct ac_reader *r);

/* The next token (also in r->tok). */
ac_tok ac_next(struct ac_reader *r);

/* After an OBJECT or ARRAY token (or any other value token), skip to its end. */
int ac_skip(struct ac_reader *r);

/* Set a syntax error at the current token ("not valid JSON at line L, column C: ..." or
 * "not valid UBJSON at byte N: ..."). Returns APPCORE_EMODEL. */
int ac_syntax_error(struct ac_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Name of a token type for messages: "object", "string", "integer", ... */
const char *ac_tok_name(ac_tok tok);

/* Key or string token equal to the C string s. */
static inline bool ac_tok_is(const struct ac_reader *r, const char *s)
{
	size_t i = 0;

	while (i < r->len && s[i] == r->str[i])
		i++;
	return i == r->len && s[i] == '\0';
}

/* Numeric arrays, read right after their ARRAY token, up to and including the end of the
 * array. Elements are appended to a growable buffer; the buffer grows with the elements
 * actually present, so its size is bounded by the input's. */
struct ac_f32_buf {
	float *v;
	size_t n, cap;
};
struct ac_i32_buf {
	int32_t *v;
	size_t n, cap;
};

/* What an element failed on, for the caller's message (see ac_array_error). */
struct ac_elem_error {
	size_t index;
	ac_tok got;     /* the element's type */
	double value;   /* the offending number (range errors) */
	bool range;     /* a number out of range, not a wrong type */
};

/* Floats: numbers become float32 (as XGBoost reads them: correctly rounded); NaN, null and
 * numbers beyond float32 are stored as NaN / infinity for the caller to judge. Returns
 * APPCORE_OK, APPCORE_EMODEL with *bad filled for a wrong element type (bad->index), or
 * another code with the reader's error set (syntax, ENOMEM). */
int ac_read_f32_array(struct ac_reader *r, struct ac_f32_buf *out, struct ac_elem_error *bad);

/* Integers in int32 range (booleans count as 0 and 1). */
int ac_read_i32_array(struct ac_reader *r, struct ac_i32_buf *out, struct ac_elem_error *bad);

int ac_f32_reserve(struct ac_f32_buf *b, size_t n);
int ac_i32_reserve(struct ac_i32_buf *b, size_t n);

/* Format-specific parts (reader_json.c, reader_ubjson.c). */
ac_tok ac_json_next(struct ac_reader *r);
ac_tok ac_ubjson_next(struct ac_reader *r);
int ac_json_f32_array(struct ac_reader *r, struct ac_f32_buf *out, struct ac_elem_error *bad);
int ac_json_i32_array(struct ac_reader *r, struct ac_i32_buf *out, struct ac_elem_error *bad);
int ac_ubjson_f32_array(struct ac_reader *r, struct ac_f32_buf *out, struct ac_elem_error *bad);
int ac_ubjson_i32_array(struct ac_reader *r, struct ac_i32_buf *out, struct ac_elem_error *bad);

/* Shared helpers for the format-specific parts. */
int ac_reader_scratch(struct ac_reader *r, size_t n);
int ac_reader_push(struct ac_reader *r, char kind, char type, int64_t count);
/* Decimal number text (JSON grammar) to a token: INTEGER when it has no fraction or
 * exponent and fits int64, else REAL. Returns false if the text is not a number. */
bool ac_parse_number(struct ac_reader *r, const char *s, size_t n);
/* Decimal number text to float32, correctly rounded (a fast exact path for the short
 * mantissas XGBoost writes, strtof otherwise). Returns false if the text is not a number. */
bool ac_decimal_to_f32(const char *s, size_t n, float *out, double *approx);

#endif
