/* SPDX-License-Identifier: MIT */
/*
 * libvirt domain XML for Splitvisor: validate against libvirt's domain.rng, parse into a
 * struct sv_domain_config, and format a config back into XML that validates too.
 *
 * Every function returns 0 or a negative errno. On failure, err (when errlen > 0) holds a
 * NUL-terminated message such as "vm.xml:12: unsupported: <devices>/<video> at line 12".
 */
#ifndef SPLITVISOR_SV_XML_H
#define SPLITVISOR_SV_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain_config.h"

/* Used when neither the schema_dir argument nor $SPLITVISOR_SCHEMA_DIR is set. */
#define SV_XML_DEFAULT_SCHEMA_DIR "/usr/share/libvirt/schemas"
#define SV_XML_SCHEMA_DIR_ENV	  "SPLITVISOR_SCHEMA_DIR"

/*
 * Parse a domain document into cfg. schema_dir NULL means $SPLITVISOR_SCHEMA_DIR or the
 * default. On success the caller owns cfg and releases it with sv_domain_config_free();
 * on failure cfg is left empty (freeing it is allowed and does nothing).
 */
int sv_xml_parse_file(const char *path, const char *schema_dir, struct sv_domain_config *cfg,
		      char *err, size_t errlen);
int sv_xml_parse_memory(const char *buf, size_t len, const char *source_name,
			const char *schema_dir, struct sv_domain_config *cfg, char *err,
			size_t errlen);

/*
 * The files a config names (kernel, initrd, disk sources) are not needed to parse or define
 * it, as in libvirt; before a start they must exist. Returns 0, or -ENOENT (or the first
 * other errno) with every missing or unusable file named in err, "; "-separated.
 */
int sv_xml_check_files(const struct sv_domain_config *cfg, char *err, size_t errlen);

/*
 * What start cannot do yet for a config the parser accepts (a PVH guest, a bootloader
 * without one to run): 0, or -EOPNOTSUPP with a sentence in err.
 */
int sv_xml_check_startable(const struct sv_domain_config *cfg, bool have_bootloader, char *err,
			   size_t errlen);

/* Seconds the guest's wall clock is ahead of UTC: 0, or for <clock offset='localtime'> the
 * host's UTC offset now (localtime_r's tm_gmtoff), within +-86399. */
int32_t sv_xml_wallclock_offset(const struct sv_domain_config *cfg);

/* Format cfg as a libvirt <domain> document; *out is malloc'd and NUL-terminated. */
int sv_xml_format(const struct sv_domain_config *cfg, char **out);

bool sv_domain_config_equal(const struct sv_domain_config *a, const struct sv_domain_config *b);
void sv_domain_config_free(struct sv_domain_config *cfg);

/* Frees the cached schema; call before xmlCleanupParser() at exit for leak-clean runs. */
void sv_xml_cleanup(void);

#endif
