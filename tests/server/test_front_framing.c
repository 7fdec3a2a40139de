/* The front's RFC 9112 framing checks (appcore-server/front_framing.c) on requests laid out the
 * way CivetWeb 1.15 leaves them after parsing in place; tests/integration/test_server_front.py
 * sends the same cases to the real server. */
#include <check.h>
#include <ctype.h>
#include <string.h>

#include <civetweb.h>

#include "check_main.h"
#include "front_framing.h"

/* CivetWeb 1.15's parse_http_request + parse_http_headers in miniature: the request line's
 * words and each header's name and value end in NUL bytes written over the separators, the
 * line breaks become NULs, whitespace after the request line is swallowed, and header parsing
 * stops at a line that does not start with a name (obs-fold) or after MG_MAX_HEADERS lines. */
static void parse_in_place(char *buf, struct mg_request_info *info)
{
	char *p = buf;
	char *end = strstr(buf, "\r\n\r\n");

	memset(info, 0, sizeof(*info));
	if (end != NULL)
		buf[end - buf + 3] = '\0'; /* the final LF */
	info->request_method = p;
	p += strcspn(p, " ");
	*p++ = '\0';
	info->request_uri = p;
	p += strcspn(p, " ");
	*p++ = '\0';
	info->http_version = p + 5; /* "HTTP/" */
	p += strcspn(p, "\r\n");
	do
		*p++ = '\0';
	while (isspace((unsigned char)*p));
	for (int i = 0; i < MG_MAX_HEADERS; i++) {
		char *dp = p;

		while (*dp != ':' && *dp >= 33 && *dp <= 126)
			dp++;
		if (dp == p)
			break;
		while (*dp == ' ')
			*dp++ = '\0';
		ck_assert_int_eq(*dp, ':');
		*dp = '\0';
		info->http_headers[i].name = p;
		do
			dp++;
		while (*dp == ' ' || *dp == '\t');
		info->http_headers[i].value = dp;
		while (*dp != '\0' && *dp != '\r' && *dp != '\n')
			dp++;
		if (*dp == '\r')
			*dp++ = '\0';
		info->num_headers = i + 1;
		if (*dp == '\0')
			break;
		*dp++ = '\0';
		p = dp;
		if (*dp == '\r' || *dp == '\n')
			break;
	}
}

static enum framing_verdict check_request(const char *request, char *message, size_t size)
{
	static char buf[16384];
	struct mg_request_info info;

	ck_assert_uint_lt(strlen(request), sizeof(buf));
	strcpy(buf, request);
	parse_in_place(buf, &info);
	return framing_check(&info, message, size);
}

static void expect_reject(const char *request, const char *message)
{
	char got[256];

	ck_assert_int_eq(check_request(request, got, sizeof(got)), FRAMING_REJECT);
	ck_assert_str_eq(got, message);
}

static void expect_ok(const char *request)
{
	char got[256];

	ck_assert_msg(check_request(request, got, sizeof(got)) == FRAMING_OK, "%s: %s", request, got);
}

START_TEST(host_values)
{
	static const char *const valid[] = {
		"", "example.com", "example.com:8080", "127.0.0.1", "[::1]", "[::1]:8000",
		"a%20b", "host:", "xn--bcher-kva.example",
	};
	static const char *const invalid[] = {
		"a/b", "a b", "[::1", "[zz]", "host:99999", "host:8a", ":80", "a%2", "a@b", "[::1]x",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		ck_assert_msg(framing_host_is_valid(valid[i], strlen(valid[i])), "%s", valid[i]);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		ck_assert_msg(!framing_host_is_valid(invalid[i], strlen(invalid[i])), "%s", invalid[i]);
}
END_TEST

START_TEST(targets)
{
	struct framing_target t;

	framing_parse_target(&t, "/predict?x=1");
	ck_assert_int_eq(t.form, TARGET_ORIGIN);
	framing_parse_target(&t, "*");
	ck_assert_int_eq(t.form, TARGET_ASTERISK);
	framing_parse_target(&t, "http://example.com:8000/predict?x=1");
	ck_assert_int_eq(t.form, TARGET_ABSOLUTE);
	ck_assert_uint_eq(t.authority_len, 16);
	ck_assert(strncmp(t.authority, "example.com:8000", t.authority_len) == 0);
	ck_assert_str_eq(t.path, "/predict?x=1");
	framing_parse_target(&t, "HTTPS://h");
	ck_assert_int_eq(t.form, TARGET_ABSOLUTE);
	ck_assert_str_eq(t.path, "");
	framing_parse_target(&t, "http://h?q");
	ck_assert_int_eq(t.form, TARGET_ABSOLUTE);
	ck_assert_str_eq(t.path, "?q");
	for (const char *const *bad = (const char *const[]){ "http://u@h/", "ftp://h/", "http:///x",
							      "h/x", "", "http://h/#f",
							      "http://a b/", NULL };
	     *bad != NULL; bad++) {
		framing_parse_target(&t, *bad);
		ck_assert_msg(t.form == TARGET_INVALID, "%s", *bad);
	}
}
END_TEST

START_TEST(served)
{
	expect_ok("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_ok("GET /health HTTP/1.0\r\n\r\n");
	expect_ok("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 35 \r\n\r\n");
	expect_ok("POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n");
	expect_ok("GET http://example.com/health HTTP/1.1\r\nHost: example.com\r\n\r\n");
	expect_ok("GET /health HTTP/1.1\r\nHost:\r\nX-Empty:\r\nX-Spaces:   y\r\n\r\n");
	ck_assert_int_eq(check_request("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", (char[64]){ 0 }, 64),
			 FRAMING_OPTIONS_STAR);
}
END_TEST

START_TEST(body_framing)
{
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: "
		      "chunked\r\n\r\n",
		      "both Transfer-Encoding and Content-Length: ambiguous framing");
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 35\r\n\r\n",
		      "more than one Content-Length header");
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 221, 226\r\n\r\n",
		      "Content-Length must be one decimal number, got '221, 226'");
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: +221\r\n\r\n",
		      "Content-Length must be one decimal number, got '+221'");
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 221abc\r\n\r\n",
		      "Content-Length must be one decimal number, got '221abc'");
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
		      "empty Content-Length");
	expect_reject("POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		      "Transfer-Encoding in an HTTP/1.0 request");
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n",
		      "Transfer-Encoding must be exactly one 'chunked', got several, the first "
		      "'chunked'");
	expect_reject("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		      "Transfer-Encoding must be exactly one 'chunked', got 'gzip, chunked'");
}
END_TEST

START_TEST(header_lines)
{
	char request[8192];
	size_t len;

	expect_reject("GET /h HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n",
		      "whitespace between header field name 'Content-Length' and colon");
	expect_reject("GET /h HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\nContent-Length: 5\r\n\r\n",
		      "obsolete line folding: a header line starts with whitespace");
	expect_reject("GET /h HTTP/1.1\r\n Host: x\r\n\r\n",
		      "whitespace between the request line and the first header");
	expect_reject("GET /h HTTP/1.1\r\nHost: x\r\nBad(Name): y\r\n\r\n",
		      "invalid header field name 'Bad(Name)'");
	/* 64 header lines are read; a 65th is refused, not dropped */
	len = (size_t)snprintf(request, sizeof(request), "GET /h HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 63; i++)
		len += (size_t)snprintf(request + len, sizeof(request) - len, "X-%d: y\r\n", i);
	snprintf(request + len, sizeof(request) - len, "\r\n");
	expect_ok(request);
	snprintf(request + len, sizeof(request) - len, "Content-Length: 5\r\n\r\nhello");
	expect_reject(request, "more than 64 header fields");
}
END_TEST

START_TEST(host_header)
{
	expect_reject("GET /h HTTP/1.1\r\n\r\n", "missing Host header (required in HTTP/1.1)");
	expect_reject("GET /h HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", "more than one Host header");
	expect_reject("GET /h HTTP/1.1\r\nHost: a b\r\n\r\n", "invalid Host header 'a b'");
}
END_TEST

START_TEST(request_targets)
{
	expect_reject("GET * HTTP/1.1\r\nHost: x\r\n\r\n",
		      "request target '*' is only valid with OPTIONS, not GET");
	expect_reject("GET http://u@h/health HTTP/1.1\r\nHost: h\r\n\r\n",
		      "invalid request target 'http://u@h/health'");
	expect_reject("GET ws://h/health HTTP/1.1\r\nHost: h\r\n\r\n",
		      "invalid request target 'ws://h/health'");
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("front_framing");
	TCase *tc = tcase_create("framing");

	tcase_add_test(tc, host_values);
	tcase_add_test(tc, targets);
	tcase_add_test(tc, served);
	tcase_add_test(tc, body_framing);
	tcase_add_test(tc, header_lines);
	tcase_add_test(tc, host_header);
	tcase_add_test(tc, request_targets);
	suite_add_tcase(suite, tc);
	return suite;
}
