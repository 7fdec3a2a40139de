/* Optional API-key authentication (server.api_keys_file). Keys are compared
 * in constant time and never logged. */
#ifndef APPCORE_SERVER_AUTH_H
#define APPCORE_SERVER_AUTH_H

#include <stddef.h>

#include <appcore.h>

struct auth_keys {
	char **keys;
	size_t count;
};

/* Load one key per line from path (blank lines and lines starting with '#'
 * ignored, surrounding whitespace trimmed). An empty file is an error: it
 * would lock every client out. */
int auth_keys_load(struct auth_keys *out, const char *path, appcore_error *err);
void auth_keys_free(struct auth_keys *keys);

enum auth_result {
	AUTH_OK,
	AUTH_MISSING, /* no "Authorization: Bearer ..." header: 401 */
	AUTH_WRONG,   /* a bearer token that matches no key: 403 */
};

/* Check an Authorization header value (may be NULL) against the keys. The
 * time taken does not depend on how much of a key matches. */
enum auth_result auth_check(const struct auth_keys *keys, const char *authorization);

#endif
