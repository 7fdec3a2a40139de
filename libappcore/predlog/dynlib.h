/* libpq and libcrypto, loaded when the prediction log first needs them rather than linked.
 *
 * Linked, they and what they pull in (Kerberos, LDAP, GnuTLS, p11-kit, ...) cost every process
 * that loads libappcore about 5 MB of resident memory at start, most of it in library
 * constructors and relocations, although only a server or CLI with a prediction log uses them
 * (bench/RESULTS.md, "HTTP front", memory). Private to libappcore. */
#ifndef APPCORE_PREDLOG_DYNLIB_H
#define APPCORE_PREDLOG_DYNLIB_H

#include <stddef.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

/* The libpq functions pg.c calls; a member has the function's own name and type. */
#define PL_LIBPQ_FUNCTIONS(X)                                                                      \
	X(PQconninfoParse)                                                                         \
	X(PQconninfoFree)                                                                          \
	X(PQfreemem)                                                                               \
	X(PQconnectStartParams)                                                                    \
	X(PQconnectPoll)                                                                           \
	X(PQstatus)                                                                                \
	X(PQerrorMessage)                                                                          \
	X(PQsocket)                                                                                \
	X(PQfinish)                                                                                \
	X(PQsetnonblocking)                                                                        \
	X(PQsetNoticeProcessor)                                                                    \
	X(PQconsumeInput)                                                                          \
	X(PQflush)                                                                                 \
	X(PQisBusy)                                                                                \
	X(PQgetResult)                                                                             \
	X(PQresultErrorField)                                                                      \
	X(PQsendQuery)                                                                             \
	X(PQresultStatus)                                                                          \
	X(PQcmdTuples)                                                                             \
	X(PQntuples)                                                                               \
	X(PQnfields)                                                                               \
	X(PQgetisnull)                                                                             \
	X(PQgetvalue)                                                                              \
	X(PQresultErrorMessage)                                                                    \
	X(PQclear)                                                                                 \
	X(PQescapeLiteral)                                                                         \
	X(PQputCopyData)                                                                           \
	X(PQputCopyEnd)

#define PL_LIBCRYPTO_FUNCTIONS(X)                                                                  \
	X(EVP_Digest)                                                                              \
	X(EVP_sha256)

/* a declaration: the name cannot be parenthesised */
#define PL_DYNLIB_MEMBER(name) __typeof__(&name) name; /* NOLINT(bugprone-macro-parentheses) */

struct pl_libpq {
	PL_LIBPQ_FUNCTIONS(PL_DYNLIB_MEMBER)
};

struct pl_libcrypto {
	PL_LIBCRYPTO_FUNCTIONS(PL_DYNLIB_MEMBER)
};

/* libpq's functions, loading it on the first call (thread-safe; later calls cost an atomic
 * load). NULL when it cannot be loaded, with why in errbuf (if not NULL): the library is
 * missing, or lacks a function. The answer never changes within a process. */
const struct pl_libpq *pl_libpq(char *errbuf, size_t errsize);

/* The table pl_libpq() loaded, for code that runs only after it succeeded (every libpq call
 * needs a connection or a parsed conninfo, which came from a call that loaded it). */
const struct pl_libpq *pl_pq(void);

/* The same for libcrypto (SHA-256 of API keys). */
const struct pl_libcrypto *pl_libcrypto(char *errbuf, size_t errsize);

#endif
