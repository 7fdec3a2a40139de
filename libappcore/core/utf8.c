#include <string.h>

#include "core/utf8.h"

size_t ac_utf8_sequence_length(const unsigned char *s, size_t avail)
{
	unsigned lead = s[0];
	size_t len;
	unsigned long cp;

	if (lead < 0x80)
		return 1;
	if (lead >= 0xC2 && lead <= 0xDF) {
		len = 2;
		cp = lead & 0x1F;
	} else if (lead >= 0xE0 && lead <= 0xEF) {
		len = 3;
		cp = lead & 0x0F;
	} else if (lead >= 0xF0 && lead <= 0xF4) {
		len = 4;
		cp = lead & 0x07;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

char *ac_utf8_sanitize(char *dst, size_t dst_size, const char *src)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const unsigned char *in = (const unsigned char *)src;
	size_t remaining = strlen(src);
	size_t used = 0;

	while (remaining > 0) {
		size_t len = ac_utf8_sequence_length(in, remaining);
		const char *piece = len ? (const char *)in : replacement;
		size_t piece_len = len ? len : 3;

		if (used + piece_len >= dst_size)
			break;
		memcpy(dst + used, piece, piece_len);
		used += piece_len;
		in += len ? len : 1;
		remaining -= len ? len : 1;
	}
	dst[used] = '\0';
	return dst;
}
