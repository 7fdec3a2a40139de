/* The read side of the repository: an immutable snapshot behind an atomic pointer.
 *
 * Why not a reference count on the snapshot? A reader would load the pointer and then
 * increment a count inside memory the writer may free in between. Instead readers announce
 * themselves on one of two counters (the low bit of `epoch` picks which) before loading
 * the pointer. After swapping the pointer, the writer flips the epoch and waits for the old
 * counter to drain, then flips again and waits for the other: every reader that could have
 * loaded the old pointer announced itself before one of those waits ended, and every later
 * reader loads the new pointer. New readers never wait, and a writer waits only for readers
 * already inside a lookup (a binary search and a reference count increment). All accesses
 * are sequentially consistent, which the argument above relies on. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "repository/repository_internal.h"

unsigned ac_repo_read_begin(appcore_repository *repo, struct ac_repo_snapshot **snapshot)
{
	unsigned ticket = atomic_load(&repo->epoch) & 1u;

	atomic_fetch_add(&repo->readers[ticket], 1);
	*snapshot = atomic_load(&repo->current);
	return ticket;
}

void ac_repo_read_end(appcore_repository *repo, unsigned ticket)
{
	atomic_fetch_sub(&repo->readers[ticket], 1);
}

/* Wait until no reader can still hold a snapshot replaced before this call. */
static void wait_for_readers(appcore_repository *repo)
{
	for (int pass = 0; pass < 2; pass++) {
		unsigned old = atomic_fetch_add(&repo->epoch, 1u) & 1u;
		unsigned spins = 0;

		while (atomic_load(&repo->readers[old]) != 0) {
			/* readers leave within microseconds; yield rather than sleep */
			if (++spins % 64 == 0) {
				struct timespec pause = { 0, 50L * 1000 };
				nanosleep(&pause, NULL);
			} else {
				sched_yield();
			}
		}
	}
}

struct ac_repo_entry *ac_repo_snapshot_find(const struct ac_repo_snapshot *snapshot,
					    const char *name)
{
	size_t lo = 0, hi = snapshot->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, snapshot->entries[mid]->name);
		if (c == 0)
			return snapshot->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void ac_repo_entry_unref(struct ac_repo_entry *entry)
{
	if (entry == NULL || --entry->refs > 0)
		return;
	for (size_t i = 0; i < entry->num_versions; i++) {
		free(entry->versions[i].label);
		appcore_model_unref(entry->versions[i].model);
	}
	for (size_t i = 0; i < entry->num_problems; i++) {
		free(entry->problems[i].version);
		free(entry->problems[i].reason);
	}
	free(entry->versions);
	free(entry->problems);
	free(entry->name);
	free(entry);
}

void ac_repo_snapshot_free(struct ac_repo_snapshot *snapshot)
{
	if (snapshot == NULL)
		return;
	for (size_t i = 0; i < snapshot->count; i++)
		ac_repo_entry_unref(snapshot->entries[i]);
	free(snapshot->entries);
	free(snapshot);
}

int ac_repo_snapshot_empty(struct ac_repo_snapshot **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? APPCORE_OK : APPCORE_ENOMEM;
}

int ac_repo_publish(appcore_repository *repo, appcore_error *err)
{
	struct ac_repo_snapshot *next = calloc(1, sizeof(*next)), *old;
	size_t n = 0;

	if (next == NULL || (repo->num_models > 0 &&
			     (next->entries = calloc(repo->num_models, sizeof(*next->entries))) ==
				 NULL)) {
		free(next);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < repo->num_models; i++) {
		struct ac_repo_entry *entry = repo->models[i]->entry;
		if (entry == NULL)
			continue;
		entry->refs++;
		next->entries[n++] = entry;
		if (entry->num_versions > 0) {
			next->num_ready++;
			next->only_ready = entry;
		}
	}
	next->count = n;
	if (next->num_ready != 1)
		next->only_ready = NULL;
	old = atomic_exchange(&repo->current, next);
	wait_for_readers(repo);
	ac_repo_snapshot_free(old);
	repo->dirty = false;
	return APPCORE_OK;
}
