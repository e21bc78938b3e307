/* SPDX-License-Identifier: MIT */
/*
 * GRUB 2's script syntax as far as a menu needs it (bl_grub_lex.c): words with quotes,
 * escapes and $variables expanded, commands ended by newlines and ';', and '{' '}'.
 */
#ifndef SV_BL_GRUB_LEX_H
#define SV_BL_GRUB_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "bl_internal.h"

#define BL_MAX_CMD_BYTES (4 * BL_MAX_WORD) /* all words of one command */
#define BL_MAX_VAR_NAME	 64u

/* Variables as set so far; a NULL value is one set from something we could not resolve. */
struct bl_vars {
	size_t n;
	char *names[BL_MAX_VARS];
	char *values[BL_MAX_VARS];
};

/* The value of name: 1 with *value, 0 when unset or not resolvable. */
int bl_var_get(const struct bl_vars *vars, const char *name, const char **value);
/* Sets name (value NULL: not resolvable); a new binding on top when shadow. 0 or -errno. */
int bl_var_set(struct bl_vars *vars, const char *name, const char *value, bool shadow);
/* Drops the bindings made after the first n (a menu entry's own). */
void bl_vars_truncate(struct bl_vars *vars, size_t n);

enum bl_term {
	BL_TERM_END,   /* newline, ';' */
	BL_TERM_OPEN,  /* the command ends with '{' */
	BL_TERM_CLOSE, /* '}' (no words) */
	BL_TERM_EOF,   /* nothing more (no words) */
};

struct bl_word {
	char *text;
	/* Offsets in text where the first and last unset variable would have gone, or -1. */
	int unset_first, unset_last;
	char unset_name[BL_MAX_VAR_NAME];
};

struct bl_cmd {
	enum bl_term term;
	unsigned int line; /* of its first word */
	size_t nwords;
	struct bl_word words[BL_MAX_WORDS];
	size_t used;
	char store[BL_MAX_CMD_BYTES];
};

struct bl_lexer {
	const char *name; /* the file, for messages */
	const char *p, *end;
	unsigned int line;
	const struct bl_vars *vars;
};

/* The next command; 0 or -errno with "name:line: ..." in err. */
int bl_lex_command(struct bl_lexer *lx, struct bl_cmd *cmd, char *err, size_t errlen);

#endif
