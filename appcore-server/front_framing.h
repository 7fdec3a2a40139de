/* RFC 9112 message framing checks on a request CivetWeb has parsed.
 *
 * CivetWeb 1.15 accepts framing that RFC 9112 forbids and that a proxy in front may read
 * differently (request smuggling): Transfer-Encoding together with Content-Length, duplicate
 * or list-form Content-Length, signs and trailing garbage in Content-Length, whitespace
 * between a header name and its colon (it strips it), obs-fold (it stops reading headers
 * there) and more than 64 header lines (it drops the rest, Content-Length included). It
 * parses the header block in place, replacing separators with NUL bytes, and keeps each
 * header line (duplicates included) in request_info.http_headers, so the original layout can
 * be read back from the name and value pointers; this module does that and says whether the
 * request may be served.
 *
 * Pure functions on a struct mg_request_info (the tests build one by hand). */
#ifndef APPCORE_SERVER_FRONT_FRAMING_H
#define APPCORE_SERVER_FRONT_FRAMING_H

#include <stddef.h>

struct mg_request_info;

/* Header lines CivetWeb keeps (MG_MAX_HEADERS in civetweb.h 1.15). A request with more is
 * refused: its last lines, possibly Content-Length, would otherwise be dropped unseen. */
#define FRAMING_MAX_HEADERS 64

enum framing_verdict {
	FRAMING_OK,            /* serve it */
	FRAMING_REJECT,        /* 400 and close: message says why */
	FRAMING_OPTIONS_STAR,  /* "OPTIONS * HTTP/1.1": answer for the server as a whole */
};

/* The request target (RFC 9112 section 3.2). */
enum target_form {
	TARGET_INVALID,
	TARGET_ORIGIN,    /* /path?query */
	TARGET_ABSOLUTE,  /* http://authority/path?query */
	TARGET_ASTERISK,  /* * */
};

struct framing_target {
	enum target_form form;
	/* TARGET_ABSOLUTE: the authority (host[:port]) and where the path starts in the target
	 * (at its end when the path is empty, which means "/"). */
	const char *authority;
	size_t authority_len;
	const char *path;
};

/* Classify a request target; an absolute-form target needs an http or https scheme and a
 * valid authority without userinfo (RFC 9110 section 4.2.4). */
void framing_parse_target(struct framing_target *out, const char *target);

/* True when value is a valid Host header field value: empty, or host [":" port] where host
 * is a reg-name, an IPv4 address or a bracketed IP literal (RFC 3986 section 3.2.2). */
int framing_host_is_valid(const char *value, size_t len);

/* Check one parsed request. On FRAMING_REJECT, message (message_size bytes) says what is
 * wrong, naming the header in printable ASCII. */
enum framing_verdict framing_check(const struct mg_request_info *info, char *message,
				   size_t message_size);

#endif
