/* A growable text buffer shared by the logger, the metrics renderer and the
 * configuration printer: starts in caller storage (usually the stack) so the
 * common case allocates nothing, and moves to the heap only when it must. */
#ifndef APPCORE_LOG_STRBUF_H
#define APPCORE_LOG_STRBUF_H

#include <stddef.h>

#include "core/error_internal.h"

typedef struct ac_strbuf {
	char *data;
	size_t len;
	size_t cap;
	int heap;   /* data came from malloc */
	int failed; /* an allocation failed; further appends are dropped */
} ac_strbuf;

/* storage may be NULL (cap 0): the first append allocates. */
void ac_strbuf_init(ac_strbuf *buf, char *storage, size_t cap);
void ac_strbuf_release(ac_strbuf *buf);
int ac_strbuf_reserve(ac_strbuf *buf, size_t extra);
void ac_strbuf_append(ac_strbuf *buf, const char *text, size_t len);
void ac_strbuf_puts(ac_strbuf *buf, const char *text);
void ac_strbuf_putc(ac_strbuf *buf, char c);
void ac_strbuf_printf(ac_strbuf *buf, const char *fmt, ...) AC_PRINTF(2, 3);

/* A JSON string literal with quotes. Any byte sequence is accepted: controls
 * are escaped and bytes that are not valid UTF-8 become U+FFFD, so the output
 * is always valid JSON (and valid YAML double-quoted scalar). */
void ac_strbuf_json_string(ac_strbuf *buf, const char *text, size_t len);

/* The shortest decimal that reads back as exactly @p value ("0.005", "1",
 * "1e-05"); whole numbers below 2^53 never use an exponent ("10000000").
 * Infinities and NaN are written "+Inf", "-Inf" and "NaN" (Prometheus
 * spelling); JSON writers must handle them before calling this. */
void ac_strbuf_double(ac_strbuf *buf, double value);

/* Format into dst (at least AC_DOUBLE_BUFSIZE bytes); returns the length. */
#define AC_DOUBLE_BUFSIZE 32
size_t ac_format_double(char *dst, double value);

/* NUL-terminate and hand the text to the caller (malloc'd, even when it was
 * in caller storage). Returns NULL after an allocation failure. The buffer is
 * released either way. */
char *ac_strbuf_detach(ac_strbuf *buf, size_t *len);

#endif
