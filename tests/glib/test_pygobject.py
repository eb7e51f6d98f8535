#!/usr/bin/env python3
"""The Virtwire typelib through PyGObject: in a temporary root, define a
network, start it, plug a port (its tap checked with `ip -j link`), list
ports and leases, unplug, stop, undefine; everything made is removed in
`finally`, also when a step fails.  Needs root (exit 77: skipped)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import gi

gi.require_version("Virtwire", "1.0")
from gi.repository import GLib, Virtwire  # noqa: E402

SKIP = 77
UUID = "7c3f5e4a-0000-4000-8000-000000000001"
MAC = "52:54:00:cc:00:01"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def link(name):
    """The link @name from `ip -j link show`, or None."""
    out = subprocess.run(["ip", "-j", "link", "show", "dev", name],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    links = json.loads(out.stdout or "[]")
    return links[0] if links else None


def links_of(network):
    out = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True, check=True)
    return [l["ifname"] for l in json.loads(out.stdout)
            if (":" + network + ":") in l.get("ifalias", "")]


def run_async(start):
    """Run start(callback) in a main loop; return the GAsyncResult."""
    loop = GLib.MainLoop()
    box = []

    def done(_source, result):
        box.append(result)
        loop.quit()

    start(done)
    loop.run()
    return box[0]


def main():
    if os.geteuid() != 0:
        print("SKIP: machine lacks: root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
        return SKIP
    if not (shutil.which("dnsmasq") or os.path.exists("/usr/sbin/dnsmasq")):
        print("SKIP: machine lacks: dnsmasq (scripts/setup installs it)")
        return SKIP

    root = tempfile.mkdtemp(prefix="vw-pygi-")
    os.chmod(root, 0o755)  # dnsmasq drops privileges and reads under the root
    name = "vwpy%d" % (os.getpid() % 100000)
    subnet = "10.%d.250" % (160 + os.getpid() % 40)
    xml = ("<network><name>%s</name><forward mode='isolated'/>"
           "<ip family='ipv4' address='%s.1' prefix='24'><dhcp>"
           "<range start='%s.100' end='%s.199'/></dhcp></ip></network>"
           % (name, subnet, subnet, subnet))
    prov = Virtwire.Provisioner.new(root, "test:///default", None)
    added, removed = [], []
    prov.connect("port-added", lambda _p, port: added.append(port))
    prov.connect("port-removed", lambda _p, port: removed.append(port))
    try:
        check(prov.props.root == root, "root property: %r" % prov.props.root)
        net = prov.define_network(xml, None)
        check(net.props.name == name and not net.props.active, "defined: %s" % net.props.name)
        check(net.props.ipv4 == subnet + ".1/24", "ipv4: %r" % net.props.ipv4)
        # the stored XML defines the same network again, with no warning (out)
        stored = prov.get_network_xml(name, Virtwire.NetworkXmlFlags.INACTIVE, None)
        check("<name>%s</name>" % name in stored, "XML: %r" % stored)
        again, warning = prov.define_network_full(stored, None)
        check(again == net and warning is None, "redefined: %r, %r" % (again, warning))

        # errors are GLib.Error in the Virtwire error domain, naming the value
        try:
            prov.lookup_network("nosuch", None)
            check(False, "lookup of an unknown network succeeded")
        except GLib.Error as e:
            check(e.matches(Virtwire.error_quark(), Virtwire.Error.NOT_FOUND), str(e))
            check("'nosuch'" in e.message, e.message)

        prov.start_network(name, None)
        check(net.props.active, "the network object is refreshed by the start")

        port = prov.plug_port(name, UUID, "pydom", MAC, None, 0, None)
        check(port.props.state == Virtwire.PortState.PLUGGED, "state %r" % port.props.state)
        tap = port.props.tap
        check(tap.startswith("vwt-"), "tap %r" % tap)
        info = link(tap)
        check(info is not None, "tap %s is not in `ip -j link`" % tap)
        check("UP" in info.get("flags", []), "tap %s is not up: %r" % (tap, info.get("flags")))
        check(added == [port], "port-added: %r" % added)
        check(net.props.n_ports == 1, "n-ports %d" % net.props.n_ports)

        ports = prov.list_ports(None, None)
        check(ports == [port], "ports: %r" % ports)
        result = run_async(lambda cb: prov.list_leases_async(name, None, cb))
        leases = prov.list_leases_finish(result)
        check(len(leases) == 1 and leases[0].props.mac == MAC, "leases: %r" % leases)
        check(leases[0].props.ipv4 == port.props.ipv4, "lease %s, port %s"
              % (leases[0].props.ipv4, port.props.ipv4))
        check(leases[0].props.ipv4.startswith(subnet + "."), leases[0].props.ipv4)

        prov.unplug_port(name, UUID, MAC, None)
        check(link(tap) is None, "tap %s still exists" % tap)
        check(removed == [port], "port-removed: %r" % removed)
        prov.stop_network(name, None)
        check(not net.props.active, "still active after the stop")
        prov.undefine_network(name, None)
        check(prov.list_networks(None) == [], "networks left")
    finally:
        for step in (prov.stop_network, prov.undefine_network):
            try:
                step(name, None)
            except GLib.Error:
                pass
        leftovers = links_of(name)
        shutil.rmtree(root, ignore_errors=True)
    check(leftovers == [], "links left: %r" % leftovers)
    check(not os.path.exists("/run/netns/vw-" + name), "netns vw-%s left" % name)
    print("ok: define, start, plug (tap %s), list, unplug, stop, undefine" % tap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
