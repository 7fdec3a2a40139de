#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

/* Longest accepted key; longer lines are a configuration error. */
#define AUTH_KEY_MAX 256

static void trim(char *text)
{
	size_t len = strlen(text);
	size_t start = 0;

	while (len > 0 && isspace((unsigned char)text[len - 1]))
		text[--len] = '\0';
	while (isspace((unsigned char)text[start]))
		start++;
	memmove(text, text + start, len - start + 1);
}

int auth_keys_load(struct auth_keys *out, const char *path, appcore_error *err)
{
	char line[AUTH_KEY_MAX + 4];
	int line_number = 0;
	FILE *file;
	int rc;

	memset(out, 0, sizeof(*out));
	file = fopen(path, "r");
	if (file == NULL)
		return appcore_error_set(err, APPCORE_EIO, "%s: cannot open API keys file: %s", path,
					 strerror(errno));
	while (fgets(line, sizeof(line), file) != NULL) {
		char **grown;

		line_number++;
		if (strchr(line, '\n') == NULL && !feof(file)) {
			rc = appcore_error_set(err, APPCORE_ECONFIG,
					       "%s:%d: API key longer than %d characters", path,
					       line_number, AUTH_KEY_MAX);
			goto fail;
		}
		trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		grown = realloc(out->keys, (out->count + 1) * sizeof(*out->keys));
		if (grown == NULL || (grown[out->count] = strdup(line)) == NULL) {
			if (grown != NULL)
				out->keys = grown;
			rc = appcore_error_set(err, APPCORE_ENOMEM, "out of memory");
			goto fail;
		}
		out->keys = grown;
		out->count++;
	}
	fclose(file);
	if (out->count == 0) {
		auth_keys_free(out);
		return appcore_error_set(err, APPCORE_ECONFIG, "%s: API keys file has no keys", path);
	}
	return APPCORE_OK;
fail:
	fclose(file);
	auth_keys_free(out);
	return rc;
}

void auth_keys_free(struct auth_keys *keys)
{
	for (size_t i = 0; i < keys->count; i++) {
		/* keys are secrets: do not leave them in freed memory */
		volatile char *p = keys->keys[i];
		while (*p)
			*p++ = '\0';
		free(keys->keys[i]);
	}
	free(keys->keys);
	memset(keys, 0, sizeof(*keys));
}

/* Compare without early exit: the loop always runs over AUTH_KEY_MAX bytes. */
static int constant_time_equal(const char *key, const char *token, size_t token_len)
{
	size_t key_len = strlen(key);
	unsigned char diff = (unsigned char)(key_len != token_len);

	for (size_t i = 0; i < AUTH_KEY_MAX; i++) {
		unsigned char a = i < key_len ? (unsigned char)key[i] : 0;
		unsigned char b = i < token_len ? (unsigned char)token[i] : 0;
		diff |= (unsigned char)(a ^ b);
	}
	return diff == 0;
}

enum auth_result auth_check(const struct auth_keys *keys, const char *authorization)
{
	static const char scheme[] = "Bearer ";
	const char *token;
	size_t token_len;
	int matched = 0;

	if (authorization == NULL || strncasecmp(authorization, scheme, sizeof(scheme) - 1) != 0)
		return AUTH_MISSING;
	token = authorization + sizeof(scheme) - 1;
	while (*token == ' ')
		token++;
	token_len = strlen(token);
	while (token_len > 0 && token[token_len - 1] == ' ')
		token_len--;
	if (token_len == 0)
		return AUTH_MISSING;
	if (token_len > AUTH_KEY_MAX)
		return AUTH_WRONG;
	/* check every key so the time does not reveal which one matched */
	for (size_t i = 0; i < keys->count; i++)
		matched |= constant_time_equal(keys->keys[i], token, token_len);
	return matched ? AUTH_OK : AUTH_WRONG;
}
