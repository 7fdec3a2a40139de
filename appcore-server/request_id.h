/* X-Request-ID: accept a sane client value, otherwise generate one. */
#ifndef APPCORE_SERVER_REQUEST_ID_H
#define APPCORE_SERVER_REQUEST_ID_H

#include <stddef.h>

/* True when value is 1..128 characters of [A-Za-z0-9._-]. */
int request_id_is_sane(const char *value);

/* Write a fresh 32-hex-digit id into out (at least 33 bytes). Unique within
 * the process and unpredictable across restarts; lock-free. */
void request_id_generate(char *out, size_t out_size);

/* Seed the generator once at start-up (from getrandom, else time and pid). */
void request_id_seed(void);

#endif
