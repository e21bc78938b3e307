// SPDX-License-Identifier: MIT
/* The control domain's persistent domain definitions (see definitions.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "definitions.h"
#include "log.h"
#include "sv_xml.h"

int defs_state_dir(char *buf, size_t len)
{
	const char *env = getenv(SV_STATE_DIR_ENV), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/var/lib/splitvisor");
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/splitvisor", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.local/state/splitvisor", home);
	else
		n = snprintf(buf, len, "/tmp/splitvisor-state-%u", (unsigned int)geteuid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p, each new level 0700: definitions name kernels and disks of other users' VMs. */
static int mkdir_p(const char *path)
{
	char buf[512];
	size_t i;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (i = 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int sv_config_dup(const struct sv_domain_config *src, struct sv_domain_config *dst, char *err,
		  size_t errlen)
{
	char *xml = NULL;
	int ret;

	memset(dst, 0, sizeof(*dst));
	dst->domid = SV_DOMID_NONE;
	ret = sv_xml_format(src, &xml);
	if (ret) {
		snprintf(err, errlen, "cannot format domain %s: %s", src->name, strerror(-ret));
		return ret;
	}
	ret = sv_xml_parse_memory(xml, strlen(xml), src->name, NULL, dst, err, errlen);
	free(xml);
	return ret;
}

static int defs_add_entry(struct defs *s, struct sv_domain_config *cfg)
{
	struct def_entry *e = calloc(1, sizeof(*e)), **pp;

	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	/* Sorted by name, so list --all is stable. */
	for (pp = &s->head; *pp && strcmp((*pp)->cfg.name, e->cfg.name) < 0; pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
	return 0;
}

int defs_load(struct defs *s, const char *state_dir)
{
	struct sv_domain_config cfg;
	char path[1024], err[2048];
	struct dirent *de;
	size_t n;
	DIR *dir;
	int ret;

	s->head = NULL;
	n = (size_t)snprintf(s->dir, sizeof(s->dir), "%s/domains", state_dir);
	if (n >= sizeof(s->dir))
		return -ENAMETOOLONG;
	ret = mkdir_p(s->dir);
	if (ret) {
		/* Not fatal: running domains matter more; define reports it. */
		log_err("state directory %s: %s", s->dir, strerror(-ret));
		return 0;
	}
	dir = opendir(s->dir);
	if (!dir) {
		log_err("state directory %s: %s", s->dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(dir))) {
		n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 5 || strcmp(de->d_name + n - 4, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
		ret = sv_xml_parse_file(path, NULL, &cfg, err, sizeof(err));
		if (!ret && defs_find(s, cfg.name)) {
			snprintf(err, sizeof(err), "%s: domain %s is defined twice", path,
				 cfg.name);
			sv_domain_config_free(&cfg);
			ret = -EEXIST;
		}
		if (!ret)
			ret = defs_add_entry(s, &cfg);
		if (ret)
			log_warn("skipping definition: %s", err);
	}
	closedir(dir);
	return 0;
}

struct sv_domain_config *defs_find(const struct defs *s, const char *name)
{
	struct def_entry *e;

	for (e = s->head; e; e = e->next)
		if (!strcmp(e->cfg.name, name))
			return &e->cfg;
	return NULL;
}

size_t defs_count(const struct defs *s)
{
	const struct def_entry *e;
	size_t n = 0;

	for (e = s->head; e; e = e->next)
		n++;
	return n;
}

static void def_path(const struct defs *s, const char *name, bool tmp, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s.xml%s", s->dir, tmp ? "." : "", name, tmp ? ".tmp" : "");
}

/* Write to a temporary file, fsync, rename: a crash leaves the old or the new document. */
static int write_def(const struct defs *s, const struct sv_domain_config *cfg, char *err,
		     size_t errlen)
{
	char tmp[1024], path[1024], *xml = NULL;
	size_t len, off = 0;
	ssize_t n;
	int fd = -1, ret;

	def_path(s, cfg->name, true, tmp, sizeof(tmp));
	def_path(s, cfg->name, false, path, sizeof(path));
	ret = mkdir_p(s->dir);
	if (ret) {
		snprintf(err, errlen, "state directory %s: %s", s->dir, strerror(-ret));
		goto out;
	}
	ret = sv_xml_format(cfg, &xml);
	if (ret) {
		snprintf(err, errlen, "cannot format domain %s: %s", cfg->name, strerror(-ret));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	len = strlen(xml);
	while (off < len) {
		n = write(fd, xml + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		unlink(tmp);
	}
out:
	free(xml);
	return ret;
}

int defs_put(struct defs *s, struct sv_domain_config *cfg, char *err, size_t errlen)
{
	struct sv_domain_config *old = defs_find(s, cfg->name);
	struct def_entry *e, **pp;
	int ret;

	if (old && memcmp(old->uuid, cfg->uuid, SV_UUID_LEN)) {
		snprintf(err, errlen, "domain %s is already defined with uuid %s", cfg->name,
			 old->uuid_str);
		return -EEXIST;
	}
	for (e = s->head; e; e = e->next) {
		if (strcmp(e->cfg.name, cfg->name) &&
		    !memcmp(e->cfg.uuid, cfg->uuid, SV_UUID_LEN)) {
			snprintf(err, errlen, "domain %s already has uuid %s", e->cfg.name,
				 cfg->uuid_str);
			return -EEXIST;
		}
	}
	cfg->domid = SV_DOMID_NONE;
	ret = write_def(s, cfg, err, errlen);
	if (ret)
		return ret;
	if (old) {
		for (pp = &s->head; &(*pp)->cfg != old; pp = &(*pp)->next)
			;
		e = *pp;
		sv_domain_config_free(&e->cfg);
		e->cfg = *cfg;
		memset(cfg, 0, sizeof(*cfg));
		return 0;
	}
	return defs_add_entry(s, cfg);
}

int defs_remove(struct defs *s, const char *name, char *err, size_t errlen)
{
	struct def_entry **pp, *e;
	char path[1024];
	int ret;

	for (pp = &s->head; *pp && strcmp((*pp)->cfg.name, name); pp = &(*pp)->next)
		;
	if (!*pp) {
		snprintf(err, errlen, "no domain named %s is defined", name);
		return -ENOENT;
	}
	def_path(s, name, false, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot remove %s: %s", path, strerror(-ret));
		return ret;
	}
	e = *pp;
	*pp = e->next;
	sv_domain_config_free(&e->cfg);
	free(e);
	return 0;
}

void defs_free(struct defs *s)
{
	struct def_entry *e;

	while ((e = s->head)) {
		s->head = e->next;
		sv_domain_config_free(&e->cfg);
		free(e);
	}
}
