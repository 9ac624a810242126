"""The stock OpenWork app against the host: its connect, test-connection, poll, reconnect,
token and SDK code, transcribed in tests/js/openwork-app.mjs, run under node against a host
with the real runtime and the fake LLM. The app makes the platform's certificate checks and
cannot pin a certificate, so it comes in over the plain-HTTP listener the owner turns on."""

import json
import os
import signal
import socket
import ssl
import subprocess
import unittest
import urllib.error
import urllib.parse
import urllib.request

import owtest
from owtest import FakeLLM, Gateway, Host

JS_DIR = owtest.JS_DIR
WEB_ORIGIN = "https://app.openwork.example"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OpenWorkAppTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()
        owtest.require_js_clients()

    def setUp(self):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        self.http_port = free_port()
        self.host = Host(self.opencode, llm=self.llm,
                         extra_args=("--http-port", str(self.http_port),
                                     "--cors-origin", WEB_ORIGIN))
        self.addCleanup(self.host.close)
        self.host.wait_running()
        self.host_url = "http://127.0.0.1:%d" % self.http_port
        self.env = dict(os.environ, HOME=os.path.join(self.host.root, "client-home"))
        self.env.pop("NODE_EXTRA_CA_CERTS", None)
        if owtest.VALGRIND:
            self.env["OW_TIMEOUT_SCALE"] = "20"

    def token(self, scope):
        result = self.host.cli("token", "create", "--scope", scope, "--name", "OpenWork app")
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def app(self, *args):
        result = subprocess.run(["node", "openwork-app.mjs", *args], cwd=JS_DIR, env=self.env,
                                capture_output=True, text=True,
                                timeout=2000 if owtest.VALGRIND else 120,
                                stdin=subprocess.DEVNULL)
        try:
            summary = json.loads(result.stdout)
        except ValueError:
            self.fail("the app's code printed no summary: %s%s" % (result.stdout, result.stderr))
        failed = [c for c in summary["checks"] if not c["ok"]]
        self.assertEqual(failed, [], "checks that failed (of %d)" % len(summary["checks"]))
        self.assertEqual(result.returncode, 0, result.stderr)
        print("%s: %d checks passed" % (args[0], len(summary["checks"])))
        return summary

    def test_the_https_port_is_not_for_stock_clients(self):
        # What the app would meet on the encrypted port: a certificate no platform trusts.
        port = self.host.status()["gateway"]["port"]
        with self.assertRaises(urllib.error.URLError) as caught:
            urllib.request.urlopen("https://127.0.0.1:%d/health" % port, timeout=10,
                                   context=ssl.create_default_context())
        self.assertIsInstance(caught.exception.reason, ssl.SSLCertVerificationError)

    def test_connect_poll_run_a_task_and_reconnect_after_a_restart(self):
        token = self.token("collaborator")
        connected = self.app("connect", self.host_url, token, WEB_ORIGIN)
        self.assertEqual(len(connected["checks"]), 18)
        self.assertEqual(connected["directory"], self.host.workspace)

        # The desktop app pastes the URL with the workspace's mount; no discovery then.
        mounted = "%s/w/%s" % (self.host_url, connected["workspaceId"])
        self.app("connect", mounted, token)

        task = self.app("sdk-task", connected["opencodeBaseUrl"], token, self.host.workspace)
        status, tasks, _ = Gateway(self.host).request("GET", "/host/tasks", token=token)
        self.assertEqual(status, 200)
        self.assertIn(task["sessionID"], {t["id"] for t in tasks["items"]})

        self.host.process.send_signal(signal.SIGTERM)
        self.assertEqual(self.host.process.wait(timeout=30), 0)
        self.host.process = self.host.start_process(self.opencode)
        self.host.wait_running()
        self.app("reconnect", self.host_url, token, connected["workspaceId"])

    def test_an_openwork_app_link_connects_on_its_first_request(self):
        before = json.loads(self.host.cli("devices", "list", "--json").stdout)["items"]
        result = self.host.cli("pair", "--openwork-app", "--scope", "collaborator", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        invite = json.loads(result.stdout)
        self.assertTrue(invite["link"].startswith("openwork://connect-remote?"), invite)
        self.assertTrue(invite["hostUrl"].startswith("http://"), invite)
        self.assertTrue(invite["hostUrl"].endswith(":%d" % self.http_port), invite)
        # The test talks to loopback only: the link's LAN address becomes 127.0.0.1.
        link = invite["link"].replace(urllib.parse.quote(invite["hostUrl"], safe=""),
                                      urllib.parse.quote(self.host_url, safe=""))
        self.assertNotEqual(link, invite["link"])

        connected = self.app("link", link)
        self.assertEqual(connected["displayName"], invite["workerName"])
        self.assertEqual(connected["workspaceId"], self.host_workspace_id())

        devices = json.loads(self.host.cli("devices", "list", "--json").stdout)["items"]
        [joined] = [d for d in devices if d["id"] not in {b["id"] for b in before}]
        self.assertEqual((joined["scope"], joined["method"]), ("collaborator", "grant"))
        self.assertIn("connected with an OpenWork app link", self.host.stderr())
        self.assertIn("devices revoke " + joined["id"], self.host.stderr())

        # The link was for one device: the next invite is a new link, and revoking the
        # device cuts the old one off.
        self.assertEqual(self.host.cli("devices", "revoke", joined["id"]).returncode, 0)
        token = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["openworkToken"][0]
        request = urllib.request.Request(self.host_url + "/workspaces",
                                         headers={"Authorization": "Bearer " + token})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        # The app shows the message: the link is used up, the host can show a new one.
        self.assertEqual(caught.exception.code, 410)
        self.assertEqual(json.loads(caught.exception.read())["code"], "no_pairing_code")

    def host_workspace_id(self):
        status, workspaces, _ = Gateway(self.host).request("GET", "/workspaces",
                                                           token=self.token("viewer"))
        return workspaces["items"][0]["id"]

    def test_owner_token_minted_and_revoked_as_the_desktop_does(self):
        self.app("owner-token", self.host_url, self.token("owner"))

    def test_a_viewer_or_collaborator_is_no_host_token(self):
        for scope in ("viewer", "collaborator"):
            request = urllib.request.Request(
                self.host_url + "/tokens", method="POST",
                data=json.dumps({"scope": "owner"}).encode(),
                headers={"X-OpenWork-Host-Token": self.token(scope),
                         "Content-Type": "application/json"})
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=10)
            self.assertEqual(caught.exception.code, 403, scope)
        # And the header is no credential for the client routes.
        request = urllib.request.Request(self.host_url + "/whoami",
                                         headers={"X-OpenWork-Host-Token": self.token("owner")})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(caught.exception.code, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
