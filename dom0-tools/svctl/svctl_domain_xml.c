// SPDX-License-Identifier: MIT
/*
 * svctl's libvirt-style domain commands, clients of svdom0: define and create FILE.xml,
 * undefine, start, dumpxml, and the defined-but-off part of list --all.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <splitvisor/toolstack.h>

#include "ctl_wire.h"
#include "sv_xml.h"
#include "svctl.h"

/*
 * svdom0 runs elsewhere (another cwd): relative kernel and initrd paths are made absolute.
 * A file that does not exist yet is allowed (start says so): it is taken relative to the cwd.
 */
static int absolutize(char **path)
{
	char real[PATH_MAX], cwd[PATH_MAX], *dup;

	if (!*path || (*path)[0] == '/')
		return 0;
	if (!realpath(*path, real)) {
		if (errno != ENOENT || !getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (snprintf(real, sizeof(real), "%s/%s", cwd, *path) >= (int)sizeof(real))
			return -ENAMETOOLONG;
	}
	dup = strdup(real);
	if (!dup)
		return -ENOMEM;
	free(*path);
	*path = dup;
	return 0;
}

/* Sends the document in chunks; the last reply lands in reply. */
static int upload(const char *cmd, int fd, uint32_t op, const char *source, const char *xml,
		  void *reply, size_t cap)
{
	static uint8_t msg[SV_CTL_PAYLOAD_MAX];
	struct sv_ts_xml *x = (struct sv_ts_xml *)msg;
	size_t len = strlen(xml), off = 0, n;
	int ret;

	do {
		memset(x, 0, sizeof(*x));
		snprintf(x->source, sizeof(x->source), "%s", source);
		n = len - off > SV_TS_XML_CHUNK ? SV_TS_XML_CHUNK : len - off;
		x->len = (uint32_t)n;
		x->flags = off + n < len ? SV_TS_XML_MORE : 0;
		memcpy(x + 1, xml + off, n);
		off += n;
		ret = svctl_ts_call(cmd, fd, op, msg, sizeof(*x) + n, reply, cap, NULL,
				    SVCTL_REPLY_TIMEOUT);
	} while (!ret && off < len);
	return ret;
}

/* define FILE.xml and create FILE.xml: checked here for the user, again by svdom0. */
int svctl_cmd_document(const char *dir, int argc, char **argv)
{
	const char *cmd = argv[0], *schema_dir = NULL, *path = argv[argc - 1];
	struct sv_domain_config cfg = { .domid = SV_DOMID_NONE };
	bool define = !strcmp(cmd, "define");
	struct sv_ctl_domid id = { 0 };
	char *xml = NULL, name[SV_CTL_NAME_SIZE] = "";
	int fd, ret;

	if (argc == 4 && !strcmp(argv[1], "--schema-dir"))
		schema_dir = argv[2];
	else if (argc != 2 || argv[1][0] == '-')
		return svctl_usage_error(cmd, "expected [--schema-dir DIR] FILE.xml");
	if (schema_dir)
		setenv(SV_XML_SCHEMA_DIR_ENV, schema_dir, 1); /* a daemon started now inherits it */
	ret = svctl_load_domain_xml(path, schema_dir, &cfg);
	if (ret) {
		ret = SVCTL_EX_DATAERR;
		goto out;
	}
	if ((ret = absolutize(&cfg.kernel)) || (ret = absolutize(&cfg.initrd)) ||
	    (ret = sv_xml_format(&cfg, &xml))) {
		fprintf(stderr, "svctl %s: %s: %s\n", cmd, path, strerror(-ret));
		ret = SVCTL_EX_DATAERR;
		goto out;
	}
	fd = svctl_dom0_open(cmd, dir, true);
	if (fd < 0) {
		ret = SVCTL_EX_UNAVAILABLE;
		goto out;
	}
	ret = upload(cmd, fd, define ? SV_TS_DEFINE : SV_TS_CREATE_XML, path, xml,
		     define ? (void *)name : (void *)&id, define ? sizeof(name) - 1 : sizeof(id));
	close(fd);
	if (ret) {
		ret = SVCTL_EX_FAIL;
		goto out;
	}
	if (define)
		printf("defined domain %s from %s\n", cfg.name, path);
	else
		printf("created domain %s from %s (domid %u)\n", cfg.name, path, id.domid);
out:
	free(xml);
	sv_domain_config_free(&cfg);
	svctl_xml_done();
	return ret;
}

/* The rest of dumpxml's reply: size bytes in SV_TS_EV_DATA messages. */
static int print_data(int fd, uint32_t size)
{
	static uint8_t buf[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_hdr h;
	uint32_t got = 0;
	int ret;

	while (got < size) {
		ret = wire_msg_recv(fd, &h, buf, sizeof(buf), NULL, SVCTL_REPLY_TIMEOUT);
		if (ret)
			return ret;
		if (h.op != SV_TS_EV_DATA || h.len > size - got)
			return -EPROTO;
		if (fwrite(buf, 1, h.len, stdout) != h.len)
			return -EIO;
		got += h.len;
	}
	return 0;
}

int svctl_cmd_by_name(const char *dir, const char *cmd, const char *name)
{
	bool start = !strcmp(cmd, "start"), dump = !strcmp(cmd, "dumpxml");
	uint32_t op = start ? SV_TS_START : dump ? SV_TS_DUMPXML : SV_TS_UNDEFINE;
	struct sv_ts_name req = { { 0 } };
	struct sv_ts_size size = { 0 };
	struct sv_ctl_domid id = { 0 };
	int fd, ret;

	if (strlen(name) >= sizeof(req.name))
		return svctl_usage_error(cmd, "name too long");
	strcpy(req.name, name);
	fd = svctl_dom0_open(cmd, dir, start);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	ret = svctl_ts_call(cmd, fd, op, &req, sizeof(req), dump ? (void *)&size : (void *)&id,
			    dump ? sizeof(size) : sizeof(id), NULL, SVCTL_REPLY_TIMEOUT);
	if (!ret && dump) {
		ret = print_data(fd, size.size);
		if (ret)
			fprintf(stderr, "svctl dumpxml: svdom0: %s\n", strerror(-ret));
	}
	close(fd);
	if (ret)
		return SVCTL_EX_FAIL;
	if (start)
		printf("started domain %s (domid %u)\n", name, id.domid);
	else if (!dump)
		printf("undefined domain %s\n", name);
	return 0;
}

int svctl_list_defined(int fd)
{
	struct sv_ts_defined defs[SV_TS_DEFINED_MAX];
	struct sv_ts_list_defined req = { 0 };
	size_t len, i, n;
	int ret;

	do {
		ret = svctl_ts_call("list", fd, SV_TS_LIST_DEFINED, &req, sizeof(req), defs,
				    sizeof(defs), &len, SVCTL_REPLY_TIMEOUT);
		if (ret)
			return ret;
		n = len / sizeof(defs[0]);
		for (i = 0; i < n; i++) {
			defs[i].name[SV_CTL_NAME_SIZE - 1] = '\0';
			printf("%5s  %-20s %-9s %5u %7u  %-19s  %s\n", "-", defs[i].name,
			       "shut off", defs[i].vcpus, defs[i].memory_mib, "-", "");
		}
		req.start += (uint32_t)n;
	} while (n == SV_TS_DEFINED_MAX);
	return 0;
}
