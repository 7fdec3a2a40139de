#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "request_id.h"

static uint64_t id_key;
static atomic_uint_fast64_t id_counter;

int request_id_is_sane(const char *value)
{
	size_t len;

	if (value == NULL)
		return 0;
	len = strlen(value);
	return len > 0 && len <= REQUEST_ID_MAX &&
	       strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

/* splitmix64: a bijective mixer, so distinct counters give distinct ids */
static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

void request_id_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		seed = ((uint64_t)now.tv_sec << 32) ^ (uint64_t)now.tv_nsec ^ ((uint64_t)getpid() << 16);
	}
	id_key = mix(seed);
}

void request_id_generate(char *out, size_t out_size)
{
	uint64_t n = atomic_fetch_add_explicit(&id_counter, 1, memory_order_relaxed);

	snprintf(out, out_size, "%016llx%016llx", (unsigned long long)mix(id_key ^ n),
		 (unsigned long long)mix(~id_key + n));
}
