#!/usr/bin/python3
"""The desktop face under Xvfb, on its own session bus (run through dbus-run-session),
with the real runtime and a scripted LLM: the tray item seen by a test
StatusNotifierWatcher, onboarding with its QR code decoded from a screenshot and used by
the reference client, approval and permission dialogs driven from the keyboard,
notifications, and every window's screenshot. A second host runs in German without a
tray and checks that no text is clipped."""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

import owtest
from owtest import FakeLLM, Gateway, Host, control, wait_until
import pairing
from pairing import Phone

from gi.repository import Gio, GLib

HERE = os.path.dirname(os.path.abspath(__file__))
SHOTS = os.path.join(os.environ.get("G_TEST_BUILDDIR", "/tmp"), "ui-screenshots")
TOOLS = ("Xvfb", "xdotool", "xwd", "convert", "zbarimg")
ITEM = "org.kde.StatusNotifierItem"


class Display:
    """An Xvfb server of its own."""

    def __init__(self):
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten",
             "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as f:
            self.name = ":" + f.readline().strip()

    def run(self, *args, **kwargs):
        env = dict(os.environ, DISPLAY=self.name)
        return subprocess.run(list(args), env=env, capture_output=True, timeout=30, **kwargs)

    def windows(self, title):
        result = self.run("xdotool", "search", "--onlyvisible", "--name", "^%s$" % title)
        return result.stdout.decode().split()

    def window(self, title, timeout=20):
        return wait_until(lambda: (self.windows(title) or [None])[0], timeout,
                          what="the window “%s”" % title)

    def wait_gone(self, title, timeout=20):
        wait_until(lambda: not self.windows(title), timeout, what="“%s” to close" % title)

    def screenshot(self, window, name):
        """Saves the window as SHOTS/name.png and returns the path."""
        os.makedirs(SHOTS, exist_ok=True)
        self.run("xdotool", "windowraise", window)
        time.sleep(0.6)  # a frame after raising
        path = os.path.join(SHOTS, name + ".png")
        xwd = self.run("xwd", "-id", window, "-silent")
        assert xwd.returncode == 0, xwd.stderr
        convert = self.run("convert", "xwd:-", path, input=xwd.stdout)
        assert convert.returncode == 0, convert.stderr
        return path

    def keys(self, window, *keys):
        """Types @keys into @window, as a person at the keyboard would."""
        self.run("xdotool", "windowraise", window)
        focus = self.run("xdotool", "windowfocus", "--sync", window)
        assert focus.returncode == 0, focus.stderr
        time.sleep(0.3)
        for key in keys:
            self.run("xdotool", "key", "--clearmodifiers", key)
            time.sleep(0.2)

    def close(self):
        self.process.terminate()
        self.process.wait()


class Services:
    """desktop_services.py: the tray's watcher and a notification server."""

    def __init__(self, tray=True):
        self.process = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "desktop_services.py"),
             *([] if tray else ["--no-tray"])], stdout=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait("ready")

    def _read(self):
        for line in self.process.stdout:
            self.events.put(json.loads(line))

    def wait(self, kind, predicate=lambda e: True, timeout=20):
        for event in self.seen:
            if event["event"] == kind and predicate(event):
                self.seen.remove(event)
                return event
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("timed out waiting for a %s event" % kind)
            if event["event"] == kind and predicate(event):
                return event
            self.seen.append(event)

    def close(self):
        self.process.terminate()
        self.process.wait()


class Tray:
    """The host's StatusNotifierItem, read and clicked over D-Bus as a panel does."""

    def __init__(self, service, path):
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION)
        self.service, self.path = service, path

    def get(self, name, path=None, interface=ITEM):
        reply = self.bus.call_sync(self.service, path or self.path,
                                   "org.freedesktop.DBus.Properties", "Get",
                                   GLib.Variant("(ss)", (interface, name)), None,
                                   Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

    def state(self):
        return self.get("Status"), self.get("IconName")

    def wait_state(self, status, icon=None, timeout=30):
        return wait_until(lambda: self.state()[0] == status and
                          (icon is None or self.state()[1] == icon) and self.state(),
                          timeout, what="the tray to be %s %s" % (status, icon or ""))

    def click(self, label):
        """Activates the menu entry whose label is @label (with its mnemonic)."""
        menu = self.get("Menu")
        reply = self.bus.call_sync(self.service, menu, "com.canonical.dbusmenu", "GetLayout",
                                   GLib.Variant("(iias)", (0, -1, [])), None,
                                   Gio.DBusCallFlags.NONE, 5000, None)
        _, (_, _, children) = reply.unpack()
        for child_id, properties, _ in children:
            if properties.get("label") == label:
                self.bus.call_sync(self.service, menu, "com.canonical.dbusmenu", "Event",
                                   GLib.Variant("(isvu)", (child_id, "clicked",
                                                           GLib.Variant("i", 0), 0)),
                                   None, Gio.DBusCallFlags.NONE, 5000, None)
                return
        raise AssertionError("no menu entry %r in %r" % (
            label, [c[1].get("label") for c in children]))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def decode_qr(path):
    result = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, "no QR code found in %s: %s" % (path, result.stderr)
    return result.stdout.strip()


class DesktopTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            raise unittest.SkipTest("missing %s; build-aux/install-deps installs them"
                                    % ", ".join(missing))
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise unittest.SkipTest("needs a session bus: run through dbus-run-session")
        cls.opencode = owtest.find_opencode()

    def start(self, tray=True, language=None, fake_runtime_env=None, config=None):
        self.display = Display()
        self.addCleanup(self.display.close)
        self.services = Services(tray=tray)
        self.addCleanup(self.services.close)
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        env = {
            "DISPLAY": self.display.name,
            "GSETTINGS_SCHEMA_DIR": os.environ["OW_SCHEMA_DIR"],
            "GSETTINGS_BACKEND": "memory",
            "OPENWORK_HOST_CHECK_LAYOUT": "1",
            "NO_AT_BRIDGE": "1",
            "OPENWORK_HOST_LOCALEDIR": os.environ["OW_LOCALE_DIR"],
        }
        if language:
            env.update({"LANGUAGE": language, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
        if fake_runtime_env is not None:
            env.update(fake_runtime_env)
            self.host = Host(owtest.FAKE_RUNTIME, headless=False, env=env)
        else:
            self.host = Host(self.opencode, llm=self.llm, headless=False, env=env,
                             opencode_config={"permission": {"bash": "allow"}}, config=config)
        self.addCleanup(self.host.close)
        self.host.wait_running()
        self.gateway = Gateway(self.host)

    def assert_layout_clean(self):
        stderr = self.host.stderr()
        problems = [line for line in stderr.splitlines()
                    if "layout check:" in line and ("clipped" in line or "does not fit" in line)]
        self.assertEqual(problems, [], "\n".join(problems))

    def wait_checked(self, title):
        wait_until(lambda: "layout check: “%s” done" % title in self.host.stderr(), 20,
                   what="the layout check of “%s”" % title)

    def token(self, scope, name):
        result = self.host.cli("token", "create", "--scope", scope, "--name", name)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def start_task(self, token, text):
        _, workspaces, _ = self.gateway.request("GET", "/workspaces", token=token)
        base = "/w/%s/opencode" % workspaces["items"][0]["id"]
        status, session, _ = self.gateway.request("POST", base + "/session", token=token,
                                                  body={})
        self.assertEqual(status, 200, session)
        status, _, _ = self.gateway.request(
            "POST", "%s/session/%s/prompt_async" % (base, session["id"]), token=token,
            body={"parts": [{"type": "text", "text": text}]})
        self.assertEqual(status, 204)
        return session["id"]

    def task_state(self, session_id):
        _, task = control(self.host, "GET", "/api/host/tasks/" + session_id)
        return (task or {}).get("state")

    def permissions(self):
        _, body = control(self.host, "GET", "/api/host/permissions")
        return body["items"]

    def test_tray_onboarding_approval_and_permissions(self):
        self.start()
        display, host = self.display, self.host
        item = self.services.wait("item")
        tray = Tray(item["service"], item["path"])
        self.assertEqual(tray.wait_state("Active", "org.openwork.Host-idle-symbolic"),
                         ("Active", "org.openwork.Host-idle-symbolic"))
        self.assertEqual(tray.get("AttentionIconName"), "org.openwork.Host-attention-symbolic")
        self.assertTrue(os.path.exists(os.path.join(
            tray.get("IconThemePath"), "hicolor", "scalable", "status",
            "org.openwork.Host-idle-symbolic.svg")), "the tray's icons are where it says")

        # First run: onboarding opens by itself on the runtime and folder step.
        window = display.window("Pair a Device")
        self.wait_checked("Pair a Device")
        display.screenshot(window, "onboarding-setup")
        display.keys(window, "Return")  # Continue has the focus
        time.sleep(1)

        # Three wrong codes lock the code on screen; New Code is a fresh one.
        locked = pairing.offer(host)["offer"]
        address = "127.0.0.1:%d" % host.status()["gateway"]["port"]
        for n in (1, 2, 3):
            wrong = "%06d" % ((int(locked["code"]) + n) % 1000000)
            self.assertEqual(pairing.finish(Phone(host.root).pair(
                "--code", wrong, "--host", address))[0], 1)
        self.assertTrue(pairing.offer(host)["offer"]["locked"])
        time.sleep(1)
        display.screenshot(window, "onboarding-code-locked")
        display.keys(window, "alt+n")  # _New Code
        time.sleep(1)
        self.assertFalse(pairing.offer(host)["offer"]["locked"])
        self.assertNotEqual(pairing.offer(host)["offer"]["code"], locked["code"])
        shot = display.screenshot(window, "onboarding-code")

        # The QR code on screen is the core's current offer, and it pairs.
        link = decode_qr(shot)
        offer = pairing.offer(host)
        self.assertEqual(link, offer["offer"]["uri"])
        phone = Phone(host.root, name="Ana's phone")
        process = phone.pair("--uri", link)
        pairing.wait_pending(host, process)
        self.assertEqual(tray.wait_state("NeedsAttention")[0], "NeedsAttention")
        notified = self.services.wait("notify", lambda e: "Ana's phone" in e["summary"])
        self.assertIn("wants to pair", notified["summary"])
        time.sleep(1)
        display.screenshot(window, "onboarding-approve")
        self.assertEqual(pairing.devices(host), [], "no device before the owner allows it")
        display.keys(window, "alt+a")  # _Allow
        code, out, err = pairing.finish(process)
        self.assertEqual(code, 0, out + err)
        devices = pairing.devices(host)
        self.assertEqual([d["name"] for d in devices], ["Ana's phone"])
        self.assertIsNotNone(phone.saved(), "the client holds its token")
        time.sleep(1)
        display.screenshot(window, "onboarding-done")
        tray.wait_state("Active", "org.openwork.Host-idle-symbolic")
        display.keys(window, "alt+d")  # _Done
        display.wait_gone("Pair a Device")

        # A second device, through the approval dialog, limited to viewing.
        laptop = Phone(host.root, name="Build laptop")
        process = laptop.pair("--code", pairing.offer(host)["offer"]["code"],
                              "--host", "127.0.0.1:%d" % host.status()["gateway"]["port"])
        pairing.wait_pending(host, process)
        dialog = display.window("New Device")
        self.wait_checked("New Device")
        display.screenshot(dialog, "approval-dialog")
        display.keys(dialog, "alt+c", "Up", "alt+a")  # A_ccess: View only, _Allow
        code, out, err = pairing.finish(process)
        self.assertEqual(code, 0, out + err)
        display.wait_gone("New Device")
        scopes = {d["name"]: d["scope"] for d in pairing.devices(host)}
        self.assertEqual(scopes, {"Ana's phone": "collaborator", "Build laptop": "viewer"})

        # A device's command waits for the permission dialog; Allow once runs it.
        phone_token = self.token("collaborator", "Phone")
        marker = os.path.join(host.workspace, "allowed-once")
        session = self.start_task(phone_token, "[[bash:touch allowed-once]]")
        dialog = display.window("Permission Request", timeout=60)
        self.assertEqual(tray.wait_state("NeedsAttention")[0], "NeedsAttention")
        notified = self.services.wait("notify", lambda e: "run a command" in e["summary"])
        self.assertIn("Phone", notified["summary"])
        self.wait_checked("Permission Request")
        display.screenshot(dialog, "permission-dialog")
        self.assertFalse(os.path.exists(marker), "nothing ran before the answer")
        display.keys(dialog, "alt+o")  # Allow _Once
        wait_until(lambda: self.task_state(session) == "succeeded", 60, what="the task")
        self.assertTrue(os.path.exists(marker), "the command ran after Allow once")
        display.wait_gone("Permission Request")
        tray.wait_state("Active", "org.openwork.Host-idle-symbolic")
        with open(os.path.join(host.data_dir, "audit.log")) as f:
            audit = [json.loads(line) for line in f]
        self.assertEqual([(a["reply"], a["by"]) for a in audit], [("once", "desktop")])

        # Two requests queue in one dialog; a client's answer closes it for the first,
        # and Deny answers the second.
        owner = self.token("owner", "Owner laptop")
        first = self.start_task(phone_token, "[[bash:touch first]]")
        wait_until(lambda: len(self.permissions()) == 1, 60, what="the first request")
        second = self.start_task(phone_token, "[[bash:touch second]]")
        wait_until(lambda: len(self.permissions()) == 2, 60, what="the second request")
        self.assertEqual(len(display.windows("Permission Request")), 1, "one window, queued")
        request = [p for p in self.permissions() if p["sessionID"] == first][0]
        status, _, _ = self.gateway.request(
            "POST", "/opencode/permission/%s/reply" % request["id"], token=owner,
            body={"reply": "reject"})
        self.assertEqual(status, 200)
        wait_until(lambda: len(self.permissions()) == 1, 20, what="the answer to arrive")
        dialog = display.window("Permission Request")
        display.keys(dialog, "alt+d")  # _Deny, for the second
        display.wait_gone("Permission Request")
        # A lone request answered by a client closes the window by itself.
        third = self.start_task(phone_token, "[[bash:touch third]]")
        display.window("Permission Request", timeout=60)
        request = wait_until(lambda: self.permissions(), 20, what="the third request")[0]
        status, _, _ = self.gateway.request(
            "POST", "/opencode/permission/%s/reply" % request["id"], token=owner,
            body={"reply": "once"})
        self.assertEqual(status, 200)
        display.wait_gone("Permission Request")
        wait_until(lambda: self.task_state(third) == "succeeded", 60, what="the third task")
        wait_until(lambda: self.task_state(second) in ("succeeded", "failed"), 60,
                   what="the second task to end")
        self.assertFalse(os.path.exists(os.path.join(host.workspace, "second")))
        self.assertFalse(os.path.exists(os.path.join(host.workspace, "first")))
        self.services.wait("notify", lambda e: e["summary"] in ("Task finished", "Task failed"))

        # The windows behind the tray's menu.
        tray.click("_Devices…")
        window = display.window("Devices")
        self.wait_checked("Devices")
        display.screenshot(window, "devices")
        display.keys(window, "alt+r", "space")  # the newest device's _Revoke…
        confirm = display.window("Revoke Device")
        display.screenshot(confirm, "devices-revoke")
        display.keys(confirm, "alt+r")  # _Revoke
        wait_until(lambda: [d["name"] for d in pairing.devices(host)] == ["Ana's phone"], 10,
                   what="the device to be revoked")
        time.sleep(1)
        display.screenshot(window, "devices-after-revoke")
        tray.click("_Health…")
        window = display.window("Health")
        self.wait_checked("Health")
        display.screenshot(window, "health")
        tray.click("P_ause Hosting")
        wait_until(lambda: host.status()["host"]["paused"], 10, what="hosting to pause")
        status, body, _ = self.gateway.request("GET", "/workspaces", token=phone_token)
        self.assertEqual((status, body["code"]), (503, "hosting_paused"))
        time.sleep(1.5)
        display.screenshot(window, "health-paused")
        tray.click("_Resume Hosting")
        wait_until(lambda: not host.status()["host"]["paused"], 10, what="hosting to resume")
        self.assert_layout_clean()

        tray.click("_Quit")
        self.assertEqual(host.process.wait(timeout=30), 0)

    def test_openwork_app_access_and_its_link_from_the_onboarding_window(self):
        """The owner turns OpenWork app access on in the window, after its sentence, and
        shows a link: the QR code on screen is a link upstream's parser accepts, and the
        app that uses it is in on its first request; the window says which device it was."""
        owtest.require_js_clients()
        port = free_port()
        self.start(config="[openwork-app]\nport=%d\n" % port)
        display, host = self.display, self.host
        window = display.window("Pair a Device")
        self.wait_checked("Pair a Device")
        display.keys(window, "Return")  # Continue
        display.keys(window, "alt+o")  # _OpenWork App
        time.sleep(1)
        display.screenshot(window, "onboarding-app-off")
        self.assertFalse(host.status()["gateway"]["openworkApp"]["enabled"])

        display.keys(window, "alt+a", "space")  # OpenWork app _access: on
        wait_until(lambda: host.status()["gateway"]["openworkApp"]["enabled"], 10,
                   what="OpenWork app access to be on")
        self.assertEqual(host.status()["gateway"]["openworkApp"]["port"], port)
        item = self.services.wait("item")
        Tray(item["service"], item["path"]).click("_Health…")
        health = display.window("Health")
        display.screenshot(health, "health-openwork-app-on")
        display.keys(health, "Escape")
        display.keys(window, "alt+s")  # _Show Link, with Run tasks and all folders
        time.sleep(1)
        shot = display.screenshot(window, "onboarding-app-link")
        link = decode_qr(shot)
        self.assertTrue(link.startswith("openwork://connect-remote?"), link)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)
        self.assertEqual(query["autoConnect"], ["1"])
        host_url = query["openworkHostUrl"][0]
        self.assertTrue(host_url.startswith("http://") and host_url.endswith(":%d" % port))
        self.assertEqual(pairing.devices(host), [], "no device before the link is used")

        # The app's own parser and connect code, on loopback (the link names a LAN address).
        local = link.replace(urllib.parse.quote(host_url, safe=""),
                             urllib.parse.quote("http://127.0.0.1:%d" % port, safe=""))
        result = subprocess.run(["node", "openwork-app.mjs", "link", local], cwd=owtest.JS_DIR,
                                capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL,
                                env=dict(os.environ, HOME=os.path.join(host.root, "app")))
        summary = json.loads(result.stdout)
        self.assertEqual([c for c in summary["checks"] if not c["ok"]], [], result.stderr)
        [device] = pairing.devices(host)
        self.assertEqual((device["scope"], device["method"]), ("collaborator", "grant"))
        self.services.wait("notify", lambda e: "connected" in e["summary"])
        time.sleep(1)
        display.screenshot(window, "onboarding-app-connected")

        # Off from the command line: the window's switch follows, and the Health window says so.
        self.assertEqual(host.cli("openwork-app", "off").returncode, 0)
        self.assertFalse(host.status()["gateway"]["openworkApp"]["enabled"])
        display.keys(window, "alt+a")  # Pair _Another Device
        time.sleep(1)
        display.screenshot(window, "onboarding-app-off-again")
        self.assert_layout_clean()

    def test_a_refused_answer_keeps_its_request_in_the_dialog(self):
        # The runtime errs on the first answer: the request must stay, shown with the
        # reason, and the next click must answer it, not the one queued behind it.
        self.start(fake_runtime_env={"OW_FAKE_RUNTIME_MODE": "ok",
                                     "OW_FAKE_RUNTIME_REFUSE_REPLIES": "1"})
        display, host = self.display, self.host
        owner = self.token("owner", "Owner laptop")
        for request in ("per_first", "per_second"):
            status, _, _ = self.gateway.request(
                "POST", "/opencode/_ask?id=%s&session=ses_x&dir=%s"
                % (request, host.workspace), token=owner)
            self.assertEqual(status, 204)
        wait_until(lambda: len(self.permissions()) == 2, 20, what="two requests")
        dialog = display.window("Permission Request", timeout=20)
        self.wait_checked("Permission Request")

        display.keys(dialog, "alt+o")  # Allow _Once: the runtime refuses it
        time.sleep(1)
        display.screenshot(dialog, "permission-dialog-refused")
        self.assertEqual([p["id"] for p in self.permissions()], ["per_first", "per_second"])
        self.assertFalse(os.path.exists(os.path.join(host.data_dir, "audit.log")),
                         "nothing is recorded as answered")

        display.keys(dialog, "alt+o")  # again: now the runtime takes it
        wait_until(lambda: [p["id"] for p in self.permissions()] == ["per_second"], 20,
                   what="the first request to be answered")
        display.keys(dialog, "alt+d")  # _Deny, for the second
        display.wait_gone("Permission Request")
        with open(os.path.join(host.data_dir, "audit.log")) as f:
            audit = [json.loads(line) for line in f]
        self.assertEqual([(a["id"], a["reply"]) for a in audit],
                         [("per_first", "once"), ("per_second", "reject")])
        self.assert_layout_clean()

    def test_german_without_tray(self):
        """No StatusNotifier host: the main window opens and says why. In German, no text
        of any window is clipped."""
        self.start(tray=False, language="de")
        display = self.display
        main = display.window("OpenWork Host")
        self.wait_checked("OpenWork Host")
        display.screenshot(main, "main-window-de")
        onboarding = display.window("Gerät koppeln")
        self.wait_checked("Gerät koppeln")
        display.screenshot(onboarding, "onboarding-setup-de")
        display.keys(onboarding, "Return")
        time.sleep(1)
        display.screenshot(onboarding, "onboarding-code-de")
        display.keys(onboarding, "alt+o")  # _OpenWork-App
        time.sleep(1)
        display.screenshot(onboarding, "onboarding-app-de")
        display.keys(onboarding, "Escape")
        for keys, title, name in (("alt+g", "Geräte", "devices-de"),
                                  ("alt+z", "Zustand", "health-de")):
            display.keys(main, keys)
            window = display.window(title)
            self.wait_checked(title)
            display.screenshot(window, name)
        # Start at login writes an autostart entry and removes it again.
        autostart = os.path.join(self.host.env["XDG_CONFIG_HOME"], "autostart",
                                 "org.openwork.Host.desktop")
        display.keys(main, "alt+s")
        wait_until(lambda: os.path.exists(autostart), 10, what="the autostart entry")
        with open(autostart) as f:
            self.assertIn("Exec=" + owtest.HOST_BIN, f.read())
        display.keys(main, "alt+s")
        wait_until(lambda: not os.path.exists(autostart), 10, what="the entry to go")
        self.start_task(self.token("collaborator", "Telefon"), "[[bash:touch x]]")
        window = display.window("Berechtigungsanfrage", timeout=60)
        self.wait_checked("Berechtigungsanfrage")
        display.screenshot(window, "permission-dialog-de")
        self.assert_layout_clean()


class StartupErrorTest(unittest.TestCase):
    def test_missing_runtime_is_explained_in_a_window(self):
        owtest.require_env()
        display = Display()
        self.addCleanup(display.close)
        root = __import__("tempfile").mkdtemp(prefix="ow-ui-")
        self.addCleanup(shutil.rmtree, root, True)
        env = dict(os.environ, DISPLAY=display.name, NO_AT_BRIDGE="1",
                   XDG_CONFIG_HOME=os.path.join(root, "config"),
                   XDG_DATA_HOME=os.path.join(root, "data"),
                   XDG_STATE_HOME=os.path.join(root, "state"),
                   OPENWORK_HOST_CHECK_LAYOUT="1")
        process = subprocess.Popen(
            [owtest.HOST_BIN, "--data-dir", os.path.join(root, "host"), "--port", "0",
             "--opencode", os.path.join(root, "no-such-opencode")], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        window = display.window("OpenWork Host")
        display.screenshot(window, "startup-error")
        display.keys(window, "Return")  # Close
        _, err = process.communicate(timeout=20)
        self.assertEqual(process.returncode, 1)
        self.assertIn("no-such-opencode", err)
        self.assertNotIn("clipped", err)


if __name__ == "__main__":
    unittest.main()
