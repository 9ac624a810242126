"""A small LAN made of network namespaces: a "host" and a "phone" namespace joined by a
veth pair, each with its own D-Bus system bus and its own avahi-daemon, so that mDNS is
real but never leaves the test. Needs root."""

import os
import secrets
import shutil
import subprocess
import tempfile
import time

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONFIG = """[server]
host-name=%s
use-ipv4=yes
use-ipv6=no
allow-interfaces=%s
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""

SIDES = ("host", "phone")


def missing_requirements():
    """Why this machine cannot run the netns suite, or None."""
    if os.geteuid() != 0:
        return "the netns suite needs root (network namespaces); run it as root"
    for program in ("ip", "unshare", "dbus-daemon", "avahi-daemon"):
        if shutil.which(program) is None:
            return "%s is not installed; build-aux/install-deps installs it" % program
    return None


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.05)


class Lan:
    def __init__(self):
        tag = secrets.token_hex(3)
        self.root = tempfile.mkdtemp(prefix="ow-lan-")
        subnet = 10 + secrets.randbelow(200)
        self.namespaces = {"host": "owh-" + tag, "phone": "owp-" + tag}
        self.links = {"host": "owh" + tag, "phone": "owp" + tag}
        self.addresses = {"host": "10.231.%d.1" % subnet, "phone": "10.231.%d.2" % subnet}
        self.buses = {}
        self.avahi = {}
        self.processes = []
        try:
            self._create_network()
            for side in SIDES:
                self._start_bus(side)
                self.start_avahi(side)
        except BaseException:
            self.close()
            raise

    def _ip(self, *args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)

    def _create_network(self):
        for side in SIDES:
            self._ip("netns", "add", self.namespaces[side])
        self._ip("link", "add", self.links["host"], "type", "veth", "peer", "name",
                 self.links["phone"])
        for side in SIDES:
            ns, link = self.namespaces[side], self.links[side]
            self._ip("link", "set", link, "netns", ns)
            self._ip("-n", ns, "addr", "add", self.addresses[side] + "/24", "dev", link)
            self._ip("-n", ns, "link", "set", "lo", "up")
            self._ip("-n", ns, "link", "set", link, "up")

    def wrap(self, side):
        """The command prefix that runs a program in @side's namespace."""
        return ["ip", "netns", "exec", self.namespaces[side]]

    def env(self, side):
        return dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + self.buses[side])

    def _spawn(self, side, args, log):
        with open(os.path.join(self.root, log), "ab") as out:
            process = subprocess.Popen([*self.wrap(side), *args], env=self.env(side),
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        self.processes.append(process)
        return process

    def _start_bus(self, side):
        path = os.path.join(self.root, side + ".bus")
        config = os.path.join(self.root, side + "-bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG % path)
        self.buses[side] = path
        self._spawn(side, ["dbus-daemon", "--config-file=" + config, "--nofork", "--nopidfile"],
                    side + "-bus.log")
        wait_for(lambda: os.path.exists(path), 10, "the %s namespace's system bus" % side)

    def start_avahi(self, side):
        """Starts (or starts again) @side's avahi-daemon, in its own mount namespace so that
        its pid file and socket under /run/avahi-daemon are its own."""
        config = os.path.join(self.root, side + "-avahi.conf")
        with open(config, "w") as f:
            f.write(AVAHI_CONFIG % ("ow-" + side, self.links[side]))
        log = side + "-avahi.log"
        with open(os.path.join(self.root, log), "a") as f:
            f.write("--- start\n")
        os.makedirs("/run/avahi-daemon", exist_ok=True)
        self.avahi[side] = self._spawn(side, [
            "unshare", "--mount", "sh", "-c",
            "mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon -f %s --no-drop-root "
            "--no-chroot --no-rlimits --no-proc-title" % config], log)

        def started():
            if self.avahi[side].poll() is not None:
                raise AssertionError("avahi-daemon (%s) exited:\n%s" % (side, self.log(log)))
            return self.log(log).rsplit("--- start", 1)[-1].count("Server startup complete")
        wait_for(started, 20, "avahi-daemon in the %s namespace" % side)

    def stop_avahi(self, side):
        process = self.avahi.pop(side, None)
        if process and process.poll() is None:
            process.terminate()
            process.wait(timeout=10)

    def log(self, name):
        with open(os.path.join(self.root, name), errors="replace") as f:
            return f.read()

    def close(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for side in SIDES:
            subprocess.run(["ip", "netns", "del", self.namespaces[side]], capture_output=True,
                           timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
