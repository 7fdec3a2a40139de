/* What has been reported as ignored, so that a repository polled every second does not log
 * the same 10,000 stray directories every second. A small open-addressing hash set of
 * "path\nreason" keys; each scan marks what it sees, and forgets the rest afterwards, so
 * something that disappears and comes back is reported again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repository/repository_internal.h"

struct ac_report_item {
	char *key; /* NULL: empty slot */
	unsigned seen;
};

static uint64_t hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct ac_report_item *slot(struct ac_report_item *items, size_t capacity,
				   const char *key)
{
	size_t i = (size_t)hash(key) & (capacity - 1);

	while (items[i].key != NULL && strcmp(items[i].key, key) != 0)
		i = (i + 1) & (capacity - 1);
	return &items[i];
}

static bool grow(struct ac_report_set *set)
{
	size_t capacity = set->capacity ? set->capacity * 2 : 64;
	struct ac_report_item *items = calloc(capacity, sizeof(*items));

	if (items == NULL)
		return false;
	for (size_t i = 0; i < set->capacity; i++)
		if (set->items[i].key != NULL)
			*slot(items, capacity, set->items[i].key) = set->items[i];
	free(set->items);
	set->items = items;
	set->capacity = capacity;
	return true;
}

void ac_report_begin_scan(struct ac_report_set *set)
{
	set->generation++;
}

bool ac_report_once(struct ac_report_set *set, const char *key)
{
	struct ac_report_item *item;

	if ((set->count + 1) * 2 > set->capacity && !grow(set))
		return true; /* out of memory: report again rather than stay silent */
	item = slot(set->items, set->capacity, key);
	if (item->key != NULL) {
		item->seen = set->generation;
		return false;
	}
	item->key = strdup(key);
	if (item->key == NULL)
		return true;
	item->seen = set->generation;
	set->count++;
	return true;
}

void ac_report_end_scan(struct ac_report_set *set)
{
	struct ac_report_set kept = { NULL, 0, 0, set->generation };

	for (size_t i = 0; i < set->capacity; i++)
		if (set->items[i].key != NULL && set->items[i].seen != set->generation) {
			free(set->items[i].key);
			set->items[i].key = NULL;
			set->count--;
		}
	/* rehash what is left: open addressing cannot simply leave holes */
	if (set->capacity == 0)
		return;
	kept.capacity = set->capacity;
	kept.items = calloc(kept.capacity, sizeof(*kept.items));
	if (kept.items == NULL)
		return; /* the old table is still valid, only probe chains may be long */
	for (size_t i = 0; i < set->capacity; i++)
		if (set->items[i].key != NULL) {
			*slot(kept.items, kept.capacity, set->items[i].key) = set->items[i];
			kept.count++;
		}
	free(set->items);
	*set = kept;
}

void ac_report_free(struct ac_report_set *set)
{
	for (size_t i = 0; i < set->capacity; i++)
		free(set->items[i].key);
	free(set->items);
	memset(set, 0, sizeof(*set));
}
