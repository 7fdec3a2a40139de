/* The server's model repository through its life: opened before the HTTP workers start,
 * loaded once the listener is up (routes answer 503 meanwhile), reloaded by polling, SIGHUP
 * and the repository API, closed after the workers stop. Its events become log lines and
 * metrics. main.c makes one call per stage. */
#ifndef APPCORE_SERVER_REPOSITORY_LIFECYCLE_H
#define APPCORE_SERVER_REPOSITORY_LIFECYCLE_H

struct app;

/* Create the repository the settings describe (model_repository.path, else model.path) and
 * the model metrics. 0, or -1 after logging why. */
int server_repository_open(struct app *app);

/* The first load: the whole directory, or the configured model. Marks the server ready.
 * 0, or -1 after logging why (a model file that fails, a directory that cannot be read). */
int server_repository_load(struct app *app);

/* SIGHUP: reload on the repository's thread and return at once. */
void server_repository_reload(struct app *app);

void server_repository_close(struct app *app);

#endif
