"""The Flatpak manifest cannot be built here (no Flatpak runtimes, no internet). This checks
what can be checked: valid JSON, the app's identity, every download pinned by a checksum,
the pinned OpenCode runtime, and finish-args that are enough and no more."""

import json
import os
import re
import unittest

SOURCE_DIR = os.environ["OW_SOURCE_DIR"]
MANIFEST = os.path.join(SOURCE_DIR, "flatpak", "org.openwork.Host.json")

# What the app needs from outside its sandbox, and nothing else.
REQUIRED_ARGS = {
    "--share=network",                          # the gateway and the runtime's LLM calls
    "--socket=wayland",                         # the windows
    "--socket=fallback-x11",
    "--talk-name=org.kde.StatusNotifierWatcher",  # the tray
    "--own-name=org.kde.StatusNotifierItem-*",
    "--talk-name=org.freedesktop.Notifications",  # notifications outside the portal
    "--system-talk-name=org.freedesktop.Avahi",   # mDNS through the host's daemon
}
# Each of these would hand the sandbox far more than the app needs.
FORBIDDEN_ARGS = re.compile(
    r"^--(filesystem=(host|home|/)|socket=(session-bus|system-bus)|device=all"
    r"|talk-name=org\.freedesktop\.Flatpak|talk-name=\*)")
CHECKSUM_LENGTHS = {"sha256": 64, "sha512": 128}


class FlatpakManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(MANIFEST) as f:
            cls.manifest = json.load(f)

    def test_identity_matches_the_desktop_files(self):
        self.assertEqual(self.manifest["id"], "org.openwork.Host")
        self.assertEqual(self.manifest["runtime"], "org.gnome.Platform")
        self.assertEqual(self.manifest["sdk"], "org.gnome.Sdk")
        self.assertEqual(self.manifest["command"], "openwork-host")
        data = os.path.join(SOURCE_DIR, "data")
        self.assertTrue(os.path.exists(os.path.join(data, "org.openwork.Host.desktop.in")))
        with open(os.path.join(data, "org.openwork.Host.metainfo.xml.in")) as f:
            self.assertIn("<id>org.openwork.Host</id>", f.read())

    def test_finish_args_are_enough_and_no_more(self):
        args = set(self.manifest["finish-args"])
        self.assertFalse(REQUIRED_ARGS - args, "missing finish-args")
        broad = [arg for arg in args if FORBIDDEN_ARGS.match(arg)]
        self.assertEqual(broad, [], "finish-args that open the sandbox wide")
        # Folders come in through the file chooser portal (GtkFileChooserNative).
        self.assertFalse([arg for arg in args if arg.startswith("--filesystem=")])

    def test_every_download_is_pinned_by_a_checksum(self):
        names = set()
        for module in self.manifest["modules"]:
            self.assertNotIn(module["name"], names, "module names are unique")
            names.add(module["name"])
            self.assertTrue(module.get("sources"), module["name"])
            for source in module["sources"]:
                with self.subTest(module=module["name"], source=source):
                    if source["type"] == "dir":
                        # Only the project itself is built from a folder.
                        self.assertEqual(module["name"], "openwork-host")
                        self.assertEqual(source["path"], "..")
                        continue
                    self.assertIn(source["type"], ("archive", "file"))
                    self.assertTrue(source.get("url") or source.get("path"))
                    if source.get("url"):
                        self.assertTrue(source["url"].startswith("https://"), source["url"])
                    sums = {k: v for k, v in source.items() if k in CHECKSUM_LENGTHS}
                    self.assertTrue(sums, "no sha256 or sha512")
                    for kind, value in sums.items():
                        self.assertRegex(value, "^[0-9a-f]{%d}$" % CHECKSUM_LENGTHS[kind])
        self.assertEqual(self.manifest["modules"][-1]["name"], "openwork-host",
                         "the app is built last, on top of its dependencies")
        for needed in ("libsodium", "qrencode", "avahi", "libdbusmenu", "ayatana-ido",
                       "libayatana-indicator", "libayatana-appindicator", "opencode-runtime"):
            self.assertIn(needed, names)

    def test_the_runtime_is_the_pinned_version(self):
        with open(os.path.join(SOURCE_DIR, "build-aux", "opencode-version")) as f:
            version = f.read().strip()
        module = next(m for m in self.manifest["modules"] if m["name"] == "opencode-runtime")
        package = "opencode-linux-x64-%s.tgz" % version
        self.assertEqual([s["path"] for s in module["sources"]], [package])
        self.assertIn("tar -xzf " + package, module["build-commands"])


if __name__ == "__main__":
    unittest.main()
