// SPDX-License-Identifier: MIT
/*
 * Which entry of a menu boots: GRUB's default (a number path "1>2", a title or an id; a
 * submenu stands for its first entry; one that names nothing falls back to the first entry,
 * as GRUB does) or pygrub's --entry (a number counting every entry of the file, submenus
 * flattened, or a path, title or id; one that names nothing is refused).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_internal.h"

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The entry's parent path ("1>2" -> "1", "3" -> "") has length parent_len? */
static bool is_child_of(const struct bl_entry *e, const char *parent, size_t parent_len)
{
	const char *last = strrchr(e->path, '>');
	size_t len = last ? (size_t)(last - e->path) : 0;

	return len == parent_len && !strncmp(e->path, parent, len);
}

/* One component of a path, among the children of parent: a number, a title or an id. */
static long find_child(const struct bl_menu *menu, const char *parent, size_t parent_len,
		       const char *comp, size_t comp_len)
{
	const struct bl_entry *e;
	const char *last;
	size_t i;

	for (i = 0; i < menu->nentries; i++) {
		e = &menu->entries[i];
		if (!is_child_of(e, parent, parent_len))
			continue;
		last = strrchr(e->path, '>');
		last = last ? last + 1 : e->path;
		if (all_digits(comp, comp_len)
			    ? strlen(last) == comp_len && !strncmp(last, comp, comp_len)
			    : (strlen(e->title) == comp_len &&
			       !strncmp(e->title, comp, comp_len)) ||
				      (e->id && strlen(e->id) == comp_len &&
				       !strncmp(e->id, comp, comp_len)))
			return (long)i;
	}
	return -1;
}

/* "1>2" or "Advanced options>Debian, with Linux 6.1": -1 when it names nothing. */
static long find_path(const struct bl_menu *menu, const char *spec)
{
	const char *comp = spec, *end;
	long found = -1;

	for (;;) {
		end = strchrnul(comp, '>');
		found = find_child(menu, found < 0 ? "" : menu->entries[found].path,
				   found < 0 ? 0 : strlen(menu->entries[found].path), comp,
				   (size_t)(end - comp));
		if (found < 0 || !*end)
			return found;
		comp = end + 1;
	}
}

static long find_title_or_id(const struct bl_menu *menu, const char *spec)
{
	size_t i;

	for (i = 0; i < menu->nentries; i++) {
		const struct bl_entry *e = &menu->entries[i];

		if (!strcmp(e->title, spec) || (e->id && !strcmp(e->id, spec)))
			return (long)i;
	}
	return -1;
}

/* pygrub's number: the n-th entry that is not a submenu. */
static long find_flat(const struct bl_menu *menu, const char *spec)
{
	unsigned long n = strtoul(spec, NULL, 10);
	size_t i;

	for (i = 0; i < menu->nentries; i++) {
		if (menu->entries[i].submenu)
			continue;
		if (n-- == 0)
			return (long)i;
	}
	return -1;
}

/* A submenu stands for the first entry below it. */
static long first_below(const struct bl_menu *menu, long i)
{
	size_t len = strlen(menu->entries[i].path), k;

	for (k = (size_t)i + 1; k < menu->nentries; k++) {
		const struct bl_entry *e = &menu->entries[k];

		if (strncmp(e->path, menu->entries[i].path, len) || e->path[len] != '>')
			return -1;
		if (!e->submenu)
			return (long)k;
	}
	return -1;
}

static size_t count_entries(const struct bl_menu *menu)
{
	size_t i, n = 0;

	for (i = 0; i < menu->nentries; i++)
		n += !menu->entries[i].submenu;
	return n;
}

int bl_menu_select(const struct bl_menu *menu, const char *spec, size_t *index, char *err,
		   size_t errlen)
{
	size_t n = count_entries(menu);
	const char *want = spec;
	const struct bl_entry *e;
	long i;

	if (!n) {
		snprintf(err, errlen, "the configuration has no menu entries%s",
			 menu->uses_blscfg ? " (it uses blscfg: Boot Loader Specification "
					     "entries are not read)"
					   : "");
		return -ENOENT;
	}
	if (!spec) {
		want = menu->default_entry;
		if (!want || !*want || !strcmp(want, "saved"))
			want = "0";
	}
	if (spec && all_digits(spec, strlen(spec)))
		i = find_flat(menu, spec);
	else if (all_digits(want, strlen(want)) || strchr(want, '>'))
		i = find_path(menu, want);
	else
		i = find_title_or_id(menu, want);
	if (i >= 0 && menu->entries[i].submenu)
		i = first_below(menu, i);
	if (i < 0 && !spec)
		i = find_flat(menu, "0");
	if (i < 0) {
		snprintf(err, errlen,
			 "no menu entry '%s': the menu has %zu (give --entry=0 to --entry=%zu, a "
			 "title or an id)",
			 spec, n, n - 1);
		return -ENOENT;
	}
	e = &menu->entries[i];
	if (e->problem || !e->kernel) {
		snprintf(err, errlen, "menu entry %s '%s' (line %u) cannot boot: %s", e->path,
			 e->title, e->line, e->problem ? e->problem : "it has no linux line");
		return -EINVAL;
	}
	*index = (size_t)i;
	return 0;
}
