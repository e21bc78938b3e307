// SPDX-License-Identifier: MIT
/*
 * GRUB 2 script words: 'single quotes' literal, "double quotes" with $variables and the
 * escapes \\ \" \$, a backslash escaping one character outside quotes, "#" comments at the
 * start of a word, commands ended by newlines and ';', '{' and '}' as words of their own.
 * Variables expand from the table as it stands when the command is read (GRUB reads and
 * runs a file in order); an unset one expands to nothing and is remembered in the word so
 * that a path or argument that needed it is refused, not guessed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_grub_lex.h"

int bl_var_get(const struct bl_vars *vars, const char *name, const char **value)
{
	size_t i;

	for (i = vars->n; i-- > 0;) {
		if (!strcmp(vars->names[i], name)) {
			*value = vars->values[i];
			return *value != NULL;
		}
	}
	*value = NULL;
	return 0;
}

int bl_var_set(struct bl_vars *vars, const char *name, const char *value, bool shadow)
{
	char *copy = NULL;
	size_t i;

	if (value && !(copy = strdup(value)))
		return -ENOMEM;
	for (i = vars->n; !shadow && i-- > 0;) {
		if (!strcmp(vars->names[i], name)) {
			free(vars->values[i]);
			vars->values[i] = copy;
			return 0;
		}
	}
	if (vars->n >= BL_MAX_VARS) {
		free(copy);
		return -E2BIG;
	}
	vars->names[vars->n] = strdup(name);
	if (!vars->names[vars->n]) {
		free(copy);
		return -ENOMEM;
	}
	vars->values[vars->n++] = copy;
	return 0;
}

void bl_vars_truncate(struct bl_vars *vars, size_t n)
{
	while (vars->n > n) {
		vars->n--;
		free(vars->names[vars->n]);
		free(vars->values[vars->n]);
	}
}

static int lex_fail(struct bl_lexer *lx, unsigned int line, int ret, char *err, size_t errlen,
		    const char *what)
{
	snprintf(err, errlen, "%s:%u: %s", lx->name, line, what);
	return ret;
}

/* One more byte of the current word. */
static int put(struct bl_lexer *lx, struct bl_cmd *cmd, size_t start, char c, char *err,
	       size_t errlen)
{
	if (cmd->used - start >= BL_MAX_WORD - 1)
		return lex_fail(lx, lx->line, -E2BIG, err, errlen, "a word longer than 4095 bytes");
	if (cmd->used >= BL_MAX_CMD_BYTES - 1)
		return lex_fail(lx, cmd->line, -E2BIG, err, errlen,
				"a command longer than 16383 bytes");
	cmd->store[cmd->used++] = c;
	return 0;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* At '$': expands $name, ${name} or $? $# $@ $* into the word. */
static int expand(struct bl_lexer *lx, struct bl_cmd *cmd, size_t start, struct bl_word *w,
		  char *err, size_t errlen)
{
	char name[BL_MAX_VAR_NAME];
	const char *value;
	size_t len = 0;
	int ret = 0;

	lx->p++; /* '$' */
	if (lx->p < lx->end && *lx->p == '{') {
		for (lx->p++; lx->p < lx->end && *lx->p != '}'; lx->p++) {
			if (len >= sizeof(name) - 1 || *lx->p == '\n')
				return lex_fail(lx, lx->line, -EINVAL, err, errlen,
						"'${' without a '}' after a short name");
			name[len++] = *lx->p;
		}
		if (lx->p >= lx->end)
			return lex_fail(lx, lx->line, -EINVAL, err, errlen, "'${' without '}'");
		lx->p++;
	} else if (lx->p < lx->end && strchr("?#@*", *lx->p) && *lx->p) {
		name[len++] = *lx->p++;
	} else {
		while (lx->p < lx->end && is_name_char(*lx->p)) {
			if (len >= sizeof(name) - 1)
				return lex_fail(lx, lx->line, -EINVAL, err, errlen,
						"a variable name longer than 63 bytes");
			name[len++] = *lx->p++;
		}
		if (!len) /* a lone '$' is itself */
			return put(lx, cmd, start, '$', err, errlen);
	}
	name[len] = '\0';
	if (bl_var_get(lx->vars, name, &value)) {
		for (; *value && !ret; value++)
			ret = put(lx, cmd, start, *value, err, errlen);
		return ret;
	}
	if (w->unset_first < 0) {
		w->unset_first = (int)(cmd->used - start);
		snprintf(w->unset_name, sizeof(w->unset_name), "%s", name);
	}
	w->unset_last = (int)(cmd->used - start);
	return 0;
}

static int lex_double_quoted(struct bl_lexer *lx, struct bl_cmd *cmd, size_t start,
			     struct bl_word *w, char *err, size_t errlen)
{
	unsigned int from = lx->line;
	int ret = 0;

	for (lx->p++; !ret && lx->p < lx->end && *lx->p != '"';) {
		if (*lx->p == '\\' && lx->p + 1 < lx->end && strchr("$\"\\\n", lx->p[1])) {
			if (lx->p[1] == '\n')
				lx->line++;
			else
				ret = put(lx, cmd, start, lx->p[1], err, errlen);
			lx->p += 2;
		} else if (*lx->p == '$') {
			ret = expand(lx, cmd, start, w, err, errlen);
		} else {
			if (*lx->p == '\n')
				lx->line++;
			ret = put(lx, cmd, start, *lx->p++, err, errlen);
		}
	}
	if (!ret && lx->p >= lx->end)
		return lex_fail(lx, from, -EINVAL, err, errlen, "a '\"' that is never closed");
	lx->p++;
	return ret;
}

/* One word at lx->p; *keep false when it expanded to nothing (no quotes, nothing unset). */
static int lex_word(struct bl_lexer *lx, struct bl_cmd *cmd, struct bl_word *w, bool *bare,
		    bool *keep, char *err, size_t errlen)
{
	size_t start = cmd->used;
	bool quoted = false;
	unsigned int from;
	int ret = 0;

	w->unset_first = w->unset_last = -1;
	w->unset_name[0] = '\0';
	while (!ret && lx->p < lx->end && !strchr(" \t\r\n;", *lx->p)) {
		if (*lx->p == '\\') {
			if (lx->p + 1 < lx->end && lx->p[1] == '\n')
				lx->line++;
			else if (lx->p + 1 < lx->end)
				ret = put(lx, cmd, start, lx->p[1], err, errlen);
			lx->p += lx->p + 1 < lx->end ? 2 : 1;
			quoted = true;
		} else if (*lx->p == '\'') {
			from = lx->line;
			quoted = true;
			for (lx->p++; !ret && lx->p < lx->end && *lx->p != '\''; lx->p++) {
				if (*lx->p == '\n')
					lx->line++;
				ret = put(lx, cmd, start, *lx->p, err, errlen);
			}
			if (!ret && lx->p >= lx->end)
				return lex_fail(lx, from, -EINVAL, err, errlen,
						"a \"'\" that is never closed");
			lx->p++;
		} else if (*lx->p == '"') {
			quoted = true;
			ret = lex_double_quoted(lx, cmd, start, w, err, errlen);
		} else if (*lx->p == '$') {
			ret = expand(lx, cmd, start, w, err, errlen);
		} else {
			ret = put(lx, cmd, start, *lx->p++, err, errlen);
		}
	}
	if (ret)
		return ret;
	*bare = !quoted;
	*keep = quoted || cmd->used > start || w->unset_first >= 0;
	ret = put(lx, cmd, start, '\0', err, errlen);
	w->text = cmd->store + start;
	return ret;
}

int bl_lex_command(struct bl_lexer *lx, struct bl_cmd *cmd, char *err, size_t errlen)
{
	struct bl_word *w;
	bool bare, keep;
	int ret;

	cmd->nwords = 0;
	cmd->used = 0;
	cmd->line = lx->line;
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
			lx->p++;
		if (lx->p >= lx->end) {
			cmd->term = cmd->nwords ? BL_TERM_END : BL_TERM_EOF;
			return 0;
		}
		if (*lx->p == '\n' || *lx->p == ';') {
			if (*lx->p++ == '\n')
				lx->line++;
			if (cmd->nwords) {
				cmd->term = BL_TERM_END;
				return 0;
			}
			continue;
		}
		if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (!cmd->nwords)
			cmd->line = lx->line;
		if (cmd->nwords >= BL_MAX_WORDS)
			return lex_fail(lx, cmd->line, -E2BIG, err, errlen,
					"a command of more than 256 words");
		w = &cmd->words[cmd->nwords];
		ret = lex_word(lx, cmd, w, &bare, &keep, err, errlen);
		if (ret)
			return ret;
		if (bare && !strcmp(w->text, "{")) {
			cmd->term = BL_TERM_OPEN;
			return 0;
		}
		if (bare && !strcmp(w->text, "}") && !cmd->nwords) {
			cmd->term = BL_TERM_CLOSE;
			return 0;
		}
		if (keep)
			cmd->nwords++;
	}
}
