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

#endif /* APPCORE_COMMON_H */
