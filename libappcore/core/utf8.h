/* UTF-8 hygiene for text that came from outside (request bodies, file names)
 * before it goes into JSON, which Jansson only accepts as valid UTF-8. */
#ifndef APPCORE_UTF8_H
#define APPCORE_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence starting at s (at most avail bytes), or
 * 0 when the bytes there are not valid UTF-8 (bad lead, truncated, overlong,
 * surrogate or beyond U+10FFFF). */
size_t ac_utf8_sequence_length(const unsigned char *s, size_t avail);

/* Copy the NUL-terminated src into dst (capacity dst_size > 0), replacing
 * each invalid byte with U+FFFD, never splitting a sequence when truncating.
 * Returns dst. */
char *ac_utf8_sanitize(char *dst, size_t dst_size, const char *src);

#endif
