// SPDX-License-Identifier: MIT
/* svctl commands that read libvirt domain XML: validate, and the XML form of run. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "sv_xml.h"
#include "svctl.h"

const char svctl_validate_usage[] =
	"validate [--strict] [--schema-dir DIR] FILE...\n"
	"\n"
	"Checks libvirt domain XML files against libvirt's own domain.rng and then\n"
	"against what Splitvisor supports. Prints one line per file, after a warning\n"
	"line for each element accepted without effect and each file the domain\n"
	"names that does not exist yet (kernel, initrd, disks: define accepts them,\n"
	"start refuses). Exits 0 when all are valid, 65 otherwise.\n"
	"\n"
	"  --strict          missing files make a document invalid\n"
	"  --schema-dir DIR  libvirt schemas (default $SPLITVISOR_SCHEMA_DIR or\n"
	"                    /usr/share/libvirt/schemas)\n";

int svctl_load_domain_xml(const char *path, const char *schema_dir, struct sv_domain_config *cfg)
{
	char err[1024] = "";
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = sv_xml_parse_file(path, schema_dir, cfg, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s\n", err);
	else if (cfg->warnings)
		fputs(cfg->warnings, stderr);
	return ret;
}

void svctl_xml_done(void)
{
	sv_xml_cleanup();
	xmlCleanupParser();
}

int svctl_cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "schema-dir", required_argument, NULL, 's' },
		{ "strict", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *schema_dir = NULL;
	bool strict = false;
	char err[1024];
	int c, i, bad = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			schema_dir = optarg;
			break;
		case 'S':
			strict = true;
			break;
		case 'h':
			printf("usage: svctl %s", svctl_validate_usage);
			return 0;
		default:
			return svctl_usage_error("validate", "unknown or incomplete option '%s'",
						 argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return svctl_usage_error("validate", "name at least one XML file");
	for (i = optind; i < argc; i++) {
		struct sv_domain_config cfg;

		if (svctl_load_domain_xml(argv[i], schema_dir, &cfg)) {
			bad++;
			continue;
		}
		if (sv_xml_check_files(&cfg, err, sizeof(err))) {
			fprintf(stderr, "%s: %s: %s\n", argv[i], strict ? "error" : "warning", err);
			if (strict) {
				bad++;
				sv_domain_config_free(&cfg);
				continue;
			}
		}
		printf("%s: valid (domain %s, %llu KiB, %u vCPUs)\n", argv[i], cfg.name,
		       (unsigned long long)cfg.memory_kib, cfg.vcpus);
		sv_domain_config_free(&cfg);
	}
	svctl_xml_done();
	return bad ? SVCTL_EX_DATAERR : 0;
}
