"""`meson install` into a staging folder puts every piece where the desktop and systemd
look for it."""

import configparser
import os
import subprocess
import tempfile
import unittest

BUILD_DIR = os.environ["OW_BUILD_DIR"]
HAVE_GUI = os.environ.get("OW_HAVE_GUI") == "1"
PREFIX = os.environ["OW_PREFIX"]


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ow-install-")
        result = subprocess.run(
            ["meson", "install", "-C", BUILD_DIR, "--no-rebuild", "--quiet",
             "--destdir", cls.tmp.name],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env=dict(os.environ, DESTDIR=cls.tmp.name))
        if result.returncode != 0:
            raise AssertionError("meson install failed:\n" + result.stdout + result.stderr)
        cls.root = cls.tmp.name + PREFIX

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def installed(self, *parts):
        path = os.path.join(self.root, *parts)
        self.assertTrue(os.path.exists(path), "not installed: " + path)
        return path

    def test_binary_and_translations(self):
        self.assertTrue(os.access(self.installed("bin", "openwork-host"), os.X_OK))
        for language in ("de", "fr"):
            self.installed("share", "locale", language, "LC_MESSAGES", "openwork-host.mo")

    def test_systemd_user_unit(self):
        units = [os.path.join(d, f) for d, _, files in os.walk(self.root) for f in files
                 if f == "openwork-host.service"]
        self.assertEqual(len(units), 1, units)
        self.assertIn(os.path.join("systemd", "user"), units[0])
        unit = configparser.ConfigParser(interpolation=None, strict=False)
        unit.optionxform = str
        unit.read(units[0])
        self.assertEqual(unit["Service"]["ExecStart"],
                         os.path.join(PREFIX, "bin", "openwork-host") + " --headless")
        self.assertEqual(unit["Install"]["WantedBy"], "default.target")

    @unittest.skipUnless(HAVE_GUI, "a headless build installs no desktop files")
    def test_desktop_integration(self):
        self.installed("share", "applications", "org.openwork.Host.desktop")
        self.installed("share", "metainfo", "org.openwork.Host.metainfo.xml")
        self.installed("share", "glib-2.0", "schemas", "org.openwork.Host.gschema.xml")
        self.installed("share", "icons", "hicolor", "scalable", "apps", "org.openwork.Host.svg")
        for size in (16, 24, 32, 48, 64, 128):
            self.installed("share", "icons", "hicolor", "%dx%d" % (size, size), "apps",
                           "org.openwork.Host.png")
        # The desktop face, where the installed binary looks for it, exporting its table.
        modules = [os.path.join(d, f) for d, _, files in os.walk(self.root) for f in files
                   if f == "libopenwork-host-desktop.so"]
        self.assertEqual(len(modules), 1, modules)
        self.assertEqual(os.path.basename(os.path.dirname(modules[0])), "openwork-host")
        self.assertEqual(modules[0], self.root + os.environ["OW_INSTALLED_DESKTOP_MODULE"][
            len(PREFIX):])
        exported = subprocess.run(["nm", "-D", "--defined-only", modules[0]],
                                  capture_output=True, text=True, check=True).stdout
        self.assertIn(" T ow_desktop_face\n", exported)
        for state in ("idle", "running", "attention", "error"):
            self.installed("share", "icons", "hicolor", "scalable", "status",
                           "org.openwork.Host-%s-symbolic.svg" % state)


if __name__ == "__main__":
    unittest.main()
