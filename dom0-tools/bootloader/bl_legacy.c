// SPDX-License-Identifier: MIT
/*
 * GRUB legacy's menu.lst / grub.conf, as pygrub still reads them: one command a line,
 * "title" starts an entry, "kernel PATH ARGS" and "initrd PATH" fill it, "default N" picks
 * one. No variables, no quoting beyond what the kernel line carries through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_internal.h"

static int fail(const char *name, unsigned int line, int ret, const char *what, char *err,
		size_t errlen)
{
	snprintf(err, errlen, "%s:%u: %s", name, line, what);
	return ret;
}

/* Splits "cmd rest" (GRUB legacy also allows "cmd=rest"). */
static void split(char *line, char **cmd, char **rest)
{
	char *p;

	while (*line == ' ' || *line == '\t')
		line++;
	*cmd = line;
	p = line + strcspn(line, " \t=");
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t' || (*p == '=' && p[-1] != '='))
			p++;
	}
	*rest = p;
	p = *rest + strlen(*rest);
	while (p > *rest && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
		*--p = '\0';
}

static int add_entry(struct bl_menu *menu, const char *title, unsigned int line)
{
	struct bl_entry *e;
	char path[16];

	if (!menu->entries && !(menu->entries = calloc(BL_MAX_ENTRIES, sizeof(*menu->entries))))
		return -ENOMEM;
	e = &menu->entries[menu->nentries];
	snprintf(path, sizeof(path), "%zu", menu->nentries);
	menu->nentries++;
	e->line = line;
	e->title = strdup(title);
	e->path = strdup(path);
	return e->title && e->path ? 0 : -ENOMEM;
}

static int kernel_line(struct bl_entry *e, char *rest)
{
	char *args = rest + strcspn(rest, " \t");

	if (*args)
		*args++ = '\0';
	while (*args == ' ' || *args == '\t')
		args++;
	free(e->kernel);
	free(e->args);
	e->kernel = strdup(bl_strip_device(rest));
	e->args = strdup(args);
	if (!e->kernel || !e->args)
		return -ENOMEM;
	if (strlen(args) >= SV_MAX_CMDLINE)
		e->args_problem = strdup("the kernel's arguments are longer than 1023 bytes");
	return 0;
}

static int initrd_line(struct bl_entry *e, char *rest)
{
	rest[strcspn(rest, " \t")] = '\0';
	while (e->ninitrds)
		free(e->initrds[--e->ninitrds]);
	e->initrds[0] = strdup(bl_strip_device(rest));
	if (!e->initrds[0])
		return -ENOMEM;
	e->ninitrds = 1;
	return 0;
}

int bl_legacy_parse(const char *name, const char *text, size_t len, struct bl_menu *menu, char *err,
		    size_t errlen)
{
	char *copy, *line, *next, *cmd, *rest;
	unsigned int lineno = 0;
	struct bl_entry *e = NULL;
	int ret = 0;

	memset(menu, 0, sizeof(*menu));
	if (memchr(text, '\0', len))
		return fail(name, 1, -EINVAL, "a NUL byte: not a text file", err, errlen);
	copy = strndup(text, len);
	if (!copy)
		return fail(name, 0, -ENOMEM, "out of memory", err, errlen);
	for (line = copy; !ret && line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (strlen(line) >= BL_MAX_WORD) {
			ret = fail(name, lineno, -E2BIG, "a line longer than 4095 bytes", err,
				   errlen);
			break;
		}
		split(line, &cmd, &rest);
		if (!*cmd || *cmd == '#')
			continue;
		if (!strcmp(cmd, "title")) {
			if (menu->nentries >= BL_MAX_ENTRIES) {
				ret = fail(name, lineno, -E2BIG, "more than 256 entries", err,
					   errlen);
				break;
			}
			ret = add_entry(menu, rest, lineno);
			e = &menu->entries[menu->nentries - 1];
		} else if (!strcmp(cmd, "default") && !e) {
			free(menu->default_entry);
			menu->default_entry = strdup(rest);
			ret = menu->default_entry ? 0 : -ENOMEM;
		} else if (e && !strcmp(cmd, "kernel")) {
			ret = kernel_line(e, rest);
		} else if (e && !strcmp(cmd, "initrd")) {
			ret = initrd_line(e, rest);
		} else if (e && (!strcmp(cmd, "chainloader") || !strcmp(cmd, "configfile")) &&
			   !e->kernel && !e->problem) {
			e->problem = strdup("it boots with chainloader or configfile, not a "
					    "Linux kernel");
		}
	}
	free(copy);
	if (ret == -ENOMEM)
		fail(name, lineno, ret, "out of memory", err, errlen);
	if (ret)
		bl_menu_free(menu);
	return ret;
}
