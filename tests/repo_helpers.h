/* Building model repositories on disk for the repository tests. */
#ifndef APPCORE_TESTS_REPO_HELPERS_H
#define APPCORE_TESTS_REPO_HELPERS_H

#include <stddef.h>

#include "appcore.h"

#define FIXTURE(name) TEST_SOURCE_DIR "/tests/fixtures/models/" name ".json"
#define IRIS TEST_SOURCE_DIR "/examples/models/iris.json"

/* A fresh temporary directory (the repository root); removed by repo_remove(). */
const char *repo_make(void);
void repo_remove(void);
/* Path of rel inside the repository, in a static buffer rotated among 8. */
const char *repo_path(const char *rel);
/* Create rel (and its parents) as a directory. */
void repo_mkdir(const char *rel);
/* Write text to rel (creating parent directories). */
void repo_write(const char *rel, const char *text);
/* Copy the file at source to rel (creating parent directories); with len != (size_t)-1 only
 * the first len bytes (a copy in progress). */
void repo_copy(const char *rel, const char *source, size_t len);
/* Copy a model to a hidden staging directory and rename it into place as
 * <model>/<version>: the safe way to publish. */
void repo_publish(const char *model, const char *version, const char *source);
/* rm -rf rel. */
void repo_delete(const char *rel);

/* Events recorded by repo_on_event (the event_data is a struct repo_events). */
struct repo_events {
	size_t count[4]; /* by appcore_repository_event_kind */
	char last[4][1200];
	char log[65536]; /* every event, one line each */
};
void repo_on_event(const appcore_repository_event *event, void *data);

#endif
