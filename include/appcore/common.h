/**
 * @file appcore/common.h
 * @brief Export macro and C++ linkage guards shared by every public header.
 */
#ifndef APPCORE_COMMON_H
#define APPCORE_COMMON_H

/*
 * The library is compiled with -fvisibility=hidden; only declarations marked
 * APPCORE_API are exported from libappcore.so, so internal helpers can never
 * become accidental ABI.
 */
#if defined(_WIN32)
#  if defined(APPCORE_BUILDING_LIBRARY)
#    define APPCORE_API __declspec(dllexport)
#  else
#    define APPCORE_API
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define APPCORE_API __attribute__((visibility("default")))
#else
#  define APPCORE_API
#endif

#ifdef __cplusplus
#  define APPCORE_BEGIN_DECLS extern "C" {
#  define APPCORE_END_DECLS }
#else
#  define APPCORE_BEGIN_DECLS
#  define APPCORE_END_DECLS
#endif

#include <stddef.h>

APPCORE_BEGIN_DECLS

/**
 * Release memory that libappcore allocated and handed to the caller (response
 * bodies, rendered text). Use this rather than free() so a program whose
 * allocator differs from the library's stays correct.
 *
 * @param ptr may be NULL. Thread-safe.
 */
APPCORE_API void appcore_free(void *ptr);

APPCORE_END_DECLS

#endif /* APPCORE_COMMON_H */
