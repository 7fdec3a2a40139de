/* The repository's two halves. Private to libappcore.
 *
 * The read side is an immutable snapshot (sorted model entries, each with its served
 * versions and model references) published through an atomic pointer (snapshot.c). Readers
 * announce themselves on one of two counters; a writer that replaces the snapshot waits
 * until both counters have drained once after the swap, then frees the old snapshot. A
 * reader therefore never waits for a writer, and never sees a snapshot freed under it.
 *
 * The write side (repository.c, scan.c) is ordinary mutable state guarded by one mutex:
 * what each model directory held at the last scan, which versions are loaded, which failed
 * and with which files. */
#ifndef APPCORE_REPOSITORY_INTERNAL_H
#define APPCORE_REPOSITORY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "appcore/repository.h"
#include "repository/model_config.h"

/* ---- read side: published, immutable ---- */

struct ac_repo_version {
	char *label;
	unsigned long long number; /* 0 for a label that is not a number (added files) */
	appcore_model *model;      /* one reference, owned by the entry */
};

/* Why a model or one of its versions is not served, for appcore_repository_list(). */
struct ac_repo_problem {
	char *version; /* NULL: the whole model */
	appcore_repository_state state;
	int code;
	char *reason;
};

/* One model as readers see it. Shared by consecutive snapshots; `refs` counts the writer's
 * state and every snapshot holding it, and is only touched by the writer. */
struct ac_repo_entry {
	size_t refs;
	char *name;
	appcore_predict_options options;
	size_t num_versions; /* served, highest first: versions[0] is the default */
	struct ac_repo_version *versions;
	size_t num_problems;
	struct ac_repo_problem *problems;
};

struct ac_repo_snapshot {
	size_t count;
	struct ac_repo_entry **entries; /* sorted by name */
	size_t num_ready;               /* entries with at least one version */
	struct ac_repo_entry *only_ready; /* the ready entry when num_ready == 1 */
};

/* ---- write side ---- */

/* Identity of a file's content as far as stat() can tell: a copy in progress, a rewrite
 * and a rename of another file into place all change it. */
struct ac_file_sig {
	int exists;
	int regular; /* a regular file; anything else (a FIFO) is read once, never reloaded */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

struct ac_version_state {
	char *label;
	unsigned long long number;
	char *path;                /* the model file */
	struct ac_file_sig disk_sig; /* of that file at the last scan */
	appcore_model *model;      /* loaded (one reference), or NULL */
	struct ac_file_sig sig;    /* of the file the model came from */
	unsigned config_gen;       /* model config generation it was loaded with */
	bool failed;               /* the last attempt failed (and model may still be older) */
	int fail_code;
	char *fail_reason;
	struct ac_file_sig fail_sig; /* the file that failed; retried once it changes */
	bool fail_retry;             /* it changed while being read: retry at the next scan */
	unsigned fail_config_gen;
	bool present;  /* in the directory at the last scan */
	bool selected; /* chosen by the version policy at the last scan */
	bool served;   /* in the published entry */
	double load_seconds; /* of the load that produced model */
};

struct ac_model_state {
	char *name;
	/* appcore_repository_add_file(): the file and its identity; NULL for directory models */
	char *file_path;
	char *file_version;
	int file_use_best_iteration;

	bool unloaded; /* appcore_repository_unload() until appcore_repository_load() */
	bool present;  /* directory models: seen by the current scan */

	/* config.yaml: the last good one (defaults when there is none) */
	struct ac_model_config config;
	unsigned config_gen; /* bumped when a setting that shapes loaded models changes */
	struct ac_file_sig config_sig;
	bool config_failed;
	int config_fail_code;
	char *config_fail_reason;
	/* a config.yaml was read successfully (or there is none): models may load; false
	 * for a new model whose config.yaml is broken, whose intent is unknown */
	bool config_usable;

	struct ac_version_state *versions;
	size_t num_versions, cap_versions;

	struct ac_repo_entry *entry; /* published, one reference held here; NULL before */
};

/* Entries reported as ignored, so a poll does not repeat them (repository/report.c). */
struct ac_report_set {
	struct ac_report_item *items; /* open addressing */
	size_t capacity, count;
	unsigned generation;
};

struct appcore_repository {
	/* read side */
	_Atomic(struct ac_repo_snapshot *) current;
	atomic_uint epoch;
	atomic_long readers[2];

	/* options */
	char *path;
	double poll_seconds;
	appcore_repository_policy default_policy;
	size_t default_latest;
	appcore_predict_options predict_defaults;
	int use_best_iteration;
	char *default_model;
	appcore_repository_event_fn on_event;
	void *event_data;

	/* write side, under `lock` */
	pthread_mutex_t lock;
	struct ac_model_state **models; /* sorted by name */
	size_t num_models, cap_models;
	struct ac_report_set reported;
	bool dirty; /* state changed since the last publish */
	bool out_of_memory; /* a load of this pass failed for memory: the pass reports ENOMEM */

	/* the polling / async reload thread */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_started;
	bool wake_pending;
	bool stopping;
};

/* snapshot.c: the read side */
unsigned ac_repo_read_begin(appcore_repository *repo, struct ac_repo_snapshot **snapshot);
void ac_repo_read_end(appcore_repository *repo, unsigned ticket);
struct ac_repo_entry *ac_repo_snapshot_find(const struct ac_repo_snapshot *snapshot,
					    const char *name);
/* Publish the models' entries as the new snapshot and free the old one once no reader can
 * hold it. Under the writer lock. */
int ac_repo_publish(appcore_repository *repo, appcore_error *err);
int ac_repo_snapshot_empty(struct ac_repo_snapshot **out);
void ac_repo_snapshot_free(struct ac_repo_snapshot *snapshot);
void ac_repo_entry_unref(struct ac_repo_entry *entry);

/* report.c: remember what was reported */
void ac_report_begin_scan(struct ac_report_set *set);
/* true when key is new (report it), false when already reported; marks it seen */
bool ac_report_once(struct ac_report_set *set, const char *key);
/* forget what the scan did not see again, so it is reported if it comes back */
void ac_report_end_scan(struct ac_report_set *set);
void ac_report_free(struct ac_report_set *set);

/* features.c: config.yaml's feature_names replace the model's (before it is published) */
int ac_model_override_feature_names(appcore_model *model, char *const *names, size_t count,
				    appcore_error *err);

/* scan.c */
int ac_file_sig_read(struct ac_file_sig *sig, const char *path);
bool ac_file_sig_equal(const struct ac_file_sig *a, const struct ac_file_sig *b);
/* A model name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most AC_REPO_MAX_NAME bytes. */
bool ac_repo_valid_name(const char *name);
/* A version directory name: a positive decimal integer without leading zeros. */
bool ac_repo_parse_version(unsigned long long *number, const char *text);
char *ac_path_join(const char *dir, const char *name);

#define AC_REPO_MAX_NAME 128

/* repository.c */
/* Report an entry that is not part of the layout, once (until a scan no longer sees it). */
void ac_repo_ignored(appcore_repository *repo, const char *model, const char *path,
		     const char *reason);
void ac_repo_emit(appcore_repository *repo, appcore_repository_event_kind kind,
		  const char *model, const char *version, const char *path, double seconds,
		  const appcore_error *error, size_t served);
double ac_repo_now(void);

/* model_state.c: bring one model in line with its directory or file */
struct ac_sync_options {
	bool retry_failed; /* appcore_repository_load(): try failed files again */
	appcore_error *first_error; /* receives the first failure, when not NULL */
};
int ac_model_state_sync(appcore_repository *repo, struct ac_model_state *model,
			const struct ac_sync_options *options, appcore_error *err);
/* Stop serving everything (unload). */
int ac_model_state_retire(appcore_repository *repo, struct ac_model_state *model,
			  appcore_error *err);
/* Events for a model that left the repository, once a snapshot without it is published. */
void ac_model_state_removed(appcore_repository *repo, struct ac_model_state *model);
void ac_model_state_free(struct ac_model_state *model);
struct ac_model_state *ac_model_state_new(const char *name);

/* poller.c */
int ac_repo_thread_start(appcore_repository *repo, appcore_error *err);
void ac_repo_thread_stop(appcore_repository *repo);
void ac_repo_thread_wake(appcore_repository *repo);

/* repository.c: the whole-directory pass, under the lock */
int ac_repo_reload_locked(appcore_repository *repo, appcore_error *err);

#endif
