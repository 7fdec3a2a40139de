#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <civetweb.h>

#include "front_framing.h"

_Static_assert(FRAMING_MAX_HEADERS == MG_MAX_HEADERS, "CivetWeb keeps a different number of headers");

/* RFC 9110 section 5.6.2: token characters. */
static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986: unreserved / sub-delims, the characters of a reg-name besides %HH. */
static int is_reg_name_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL;
}

int framing_host_is_valid(const char *value, size_t len)
{
	size_t host_end;
	size_t i;

	if (len == 0)
		return 1; /* allowed when the target has no authority (RFC 9112 section 3.2) */
	if (value[0] == '[') {
		char literal[64];
		unsigned char address[16];
		const char *close = memchr(value, ']', len);
		size_t literal_len;

		if (close == NULL)
			return 0;
		literal_len = (size_t)(close - value) - 1;
		if (literal_len == 0 || literal_len >= sizeof(literal))
			return 0;
		memcpy(literal, value + 1, literal_len);
		literal[literal_len] = '\0';
		if (inet_pton(AF_INET6, literal, address) != 1)
			return 0;
		host_end = (size_t)(close - value) + 1;
	} else {
		for (i = 0; i < len && value[i] != ':'; i++) {
			unsigned char c = (unsigned char)value[i];

			if (c == '%') {
				if (i + 2 >= len || !is_hex((unsigned char)value[i + 1]) ||
				    !is_hex((unsigned char)value[i + 2]))
					return 0;
				i += 2;
			} else if (!is_reg_name_char(c)) {
				return 0;
			}
		}
		if (i == 0)
			return 0;
		host_end = i;
	}
	if (host_end == len)
		return 1;
	if (value[host_end] != ':')
		return 0;
	{
		unsigned long port = 0;

		/* port = *DIGIT; an empty port is valid syntax */
		for (i = host_end + 1; i < len; i++) {
			if (value[i] < '0' || value[i] > '9')
				return 0;
			port = port * 10 + (unsigned long)(value[i] - '0');
			if (port > 65535)
				return 0;
		}
	}
	return 1;
}

void framing_parse_target(struct framing_target *out, const char *target)
{
	static const char *const schemes[] = { "http://", "https://" };

	memset(out, 0, sizeof(*out));
	out->form = TARGET_INVALID;
	if (target == NULL || target[0] == '\0')
		return;
	if (strcmp(target, "*") == 0) {
		out->form = TARGET_ASTERISK;
		return;
	}
	if (target[0] == '/') {
		out->form = TARGET_ORIGIN;
		out->path = target;
		return;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		const char *authority;
		size_t len;

		if (strncasecmp(target, schemes[i], n) != 0)
			continue;
		authority = target + n;
		len = strcspn(authority, "/?#");
		/* userinfo ("user:pass@host") is refused (RFC 9110 section 4.2.4), and a fragment
		 * is no part of a request target */
		if (len == 0 || memchr(authority, '@', len) != NULL ||
		    !framing_host_is_valid(authority, len) || strchr(authority, '#') != NULL)
			return;
		out->form = TARGET_ABSOLUTE;
		out->authority = authority;
		out->authority_len = len;
		out->path = authority + len;
		return;
	}
}

static void printable(char *out, size_t out_size, const char *text)
{
	size_t i = 0;

	for (; text[i] != '\0' && i + 1 < out_size; i++) {
		unsigned char c = (unsigned char)text[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[i] = '\0';
}

static enum framing_verdict reject(char *message, size_t size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static enum framing_verdict reject(char *message, size_t size, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, size, format, ap);
	va_end(ap);
	return FRAMING_REJECT;
}

/* The length of value without trailing spaces and tabs (CivetWeb skipped the leading ones). */
static size_t trimmed_length(const char *value)
{
	size_t len = strlen(value);

	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	return len;
}

/* What CivetWeb left of the line terminator after `end` (the NUL that ended the request line or
 * the last header value): CRLF became two NULs, a bare LF one. */
static size_t terminator_length(const struct mg_request_info *info)
{
	/* the request line's terminator, seen from where the first header starts */
	if (info->num_headers > 0) {
		const char *version_end = info->http_version + strlen(info->http_version);
		return (size_t)(info->http_headers[0].name - version_end);
	}
	return 2;
}

/* The header block must end right after the last header CivetWeb kept. Anything else there
 * means it stopped early: an obs-fold line (starts with SP or HTAB) or a line beyond its
 * header limit. */
static enum framing_verdict check_header_block_end(const struct mg_request_info *info,
						   char *message, size_t size)
{
	const char *last;
	const char *next;
	size_t terminator = terminator_length(info);

	if (info->num_headers <= 0 || info->num_headers > FRAMING_MAX_HEADERS)
		return FRAMING_OK;
	last = info->http_headers[info->num_headers - 1].value;
	next = last + strlen(last) + (terminator >= 2 ? 2 : 1);
	/* a proper end: the blank line, CR then NUL (its LF), or its LF already NUL */
	if (*next == '\r' || *next == '\0')
		return FRAMING_OK;
	if (*next == ' ' || *next == '\t')
		return reject(message, size,
			      "obsolete line folding: a header line starts with whitespace");
	return reject(message, size, "more than %d header fields", FRAMING_MAX_HEADERS);
}

static enum framing_verdict check_header_lines(const struct mg_request_info *info, char *message,
					       size_t size)
{
	char quoted[64];

	if (info->num_headers > 0) {
		/* the request line's CRLF (or LF) became NULs; whitespace-led lines after it were
		 * swallowed as well (RFC 9112 section 2.2: reject) */
		size_t terminator = terminator_length(info);
		if (terminator != 1 && terminator != 2)
			return reject(message, size,
				      "whitespace between the request line and the first header");
	}
	for (int i = 0; i < info->num_headers; i++) {
		const char *name = info->http_headers[i].name;
		const char *value = info->http_headers[i].value;
		size_t name_len = strlen(name);

		if (name_len == 0)
			return reject(message, size, "empty header field name");
		for (size_t k = 0; k < name_len; k++) {
			if (!is_tchar((unsigned char)name[k])) {
				printable(quoted, sizeof(quoted), name);
				return reject(message, size, "invalid header field name '%s'",
					      quoted);
			}
		}
		/* "Name :" became "Name\0\0": the colon is not right after the name
		 * (RFC 9112 section 5.1: 400) */
		if (value != name + name_len + 1 && name[name_len + 1] == '\0') {
			printable(quoted, sizeof(quoted), name);
			return reject(message, size,
				      "whitespace between header field name '%s' and colon",
				      quoted);
		}
	}
	return check_header_block_end(info, message, size);
}

static enum framing_verdict check_body_framing(const struct mg_request_info *info,
					       char *message, size_t size)
{
	const char *content_length = NULL;
	const char *transfer_encoding = NULL;
	int content_lengths = 0;
	int transfer_encodings = 0;
	char quoted[64];

	for (int i = 0; i < info->num_headers; i++) {
		const char *name = info->http_headers[i].name;

		if (strcasecmp(name, "Content-Length") == 0) {
			content_lengths++;
			content_length = info->http_headers[i].value;
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			transfer_encodings++;
			transfer_encoding = info->http_headers[i].value;
		}
	}
	if (transfer_encodings > 0) {
		size_t len = trimmed_length(transfer_encoding);

		if (content_lengths > 0)
			return reject(message, size,
				      "both Transfer-Encoding and Content-Length: ambiguous framing");
		if (strcmp(info->http_version, "1.0") == 0)
			return reject(message, size, "Transfer-Encoding in an HTTP/1.0 request");
		if (transfer_encodings > 1 || len != 7 ||
		    strncasecmp(transfer_encoding, "chunked", 7) != 0) {
			printable(quoted, sizeof(quoted), transfer_encoding);
			return reject(message, size,
				      "Transfer-Encoding must be exactly one 'chunked', got %s'%s'",
				      transfer_encodings > 1 ? "several, the first " : "", quoted);
		}
	}
	if (content_lengths > 1)
		return reject(message, size, "more than one Content-Length header");
	if (content_lengths == 1) {
		size_t len = trimmed_length(content_length);

		for (size_t k = 0; k < len; k++) {
			if (content_length[k] < '0' || content_length[k] > '9') {
				printable(quoted, sizeof(quoted), content_length);
				return reject(message, size,
					      "Content-Length must be one decimal number, got '%s'",
					      quoted);
			}
		}
		if (len == 0)
			return reject(message, size, "empty Content-Length");
	}
	return FRAMING_OK;
}

static enum framing_verdict check_host(const struct mg_request_info *info, char *message,
				       size_t size)
{
	const char *host = NULL;
	int hosts = 0;
	char quoted[64];

	for (int i = 0; i < info->num_headers; i++) {
		if (strcasecmp(info->http_headers[i].name, "Host") == 0) {
			hosts++;
			host = info->http_headers[i].value;
		}
	}
	if (hosts > 1)
		return reject(message, size, "more than one Host header");
	if (hosts == 0) {
		if (strcmp(info->http_version, "1.1") == 0)
			return reject(message, size, "missing Host header (required in HTTP/1.1)");
		return FRAMING_OK;
	}
	if (!framing_host_is_valid(host, trimmed_length(host))) {
		printable(quoted, sizeof(quoted), host);
		return reject(message, size, "invalid Host header '%s'", quoted);
	}
	return FRAMING_OK;
}

enum framing_verdict framing_check(const struct mg_request_info *info, char *message,
				   size_t message_size)
{
	struct framing_target target;
	enum framing_verdict verdict;
	char quoted[96];

	message[0] = '\0';
	if (info->request_method == NULL || info->request_uri == NULL || info->http_version == NULL)
		return reject(message, message_size, "malformed request line");
	if ((verdict = check_header_lines(info, message, message_size)) != FRAMING_OK ||
	    (verdict = check_body_framing(info, message, message_size)) != FRAMING_OK ||
	    (verdict = check_host(info, message, message_size)) != FRAMING_OK)
		return verdict;
	framing_parse_target(&target, info->request_uri);
	switch (target.form) {
	case TARGET_ORIGIN:
	case TARGET_ABSOLUTE:
		return FRAMING_OK;
	case TARGET_ASTERISK:
		if (strcmp(info->request_method, "OPTIONS") == 0)
			return FRAMING_OPTIONS_STAR;
		printable(quoted, sizeof(quoted), info->request_method);
		return reject(message, message_size,
			      "request target '*' is only valid with OPTIONS, not %s", quoted);
	case TARGET_INVALID:
	default:
		printable(quoted, sizeof(quoted), info->request_uri);
		return reject(message, message_size, "invalid request target '%s'", quoted);
	}
}
