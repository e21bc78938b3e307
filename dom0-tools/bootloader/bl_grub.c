// SPDX-License-Identifier: MIT
/*
 * GRUB 2's grub.cfg read as a menu, the way pygrub reads it: the commands run in order with
 * every branch of an if taken (so the last "set default=" wins, as in the files grub-mkconfig
 * writes), menuentry and submenu blocks become entries, function bodies are skipped, and
 * source / configfile read other files through the caller, nested at most BL_MAX_CFG_DEPTH.
 * Nothing here runs anything: a command we do not know is ignored, unless it is what an
 * entry boots with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_grub_lex.h"

enum block_kind { BLOCK_ENTRY, BLOCK_SUBMENU, BLOCK_SKIP };

#define MAX_BLOCKS (BL_MAX_SUBMENU + 4)

struct block {
	enum block_kind kind;
	size_t entry;	    /* index in the menu (entry and submenu) */
	size_t nvars;	    /* the variables' count when it opened: its own go at '}' */
	unsigned int items; /* the items inside it so far (submenu) */
	unsigned int line;
};

struct parser {
	const char *name; /* the file being read, for messages */
	const char *top;  /* the first file: load_env looks for grubenv beside it */
	struct bl_menu *menu;
	struct bl_vars vars;
	bl_read_fn read;
	void *ctx;
	size_t total_bytes;
	unsigned int top_items;
	struct block blocks[MAX_BLOCKS];
	size_t nblocks;
	struct bl_cmd *cmd;
	char *err;
	size_t errlen;
};

/* Returned by a file that ran configfile: the menu is the new file's, stop reading. */
#define PARSE_STOP 1

static int parse_file(struct parser *ps, const char *name, const char *text, size_t len,
		      unsigned int depth);

static int fail(struct parser *ps, const char *name, unsigned int line, int ret, const char *fmt,
		const char *arg)
{
	int n = snprintf(ps->err, ps->errlen, "%s:%u: ", name, line);

	if (n >= 0 && (size_t)n < ps->errlen)
		snprintf(ps->err + n, ps->errlen - (size_t)n, fmt, arg);
	return ret;
}

static void entry_free(struct bl_entry *e)
{
	size_t i;

	free(e->title);
	free(e->id);
	free(e->path);
	free(e->kernel);
	free(e->args);
	for (i = 0; i < e->ninitrds; i++)
		free(e->initrds[i]);
	free(e->problem);
	free(e->args_problem);
	memset(e, 0, sizeof(*e));
}

void bl_menu_free(struct bl_menu *menu)
{
	size_t i;

	for (i = 0; i < menu->nentries; i++)
		entry_free(&menu->entries[i]);
	free(menu->entries);
	free(menu->default_entry);
	memset(menu, 0, sizeof(*menu));
}

const char *bl_strip_device(const char *path)
{
	const char *close;

	if (path[0] != '(' || !(close = strchr(path, ')')))
		return path;
	return close + 1;
}

/* Sets *slot to a printf'd sentence unless one is there already (the first reason stays). */
static int set_problem(char **slot, const char *fmt, const char *a, unsigned int line)
{
	char text[512];

	if (*slot)
		return 0;
	snprintf(text, sizeof(text), fmt, a, line);
	*slot = strdup(text);
	return *slot ? 0 : -ENOMEM;
}

/* A path word of a linux or initrd line, or NULL with the entry's problem set. */
static int path_of(struct bl_entry *e, const struct bl_word *w, unsigned int line, char **out)
{
	const char *path = bl_strip_device(w->text);
	int prefix = (int)(path - w->text);

	*out = NULL;
	if (w->unset_first >= 0 && w->unset_last >= prefix)
		return set_problem(&e->problem, "the path uses $%s, which is not set (line %u)",
				   w->unset_name, line);
	if (!*path)
		return set_problem(&e->problem, "an empty path%s (line %u)", "", line);
	*out = strdup(path);
	return *out ? 0 : -ENOMEM;
}

static int entry_linux(struct bl_entry *e, const struct bl_cmd *cmd)
{
	size_t i, len = 0;
	char *args;
	int ret;

	if (cmd->nwords < 2)
		return set_problem(&e->problem, "'%s' without a kernel (line %u)",
				   cmd->words[0].text, cmd->line);
	free(e->kernel);
	free(e->args);
	free(e->args_problem);
	e->args = e->args_problem = NULL;
	ret = path_of(e, &cmd->words[1], cmd->line, &e->kernel);
	for (i = 2; i < cmd->nwords; i++)
		len += strlen(cmd->words[i].text) + 1;
	args = calloc(1, len + 1);
	if (ret || !args) {
		free(args);
		return ret ? ret : -ENOMEM;
	}
	for (i = 2; i < cmd->nwords; i++) {
		if (cmd->words[i].unset_first >= 0 && !e->args_problem)
			ret = set_problem(&e->args_problem,
					  "the kernel's arguments use $%s, which is not set "
					  "(line %u)",
					  cmd->words[i].unset_name, cmd->line);
		if (i > 2)
			strcat(args, " ");
		strcat(args, cmd->words[i].text);
	}
	e->args = args;
	if (!ret && strlen(args) >= SV_MAX_CMDLINE)
		ret = set_problem(&e->args_problem,
				  "the kernel's arguments are longer than %s bytes (line %u)",
				  "1023", cmd->line);
	return ret;
}

static int entry_initrd(struct bl_entry *e, const struct bl_cmd *cmd)
{
	size_t i;
	int ret = 0;

	while (e->ninitrds)
		free(e->initrds[--e->ninitrds]);
	if (cmd->nwords - 1 > BL_MAX_INITRDS)
		return set_problem(&e->problem, "more than %s initrds (line %u)", "8", cmd->line);
	for (i = 1; !ret && i < cmd->nwords; i++) {
		ret = path_of(e, &cmd->words[i], cmd->line, &e->initrds[e->ninitrds]);
		if (e->initrds[e->ninitrds])
			e->ninitrds++;
	}
	return ret;
}

static bool word_is(const struct bl_cmd *cmd, size_t i, const char *const *names)
{
	for (; i < cmd->nwords && *names; names++)
		if (!strcmp(cmd->words[i].text, *names))
			return true;
	return false;
}

/* name=value as its own command or after set; 1 when it was one. */
static int assignment(struct parser *ps, const struct bl_cmd *cmd, size_t i, bool shadow)
{
	const struct bl_word *w = &cmd->words[i];
	const char *eq = strchr(w->text, '=');
	char name[BL_MAX_VAR_NAME];
	size_t len;
	int ret;

	if (!eq || eq == w->text || (size_t)(eq - w->text) >= sizeof(name))
		return 0;
	len = (size_t)(eq - w->text);
	for (size_t k = 0; k < len; k++) {
		char c = w->text[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (k && c >= '0' && c <= '9')))
			return 0;
	}
	memcpy(name, w->text, len);
	name[len] = '\0';
	ret = bl_var_set(&ps->vars, name, w->unset_first >= 0 ? NULL : eq + 1, shadow);
	if (ret == -E2BIG)
		return fail(ps, ps->name, cmd->line, ret, "more than %s variables", "256");
	return ret ? ret : 1;
}

/* A new menu item (menuentry or submenu) in the current level. */
static int new_item(struct parser *ps, const char *name, bool submenu)
{
	static const char *const with_arg[] = { "--class", "--users", "--hotkey", "--id", NULL };
	const struct bl_cmd *cmd = ps->cmd;
	struct block *parent = NULL;
	struct bl_entry *e;
	char path[BL_MAX_SUBMENU * 8 + 16];
	unsigned int *items = &ps->top_items;
	size_t i;

	if (ps->menu->nentries >= BL_MAX_ENTRIES)
		return fail(ps, name, cmd->line, -E2BIG, "more than %s menu entries and submenus",
			    "256");
	if (ps->nblocks) {
		parent = &ps->blocks[ps->nblocks - 1];
		items = &parent->items;
	}
	if (ps->nblocks >= BL_MAX_SUBMENU)
		return fail(ps, name, cmd->line, -E2BIG, "submenus nested more than %s deep", "8");
	if (!ps->menu->entries) {
		ps->menu->entries = calloc(BL_MAX_ENTRIES, sizeof(*ps->menu->entries));
		if (!ps->menu->entries)
			return -ENOMEM;
	}
	e = &ps->menu->entries[ps->menu->nentries];
	if (parent)
		snprintf(path, sizeof(path), "%s>%u", ps->menu->entries[parent->entry].path,
			 *items);
	else
		snprintf(path, sizeof(path), "%u", *items);
	(*items)++;
	e->submenu = submenu;
	e->line = cmd->line;
	e->path = strdup(path);
	for (i = 1; i < cmd->nwords; i++) {
		const char *w = cmd->words[i].text;

		if (!strncmp(w, "--id=", 5) && !e->id) {
			e->id = strdup(w + 5);
		} else if (word_is(cmd, i, with_arg) && i + 1 < cmd->nwords) {
			if (!strcmp(w, "--id") && !e->id)
				e->id = strdup(cmd->words[i + 1].text);
			i++;
		} else if (strncmp(w, "--", 2) && !e->title) {
			e->title = strdup(w);
		}
	}
	ps->menu->nentries++;
	if (!e->path)
		return -ENOMEM;
	if (!e->title)
		return fail(ps, name, cmd->line, -EINVAL, "%s without a title", cmd->words[0].text);
	return 0;
}

static int push(struct parser *ps, const char *name, enum block_kind kind)
{
	struct block *b;

	if (ps->nblocks >= MAX_BLOCKS)
		return fail(ps, name, ps->cmd->line, -E2BIG, "blocks nested more than %s deep",
			    "12");
	b = &ps->blocks[ps->nblocks++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->entry = ps->menu->nentries - (kind == BLOCK_SKIP ? 0 : 1);
	b->nvars = ps->vars.n;
	b->line = ps->cmd->line;
	return 0;
}

/* source and configfile: the file's text through the caller, within the bounds. */
static int include(struct parser *ps, const char *name, unsigned int depth, bool replace)
{
	const struct bl_cmd *cmd = ps->cmd;
	const struct bl_word *w;
	char *text = NULL, *path = NULL;
	size_t len = 0;
	int ret;

	if (cmd->nwords < 2)
		return fail(ps, name, cmd->line, -EINVAL, "%s without a file", cmd->words[0].text);
	w = &cmd->words[1];
	if (w->unset_first >= 0)
		return fail(ps, name, cmd->line, -EINVAL,
			    "the file to read uses $%s, which is not set", w->unset_name);
	if (depth + 1 >= BL_MAX_CFG_DEPTH)
		return fail(ps, name, cmd->line, -ELOOP,
			    "source and configfile nested more than %s deep (does a file load "
			    "itself?)",
			    "8");
	if (replace && ps->nblocks)
		return fail(ps, name, cmd->line, -EINVAL, "configfile inside a %s is not read",
			    ps->blocks[ps->nblocks - 1].kind == BLOCK_SUBMENU ? "submenu"
									      : "block");
	path = strdup(bl_strip_device(w->text));
	if (!path)
		return -ENOMEM;
	ret = ps->read(ps->ctx, path, &text, &len, ps->err, ps->errlen);
	if (!ret && ps->total_bytes + len > BL_MAX_CFG_TOTAL)
		ret = fail(ps, name, cmd->line, -EFBIG,
			   "the configuration files together are larger than %s bytes", "4 MiB");
	if (!ret) {
		ps->total_bytes += len;
		if (replace) {
			/* A new menu: what was read so far is not what GRUB shows. */
			while (ps->menu->nentries)
				entry_free(&ps->menu->entries[--ps->menu->nentries]);
			ps->top_items = 0;
		}
		ret = parse_file(ps, path, text, len, depth + 1);
		if (replace && ret == 0)
			ret = PARSE_STOP;
	}
	free(text);
	free(path);
	return ret;
}

/* grubenv's lines (name=value, '\\' escaping the next byte) as variables; wanted: only those. */
static int env_lines(struct parser *ps, const char *path, char *text, char *const *wanted,
		     size_t nwanted)
{
	static const char magic[] = "# GRUB Environment Block\n";
	char *line = text, *next, *eq, *in, *out;
	unsigned int lineno = 1;
	size_t k;
	int ret = 0;

	/* GRUB ignores a file that is not an environment block; so do we. */
	if (strncmp(text, magic, sizeof(magic) - 1))
		return 0;
	for (; !ret && *line; line = next, lineno++) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (line[0] == '#' || !eq || eq == line || eq - line >= BL_MAX_VAR_NAME)
			continue;
		*eq = '\0';
		for (k = 0; k < nwanted && strcmp(wanted[k], line); k++)
			;
		if (nwanted && k == nwanted)
			continue;
		for (in = out = eq + 1; *in; in++)
			*out++ = in[0] == '\\' && in[1] ? *++in : *in;
		*out = '\0';
		if (strlen(eq + 1) >= BL_MAX_WORD)
			return fail(ps, path, lineno, -E2BIG, "%s is longer than 4095 bytes", line);
		ret = bl_var_set(&ps->vars, line, eq + 1, ps->nblocks != 0);
		if (ret == -E2BIG)
			return fail(ps, path, lineno, ret, "more than %s variables", "256");
	}
	return ret;
}

/*
 * load_env [-f FILE] [--skip-sig] [NAME...]: the variables grub-editenv saved (saved_entry for
 * GRUB_DEFAULT=saved), from FILE or the grubenv beside the first configuration file. A
 * missing file is no error, as in GRUB.
 */
static int load_env(struct parser *ps, const char *name)
{
	const struct bl_cmd *cmd = ps->cmd;
	char *text = NULL, *path = NULL, *wanted[BL_MAX_WORDS];
	const char *file = NULL, *slash;
	size_t i, nwanted = 0, len = 0;
	int ret;

	for (i = 1; i < cmd->nwords; i++) {
		const char *w = cmd->words[i].text;

		if ((!strcmp(w, "-f") || !strcmp(w, "--file")) && i + 1 < cmd->nwords)
			file = cmd->words[++i].text;
		else if (!strncmp(w, "--file=", 7))
			file = w + 7;
		else if (w[0] != '-')
			wanted[nwanted++] = cmd->words[i].text;
	}
	if (file) {
		path = strdup(bl_strip_device(file));
	} else {
		slash = strrchr(ps->top, '/');
		if (slash &&
		    asprintf(&path, "%.*sgrubenv", (int)(slash - ps->top + 1), ps->top) < 0)
			path = NULL;
		else if (!slash)
			path = strdup("grubenv");
	}
	if (!path)
		return -ENOMEM;
	ret = ps->read(ps->ctx, path, &text, &len, ps->err, ps->errlen);
	if (ret == -ENOENT || ret == -ENOTDIR) {
		ret = 0;
	} else if (!ret && ps->total_bytes + len > BL_MAX_CFG_TOTAL) {
		ret = fail(ps, name, cmd->line, -EFBIG,
			   "the configuration files together are larger than %s bytes", "4 MiB");
	} else if (!ret) {
		ps->total_bytes += len;
		ret = env_lines(ps, path, text, wanted, nwanted);
	}
	free(text);
	free(path);
	return ret;
}

/* Inside a menuentry: what it boots with; its own variables go when it closes. */
static int entry_command(struct parser *ps, const char *name)
{
	static const char *const linux_cmds[] = { "linux", "linux16", "linuxefi", NULL };
	static const char *const initrd_cmds[] = { "initrd", "initrd16", "initrdefi", NULL };
	static const char *const other_loaders[] = {
		"chainloader", "multiboot",	    "multiboot2", "kfreebsd", "knetbsd", "kopenbsd",
		"appleloader", "legacy_configfile", "configfile", "source",   NULL
	};
	const struct bl_cmd *cmd = ps->cmd;
	struct bl_entry *e = &ps->menu->entries[ps->blocks[ps->nblocks - 1].entry];
	int ret;

	(void)name;
	if (word_is(cmd, 0, linux_cmds))
		return entry_linux(e, cmd);
	if (word_is(cmd, 0, initrd_cmds))
		return entry_initrd(e, cmd);
	if (word_is(cmd, 0, other_loaders) && !e->kernel)
		return set_problem(&e->problem, "it boots with '%s', not a Linux kernel (line %u)",
				   cmd->words[0].text, cmd->line);
	if (!strcmp(cmd->words[0].text, "set") && cmd->nwords > 1)
		ret = assignment(ps, cmd, 1, true);
	else
		ret = assignment(ps, cmd, 0, true);
	return ret < 0 ? ret : 0;
}

/* Keywords of if / while / for: their conditions are skipped, their bodies all run. */
static size_t skip_keywords(const struct bl_cmd *cmd)
{
	static const char *const conditions[] = { "if", "elif", "while", "until", "for", NULL };
	static const char *const keywords[] = { "then", "else", "fi", "do", "done", "!", NULL };
	size_t i = 0;

	while (i < cmd->nwords) {
		if (word_is(cmd, i, conditions))
			return cmd->nwords;
		if (!word_is(cmd, i, keywords))
			break;
		i++;
	}
	return i;
}

static int command(struct parser *ps, const char *name, unsigned int depth)
{
	struct bl_cmd *cmd = ps->cmd;
	struct block *top = ps->nblocks ? &ps->blocks[ps->nblocks - 1] : NULL;
	size_t first = skip_keywords(cmd), i;
	const char *w;
	int ret;

	if (cmd->term == BL_TERM_CLOSE) {
		if (!top)
			return fail(ps, name, cmd->line, -EINVAL,
				    "'}' without a menuentry, submenu or function to close%s", "");
		bl_vars_truncate(&ps->vars, top->nvars);
		ps->nblocks--;
		return 0;
	}
	/* Drop keywords in front ("then set x=1"); the words stay in the command's store. */
	for (i = first; i < cmd->nwords; i++)
		cmd->words[i - first] = cmd->words[i];
	cmd->nwords -= first;
	w = cmd->nwords ? cmd->words[0].text : "";
	if (top && top->kind == BLOCK_SKIP)
		return cmd->term == BL_TERM_OPEN ? push(ps, name, BLOCK_SKIP) : 0;
	if (cmd->term == BL_TERM_OPEN) {
		if (!strcmp(w, "menuentry") || !strcmp(w, "submenu")) {
			if (top && top->kind == BLOCK_ENTRY)
				return push(ps, name, BLOCK_SKIP);
			ret = new_item(ps, name, w[0] == 's');
			return ret ? ret
				   : push(ps, name, w[0] == 's' ? BLOCK_SUBMENU : BLOCK_ENTRY);
		}
		return push(ps, name, BLOCK_SKIP); /* function NAME { ... } and the like */
	}
	if (!cmd->nwords)
		return 0;
	if (!strcmp(w, "menuentry") || !strcmp(w, "submenu"))
		return fail(ps, name, cmd->line, -EINVAL, "%s without '{' on its line", w);
	if (top && top->kind == BLOCK_ENTRY)
		return entry_command(ps, name);
	if (!strcmp(w, "source"))
		return include(ps, name, depth, false);
	if (!strcmp(w, "configfile"))
		return include(ps, name, depth, true);
	if (!strcmp(w, "blscfg"))
		ps->menu->uses_blscfg = true;
	if (!strcmp(w, "load_env"))
		return load_env(ps, name);
	if (!strcmp(w, "unset") && cmd->nwords > 1) {
		ret = bl_var_set(&ps->vars, cmd->words[1].text, NULL, false);
		return ret == -E2BIG
			       ? fail(ps, name, cmd->line, ret, "more than %s variables", "256")
			       : ret;
	}
	if (!strcmp(w, "set") && cmd->nwords > 1)
		ret = assignment(ps, cmd, 1, top != NULL);
	else
		ret = assignment(ps, cmd, 0, top != NULL);
	return ret < 0 ? ret : 0;
}

static int parse_commands(struct parser *ps, const char *name, const char *text, size_t len,
			  unsigned int depth)
{
	struct bl_lexer lx = {
		.name = name, .p = text, .end = text + len, .line = 1, .vars = &ps->vars
	};
	size_t base = ps->nblocks;
	const struct block *open;
	int ret;

	if (memchr(text, '\0', len))
		return fail(ps, name, 1, -EINVAL, "a NUL byte: not a text file%s", "");
	for (;;) {
		ret = bl_lex_command(&lx, ps->cmd, ps->err, ps->errlen);
		if (ret)
			return ret;
		if (ps->cmd->term == BL_TERM_EOF)
			break;
		if (ps->cmd->term == BL_TERM_CLOSE && ps->nblocks == base && base)
			return fail(ps, name, ps->cmd->line, -EINVAL,
				    "'}' closes a block that another file opened%s", "");
		ret = command(ps, name, depth);
		if (ret)
			return ret;
	}
	if (ps->nblocks > base) {
		open = &ps->blocks[ps->nblocks - 1];
		return fail(ps, name, open->line, -EINVAL,
			    "a block opened here is not closed by the end of the file%s", "");
	}
	return 0;
}

static int parse_file(struct parser *ps, const char *name, const char *text, size_t len,
		      unsigned int depth)
{
	const char *outer = ps->name;
	int ret;

	ps->name = name;
	ret = parse_commands(ps, name, text, len, depth);
	ps->name = outer;
	return ret;
}

int bl_grub_parse(const char *name, const char *text, size_t len, bl_read_fn read, void *ctx,
		  struct bl_menu *menu, char *err, size_t errlen)
{
	struct parser ps = { .menu = menu, .read = read, .ctx = ctx, .err = err, .errlen = errlen };
	const char *def;
	int ret;

	memset(menu, 0, sizeof(*menu));
	ps.cmd = malloc(sizeof(*ps.cmd));
	if (!ps.cmd) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ps.total_bytes = len;
	ps.top = name;
	ret = parse_file(&ps, name, text, len, 0);
	if (ret == PARSE_STOP)
		ret = 0;
	if (!ret && bl_var_get(&ps.vars, "default", &def) && !(menu->default_entry = strdup(def)))
		ret = -ENOMEM;
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	bl_vars_truncate(&ps.vars, 0);
	free(ps.cmd);
	if (ret)
		bl_menu_free(menu);
	return ret;
}
