/* Loading libpq and libcrypto on first use (see dynlib.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/opensslv.h>

#include "predlog/dynlib.h"

/* The sonames of the libraries the headers above describe. libpq's has been 5 since
 * PostgreSQL 8.0; libcrypto's follows OpenSSL's major version, checked here against the
 * header this file was compiled with. */
#define LIBPQ_SONAME "libpq.so.5"
#if defined(OPENSSL_VERSION_MAJOR) && OPENSSL_VERSION_MAJOR != 3
#error "dynlib.c names libcrypto.so.3: update LIBCRYPTO_SONAME for this OpenSSL"
#endif
#define LIBCRYPTO_SONAME "libcrypto.so.3"

struct loaded {
	pthread_once_t once;
	const char *soname;
	const char *const *names;
	size_t count;
	void **slots; /* count function pointers, filled in order */
	int ok;
	char error[256];
};

static void load(struct loaded *l)
{
	void *handle;
	const char *why;

	/* RTLD_LOCAL: the library's symbols serve only the lookups below, never the process's
	 * own (a program that links its own libpq keeps its copy) */
	handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		why = dlerror();
		snprintf(l->error, sizeof(l->error), "cannot load %s: %s", l->soname,
			 why != NULL ? why : "unknown error");
		return;
	}
	for (size_t i = 0; i < l->count; i++) {
		void *symbol;

		dlerror();
		symbol = dlsym(handle, l->names[i]);
		if (symbol == NULL) {
			why = dlerror();
			snprintf(l->error, sizeof(l->error), "%s has no %s: %s", l->soname,
				 l->names[i], why != NULL ? why : "null symbol");
			dlclose(handle);
			return;
		}
		/* POSIX: a function pointer and void * have the same representation */
		memcpy(&l->slots[i], &symbol, sizeof(symbol));
	}
	/* the handle stays open for the life of the process: the pointers point into it */
	l->ok = 1;
}

#define PL_DYNLIB_NAME(name) #name,

static struct pl_libpq libpq_api;
static const char *const libpq_names[] = { PL_LIBPQ_FUNCTIONS(PL_DYNLIB_NAME) };
static struct loaded libpq_state = { PTHREAD_ONCE_INIT,
				     LIBPQ_SONAME,
				     libpq_names,
				     sizeof(libpq_names) / sizeof(libpq_names[0]),
				     (void **)&libpq_api,
				     0,
				     "" };

static struct pl_libcrypto libcrypto_api;
static const char *const libcrypto_names[] = { PL_LIBCRYPTO_FUNCTIONS(PL_DYNLIB_NAME) };
static struct loaded libcrypto_state = { PTHREAD_ONCE_INIT,
					 LIBCRYPTO_SONAME,
					 libcrypto_names,
					 sizeof(libcrypto_names) / sizeof(libcrypto_names[0]),
					 (void **)&libcrypto_api,
					 0,
					 "" };

/* The structs hold exactly one pointer per name, in the names' order. */
_Static_assert(sizeof(struct pl_libpq) ==
		   sizeof(libpq_names) / sizeof(libpq_names[0]) * sizeof(void *),
	       "struct pl_libpq: one pointer per function");
_Static_assert(sizeof(struct pl_libcrypto) ==
		   sizeof(libcrypto_names) / sizeof(libcrypto_names[0]) * sizeof(void *),
	       "struct pl_libcrypto: one pointer per function");

static void load_libpq(void)
{
	load(&libpq_state);
}

static void load_libcrypto(void)
{
	load(&libcrypto_state);
}

static const void *answer(const struct loaded *l, const void *api, char *errbuf, size_t errsize)
{
	if (l->ok)
		return api;
	if (errbuf != NULL && errsize > 0)
		snprintf(errbuf, errsize, "%s", l->error);
	return NULL;
}

const struct pl_libpq *pl_libpq(char *errbuf, size_t errsize)
{
	pthread_once(&libpq_state.once, load_libpq);
	return answer(&libpq_state, &libpq_api, errbuf, errsize);
}

const struct pl_libpq *pl_pq(void)
{
	return &libpq_api;
}

const struct pl_libcrypto *pl_libcrypto(char *errbuf, size_t errsize)
{
	pthread_once(&libcrypto_state.once, load_libcrypto);
	return answer(&libcrypto_state, &libcrypto_api, errbuf, errsize);
}
