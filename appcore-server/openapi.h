/* The OpenAPI 3 document of every route (appcore-server/openapi.json, embedded at build time
 * with the version filled in). tests/server/test_routes.c checks it against the route
 * table. */
#ifndef APPCORE_SERVER_OPENAPI_H
#define APPCORE_SERVER_OPENAPI_H

#include <stddef.h>

extern const char openapi_document[];
extern const size_t openapi_document_len;

#endif
