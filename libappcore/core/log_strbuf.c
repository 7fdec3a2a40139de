#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log_strbuf.h"
#include "core/utf8.h"

void ac_strbuf_init(ac_strbuf *buf, char *storage, size_t cap)
{
	buf->data = storage;
	buf->len = 0;
	buf->cap = storage != NULL ? cap : 0;
	buf->heap = 0;
	buf->failed = 0;
}

void ac_strbuf_release(ac_strbuf *buf)
{
	if (buf->heap)
		free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
	buf->heap = 0;
}

/* Keeps one spare byte so detach can always NUL-terminate. */
int ac_strbuf_reserve(ac_strbuf *buf, size_t extra)
{
	size_t need;
	size_t cap;
	char *grown;

	if (buf->failed)
		return -1;
	if (extra >= SIZE_MAX / 2 - buf->len)
		goto fail;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	cap = buf->cap < 256 ? 256 : buf->cap;
	while (cap < need)
		cap *= 2;
	grown = buf->heap ? realloc(buf->data, cap) : malloc(cap);
	if (grown == NULL)
		goto fail;
	if (!buf->heap && buf->len > 0)
		memcpy(grown, buf->data, buf->len);
	buf->data = grown;
	buf->cap = cap;
	buf->heap = 1;
	return 0;
fail:
	buf->failed = 1;
	return -1;
}

void ac_strbuf_append(ac_strbuf *buf, const char *text, size_t len)
{
	if (ac_strbuf_reserve(buf, len) != 0)
		return;
	memcpy(buf->data + buf->len, text, len);
	buf->len += len;
}

void ac_strbuf_puts(ac_strbuf *buf, const char *text)
{
	ac_strbuf_append(buf, text, strlen(text));
}

void ac_strbuf_putc(ac_strbuf *buf, char c)
{
	if (ac_strbuf_reserve(buf, 1) != 0)
		return;
	buf->data[buf->len++] = c;
}

void ac_strbuf_printf(ac_strbuf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf->cap > buf->len ? buf->data + buf->len : NULL,
		      buf->cap > buf->len ? buf->cap - buf->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf->failed = 1;
		return;
	}
	if (buf->len + (size_t)n < buf->cap) {
		buf->len += (size_t)n;
		return;
	}
	if (ac_strbuf_reserve(buf, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
}

/* Bytes that can be copied into a JSON string unchanged. */
static int json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void ac_strbuf_json_string(ac_strbuf *buf, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	/* worst case is 6 bytes per input byte; reserving up front keeps the
	 * loop free of per-byte capacity checks */
	if (len > SIZE_MAX / 8 || ac_strbuf_reserve(buf, len * 6 + 2) != 0)
		return;
	char *out = buf->data + buf->len;
	*out++ = '"';
	while (i < len) {
		unsigned char c = s[i];
		if (json_plain(c)) {
			size_t start = i;
			while (i < len && json_plain(s[i]))
				i++;
			memcpy(out, s + start, i - start);
			out += i - start;
			continue;
		}
		if (c >= 0x80) {
			size_t n = ac_utf8_sequence_length(s + i, len - i);
			if (n == 0) {
				memcpy(out, "\\ufffd", 6);
				out += 6;
				i++;
			} else {
				memcpy(out, s + i, n);
				out += n;
				i += n;
			}
			continue;
		}
		*out++ = '\\';
		switch (c) {
		case '"':
			*out++ = '"';
			break;
		case '\\':
			*out++ = '\\';
			break;
		case '\n':
			*out++ = 'n';
			break;
		case '\r':
			*out++ = 'r';
			break;
		case '\t':
			*out++ = 't';
			break;
		default:
			*out++ = 'u';
			*out++ = '0';
			*out++ = '0';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
			break;
		}
		i++;
	}
	*out++ = '"';
	buf->len = (size_t)(out - buf->data);
}

size_t ac_format_double(char *dst, double value)
{
	int n;

	if (isnan(value))
		return (size_t)snprintf(dst, AC_DOUBLE_BUFSIZE, "NaN");
	if (isinf(value))
		return (size_t)snprintf(dst, AC_DOUBLE_BUFSIZE, "%s", value > 0 ? "+Inf" : "-Inf");
	/* whole numbers: counters must read "3", never "3e+00" */
	if (value == floor(value) && fabs(value) < 9007199254740992.0)
		return (size_t)snprintf(dst, AC_DOUBLE_BUFSIZE, "%.0f", value == 0 ? 0.0 : value);
	/* 15 significant digits always read back for decimals of up to 15 digits,
	 * so this is the shortest form whenever it round-trips at all */
	for (int precision = 15; precision <= 17; precision++) {
		n = snprintf(dst, AC_DOUBLE_BUFSIZE, "%.*g", precision, value);
		if (precision == 17 || strtod(dst, NULL) == value)
			break;
	}
	return (size_t)n;
}

void ac_strbuf_double(ac_strbuf *buf, double value)
{
	char text[AC_DOUBLE_BUFSIZE];
	size_t n = ac_format_double(text, value);
	ac_strbuf_append(buf, text, n);
}

char *ac_strbuf_detach(ac_strbuf *buf, size_t *len)
{
	char *text = NULL;

	if (!buf->failed && ac_strbuf_reserve(buf, 0) == 0) {
		buf->data[buf->len] = '\0';
		if (buf->heap) {
			text = buf->data;
			buf->heap = 0;
		} else {
			text = malloc(buf->len + 1);
			if (text != NULL)
				memcpy(text, buf->data, buf->len + 1);
		}
		if (text != NULL && len != NULL)
			*len = buf->len;
	}
	ac_strbuf_release(buf);
	return text;
}
