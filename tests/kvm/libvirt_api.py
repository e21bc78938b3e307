#!/usr/bin/python3
"""python3-libvirt against svdom0: open, listAllDomains, defineXML, create, info,
XMLDesc, destroy, undefine, each result checked. Usage: libvirt_api.py URI XMLFILE."""
import sys
import xml.etree.ElementTree as ET

import libvirt

uri, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    doc = f.read()
name = ET.fromstring(doc).findtext("name")


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}")
        sys.exit(1)


conn = libvirt.open(uri)
check(conn is not None, "open")
check(conn.getType() == "Splitvisor", f"getType() = {conn.getType()!r}")
check(name not in [d.name() for d in conn.listAllDomains()], "the domain is listed before define")

dom = conn.defineXML(doc)
check(dom.name() == name, "defineXML's domain name")
check(len(dom.UUIDString()) == 36, "defineXML's uuid")
check(not dom.isActive() and dom.isPersistent(), "defined: inactive and persistent")
names = {d.name(): d for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)}
check(name in names, "listAllDomains(INACTIVE) lacks the defined domain")
check(conn.lookupByUUIDString(dom.UUIDString()).name() == name, "lookupByUUIDString")

check(dom.create() == 0, "create")
check(dom.isActive(), "isActive after create")
check(dom.ID() > 0, f"ID() = {dom.ID()}")
state, maxmem, mem, vcpus, _ = dom.info()
check(state == libvirt.VIR_DOMAIN_RUNNING, f"info() state {state}")
check(maxmem == 32768 and mem == 32768, f"info() memory {maxmem} {mem}")
check(vcpus == 1, f"info() vcpus {vcpus}")
active = [d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)]
check(active == [name], f"listAllDomains(ACTIVE) = {active}")

live = ET.fromstring(dom.XMLDesc(0))
check(live.findtext("name") == name, "XMLDesc's name")
check(live.findtext("uuid") == dom.UUIDString(), "XMLDesc's uuid")
check(live.get("id") == str(dom.ID()), "XMLDesc's id")

check(dom.destroy() == 0, "destroy")
check(dom.info()[0] == libvirt.VIR_DOMAIN_SHUTOFF, "shut off after destroy")
check(dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED],
      f"state() after destroy = {dom.state()}")
check(dom.undefine() == 0, "undefine")
check(name not in [d.name() for d in conn.listAllDomains()], "listed after undefine")
try:
    conn.lookupByName(name)
    check(False, "lookupByName found an undefined domain")
except libvirt.libvirtError as e:
    check(e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, f"lookup error code {e.get_error_code()}")
try:
    conn.defineXML("<domain type='xen'><name>x</name>")
    check(False, "malformed XML was accepted")
except libvirt.libvirtError as e:
    check(e.get_error_code() == libvirt.VIR_ERR_XML_ERROR, f"XML error code {e.get_error_code()}")
conn.close()

ro = libvirt.openReadOnly(uri)
try:
    ro.defineXML(doc)
    check(False, "a read-only connection defined a domain")
except libvirt.libvirtError as e:
    check(e.get_error_code() == libvirt.VIR_ERR_OPERATION_DENIED,
          f"read-only error code {e.get_error_code()}")
ro.close()
print("python3-libvirt: ok")
