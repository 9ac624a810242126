"""The command line as a user meets it: status, clear errors, one host per data folder.
These use the stand-in runtime, so they need no OpenCode install."""

import os
import shutil
import subprocess
import tempfile
import unittest

import owtest
from owtest import Host, wait_until


def run_host(*args, env=None):
    return subprocess.run([owtest.HOST_BIN, *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30, env=env)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ow-cli-")
        self.addCleanup(self.tmp.cleanup)

    def test_status_without_a_host_exits_3_with_one_line(self):
        result = run_host("--data-dir", self.tmp.name, "status")
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stdout, "")
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("No OpenWork host is running", result.stderr)

        as_json = run_host("--data-dir", self.tmp.name, "status", "--json")
        self.assertEqual(as_json.returncode, 3)

    def test_missing_runtime_names_the_install_command(self):
        result = run_host("--headless", "--data-dir", self.tmp.name,
                          "--opencode", os.path.join(self.tmp.name, "no-such-opencode"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("build-aux/install-deps", result.stderr)
        self.assertIn("npm install -g opencode-ai@" + owtest.PINNED_VERSION, result.stderr)

    def test_missing_runtime_everywhere_names_the_install_command(self):
        env = dict(os.environ, PATH="/usr/bin:/bin", XDG_DATA_HOME=self.tmp.name)
        result = run_host("--headless", "--data-dir", self.tmp.name, env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is not installed", result.stderr)
        self.assertIn("build-aux/install-deps", result.stderr)

    def test_workspace_must_be_a_folder(self):
        result = run_host("--headless", "--data-dir", self.tmp.name,
                          "--workspace", os.path.join(self.tmp.name, "missing"),
                          "--opencode", owtest.FAKE_RUNTIME)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is not a folder", result.stderr)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run_host("--data-dir", self.tmp.name, "frobnicate").returncode, 2)
        self.assertEqual(run_host("--port", "70000", "status").returncode, 2)
        self.assertEqual(run_host("--data-dir", self.tmp.name, "status", "extra").returncode, 2)

    def test_status_and_a_second_host(self):
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok"})
        self.addCleanup(host.close)
        runtime = host.wait_running(timeout=20)
        self.assertEqual(runtime["version"], "0.0.0-fake")

        text = host.cli("status")
        self.assertEqual(text.returncode, 0)
        self.assertIn("Runtime: running, OpenCode 0.0.0-fake on 127.0.0.1:%d" % runtime["port"],
                      text.stdout)
        self.assertIn("Workspace:   " + host.workspace, text.stdout)

        # The data folder and its control socket are private to the user.
        self.assertEqual(os.stat(host.data_dir).st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(os.path.join(host.data_dir, "control.sock")).st_mode & 0o777,
                         0o600)

        second = run_host("--headless", "--data-dir", host.data_dir, "--port", "0",
                          "--opencode", owtest.FAKE_RUNTIME, env=host.env)
        self.assertEqual(second.returncode, 1)
        self.assertIn("already running", second.stderr)
        # The refused second host did not disturb the first.
        self.assertEqual(host.runtime()["pid"], runtime["pid"])

    def start_with_unusable_display(self, binary):
        """Starts @binary with a display that cannot be opened and without --headless; waits
        until its host runs and returns what it said on stderr."""
        tmp = self.tmp.name
        env = dict(os.environ, DISPLAY=":4711", OW_FAKE_RUNTIME_MODE="ok")
        env.pop("WAYLAND_DISPLAY", None)
        with open(os.path.join(tmp, "stderr"), "wb") as stderr:
            process = subprocess.Popen([binary, "--data-dir", tmp, "--port", "0",
                                        "--opencode", owtest.FAKE_RUNTIME],
                                       env=env, stdin=subprocess.DEVNULL, stderr=stderr)
        self.addCleanup(process.wait)
        self.addCleanup(process.terminate)

        def running():
            self.assertIsNone(process.poll(), "the host exited")
            result = run_host("--data-dir", tmp, "status", "--json")
            return result.returncode == 0 and '"running"' in result.stdout
        wait_until(running, 20, 0.1, "the host to run headless")
        with open(os.path.join(tmp, "stderr")) as f:
            return f.read()

    def test_an_unusable_display_falls_back_to_headless(self):
        # Without --headless: the host must notice the display cannot be opened.
        said = self.start_with_unusable_display(owtest.HOST_BIN)
        if os.environ.get("OW_HAVE_GUI") == "1":
            self.assertIn("The display :4711 cannot be opened. Running headless.", said)
        else:
            self.assertIn("This build has no desktop face. Running headless.", said)

    def test_headless_hosts_and_commands_never_map_the_toolkit(self):
        # The desktop face is a module, loaded only with a display: a headless host and a
        # command stay small and quick to start.
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok"})
        self.addCleanup(host.close)
        host.wait_running(timeout=20)
        with open("/proc/%d/maps" % host.process.pid) as f:
            libraries = {line.split()[-1] for line in f if ".so" in line}
        self.assertTrue(any("libsoup-3.0" in name for name in libraries), libraries)
        self.assertEqual([name for name in libraries if "libgtk" in name or "libgdk-" in name],
                         [])
        self.assertNotIn("libgtk", subprocess.run(
            ["ldd", owtest.HOST_BIN], capture_output=True, text=True, check=True).stdout)

    def test_a_binary_without_its_desktop_face_runs_headless_and_says_why(self):
        # A copy of the binary outside its build tree looks for the installed face; this
        # build has not installed one (or, built headless-only, has none at all).
        installed = os.environ["OW_INSTALLED_DESKTOP_MODULE"]
        if os.environ.get("OW_HAVE_GUI") == "1" and os.path.exists(installed):
            self.skipTest("a desktop face is installed at " + installed)
        binary = os.path.join(self.tmp.name, "openwork-host")
        shutil.copy(owtest.HOST_BIN, binary)
        said = self.start_with_unusable_display(binary)
        if os.environ.get("OW_HAVE_GUI") == "1":
            self.assertIn("The desktop face cannot be loaded: " + installed, said)
            self.assertIn("Reinstall OpenWork Host. Running headless.", said)
        else:
            self.assertIn("This build has no desktop face. Running headless.", said)

    def test_workspaces_come_from_the_command_line_and_the_config(self):
        folders = [os.path.join(self.tmp.name, name) for name in ("alpha", "beta")]
        for folder in folders:
            os.makedirs(folder)
        config = "[host]\nworkspaces=%s;%s;\n" % (folders[0], folders[1])
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok"}, config=config,
                    extra_args=["--workspace", folders[1]])
        self.addCleanup(host.close)
        host.wait_running(timeout=20)

        # The command line's in order (the helper's own workspace, then beta), then the
        # config's; beta only once.
        status, answer = owtest.control(host, "GET", "/api/workspaces")
        self.assertEqual(status, 200)
        self.assertEqual([w["path"] for w in answer["items"]],
                         [host.workspace, folders[1], folders[0]])

    def test_a_broken_config_is_a_clear_error(self):
        for config, expected in (("[host\nworkspaces=/x\n", "host.conf cannot be read"),
                                 ("[host]\nworkspaces=/nonexistent-ow-folder\n",
                                  "is not a folder")):
            config_dir = os.path.join(self.tmp.name, "config")
            os.makedirs(config_dir, exist_ok=True)
            with open(os.path.join(config_dir, "host.conf"), "w") as f:
                f.write(config)
            result = run_host("--headless", "--data-dir", self.tmp.name, "--port", "0",
                              "--opencode", owtest.FAKE_RUNTIME)
            self.assertEqual(result.returncode, 1)
            self.assertIn(expected, result.stderr)

    def test_failed_runtime_is_reported_with_its_output(self):
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "crash"})
        self.addCleanup(host.close)

        def failed():
            runtime = host.runtime()
            return runtime if runtime and runtime["state"] == "failed" else None
        runtime = wait_until(failed, 30, 0.1, "the runtime to be marked failed")
        self.assertIn("error: scripted crash", runtime["lastError"])
        self.assertEqual(runtime["pid"], 0)

        text = host.cli("status")
        self.assertIn("Runtime: failed", text.stdout)
        self.assertIn("no longer restarted", text.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
