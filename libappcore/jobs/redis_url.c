/* jobs.redis_url: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (the form Redis clients
 * share) or `unix:///PATH[?db=DB]`. Only the address is parsed here; hiredis speaks the
 * protocol. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "jobs/jobs_internal.h"

void ac_redis_address_dispose(struct ac_redis_address *a)
{
	free(a->host);
	free(a->socket);
	free(a->user);
	free(a->password);
	free(a->display);
	memset(a, 0, sizeof(*a));
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *ac_jobs_percent_decode(const char *s, size_t len, bool plus_is_space, bool *oom)
{
	char *out = malloc(len + 1), *p = out;

	*oom = out == NULL;
	for (size_t i = 0; out != NULL && i < len; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
			int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*p++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*p++ = plus_is_space && s[i] == '+' ? ' ' : s[i];
		}
	}
	if (out != NULL)
		*p = '\0';
	return out;
}

/* A whole decimal number in [min, max] from [s, s + len). */
static bool parse_int(const char *s, size_t len, long min, long max, int *out)
{
	long v = 0;

	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

static int bad_url(appcore_error *err, const char *url, const char *problem)
{
	return ac_error_set(err, APPCORE_ECONFIG,
			    "jobs.redis_url: %s; expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] "
			    "or unix:///PATH[?db=DB], got '%s'",
			    problem, url);
}

static int parse_unix(struct ac_redis_address *a, const char *url, appcore_error *err)
{
	const char *path = url + strlen("unix://");
	const char *query = strchr(path, '?');
	size_t len = query != NULL ? (size_t)(query - path) : strlen(path);

	if (len == 0 || path[0] != '/')
		return bad_url(err, url, "the socket path must be absolute");
	if (query != NULL && (strncmp(query, "?db=", 4) != 0 ||
			      !parse_int(query + 4, strlen(query + 4), 0, 1000000, &a->db)))
		return bad_url(err, url, "the only query parameter is db=NUMBER");
	a->socket = malloc(len + 1);
	if (a->socket == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	memcpy(a->socket, path, len);
	a->socket[len] = '\0';
	a->display = strdup(a->socket);
	return a->display != NULL ? APPCORE_OK : ac_error_set(err, APPCORE_ENOMEM, "out of memory");
}

static int parse_tcp(struct ac_redis_address *a, const char *url, appcore_error *err)
{
	const char *rest = url + strlen("redis://");
	const char *at = strchr(rest, '@');
	const char *host, *end, *colon, *slash;
	bool oom = false;

	if (at != NULL) {
		const char *sep = memchr(rest, ':', (size_t)(at - rest));
		if (sep == NULL)
			return bad_url(err, url, "credentials must be :PASSWORD or USER:PASSWORD");
		if (sep > rest && (a->user = ac_jobs_percent_decode(rest, (size_t)(sep - rest), false, &oom)) == NULL)
			return oom ? ac_error_set(err, APPCORE_ENOMEM, "out of memory")
				   : bad_url(err, url, "bad %-escape in the user");
		if ((a->password = ac_jobs_percent_decode(sep + 1, (size_t)(at - sep - 1), false,
							   &oom)) == NULL)
			return oom ? ac_error_set(err, APPCORE_ENOMEM, "out of memory")
				   : bad_url(err, url, "bad %-escape in the password");
		rest = at + 1;
	}
	host = rest;
	slash = strchr(host, '/');
	end = slash != NULL ? slash : host + strlen(host);
	colon = memchr(host, ':', (size_t)(end - host));
	if ((colon != NULL ? colon : end) == host)
		return bad_url(err, url, "no host");
	a->port = 6379;
	if (colon != NULL && !parse_int(colon + 1, (size_t)(end - colon - 1), 1, 65535, &a->port))
		return bad_url(err, url, "the port must be a number from 1 to 65535");
	if (slash != NULL && slash[1] != '\0' &&
	    !parse_int(slash + 1, strlen(slash + 1), 0, 1000000, &a->db))
		return bad_url(err, url, "the database must be a number");
	a->host = malloc((size_t)((colon != NULL ? colon : end) - host) + 1);
	a->display = malloc(strlen(host) + 16);
	if (a->host == NULL || a->display == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	memcpy(a->host, host, (size_t)((colon != NULL ? colon : end) - host));
	a->host[(colon != NULL ? colon : end) - host] = '\0';
	snprintf(a->display, strlen(host) + 16, "%s:%d", a->host, a->port);
	return APPCORE_OK;
}

int ac_redis_address_parse(struct ac_redis_address *out, const char *url, appcore_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (url == NULL || url[0] == '\0')
		return ac_error_set(err, APPCORE_ECONFIG,
				    "jobs.redis_url is empty: batch jobs need a Redis address");
	if (strncmp(url, "redis://", 8) == 0)
		rc = parse_tcp(out, url, err);
	else if (strncmp(url, "unix://", 7) == 0)
		rc = parse_unix(out, url, err);
	else
		rc = bad_url(err, url, "unknown scheme");
	if (rc != APPCORE_OK)
		ac_redis_address_dispose(out);
	return rc;
}
