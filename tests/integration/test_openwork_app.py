"""The stock OpenWork app against the host: its connect, test-connection, poll, reconnect,
token and SDK code, transcribed in tests/js/openwork-app.mjs, run under node against a host
with the real runtime and the fake LLM. The app makes the platform's certificate checks and
cannot pin a certificate, so it comes in over the plain-HTTP listener the owner turns on."""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

import owtest
from owtest import FakeLLM, Gateway, Host, control

JS_DIR = owtest.JS_DIR
WEB_ORIGIN = "https://app.openwork.example"


class AppTestCase(unittest.TestCase):
    """Runs the app's code (tests/js/openwork-app.mjs) against self.host, with self.env."""

    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()
        owtest.require_js_clients()

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


class OpenWorkAppTest(AppTestCase):
    def setUp(self):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        self.http_port = owtest.free_port()
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
        # It was the host's task (it counted its success); the app deleted its session at
        # its end, and the host's task list follows.
        self.assertEqual(self.host.status()["metrics"]["tasks"]["succeeded"], 1)

        def listed():
            status, tasks, _ = Gateway(self.host).request("GET", "/host/tasks", token=token)
            self.assertEqual(status, 200)
            return {t["id"] for t in tasks["items"]}
        owtest.wait_until(lambda: task["sessionID"] not in listed(), 10,
                          what="the deleted session's task to leave the list")

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


class AccessTest(unittest.TestCase):
    """OpenWork app access switched while the host runs, kept across starts, and a port
    that is taken: no stock client involved."""

    @classmethod
    def setUpClass(cls):
        owtest.require_env()

    def start(self, config):
        host = Host(owtest.FAKE_RUNTIME, config=config)
        self.addCleanup(host.close)
        host.wait_running()
        return host

    def access(self, host, *args):
        result = host.cli("openwork-app", *args, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_switched_at_run_time_and_kept_for_the_next_start(self):
        port = owtest.free_port()
        host = self.start("# Ana: the app on the tablet\n[openwork-app]\nport=%d\n" % port)
        self.assertEqual(self.access(host)["enabled"], False)
        shown = host.cli("openwork-app")
        self.assertIn("OpenWork app access: off", shown.stdout)
        self.assertIn("anyone on your local network could read", shown.stdout)
        refused = host.cli("pair", "--openwork-app", "--scope", "viewer")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("openwork-app on", refused.stderr)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

        on = self.access(host, "on")
        self.assertEqual((on["enabled"], on["port"]), (True, port))
        self.assertTrue(on["url"].startswith("http://") and on["url"].endswith(":%d" % port), on)
        self.assertEqual(host.status()["gateway"]["openworkApp"], on)
        self.assertIn("OpenWork app access: on, at " + on["url"], host.cli("status").stdout)
        with open(os.path.join(host.data_dir, "config", "host.conf")) as f:
            written = f.read()
        self.assertIn("access=true", written.split())
        self.assertIn("# Ana: the app on the tablet", written, "the owner's notes are kept")
        viewer = host.cli("token", "create", "--scope", "viewer", "--name", "app").stdout.strip()
        self.assertEqual(owtest.http("GET", "http://127.0.0.1:%d/health" % port)[0], 200)

        # An event stream over plain HTTP ends when access goes off; HTTPS goes on.
        stream = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(stream.close)
        stream.sendall(b"GET /opencode/event HTTP/1.1\r\nHost: localhost\r\n"
                       b"Authorization: Bearer " + viewer.encode() + b"\r\n\r\n")
        self.assertIn(b"200 OK", stream.recv(4096))
        off = self.access(host, "off")
        self.assertEqual((off["enabled"], off["port"], off["url"]), (False, None, None))
        stream.settimeout(10)
        while True:
            try:
                if not stream.recv(65536):
                    break
            except ConnectionResetError:
                break
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        self.assertEqual(Gateway(host).request("GET", "/health")[0], 200)
        self.assertIn("OpenWork app access turned off by the owner", host.stderr())

        # On again, then a new start keeps it on.
        self.access(host, "on")
        host.process.send_signal(signal.SIGTERM)
        self.assertEqual(host.process.wait(timeout=30), 0)
        host.process = host.start_process(owtest.FAKE_RUNTIME)
        host.wait_running()
        self.assertEqual(host.status()["gateway"]["openworkApp"]["port"], port)
        self.assertEqual(owtest.http("GET", "http://127.0.0.1:%d/health" % port)[0], 200)

    def test_a_taken_port_leaves_access_off_and_says_why(self):
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        host = self.start("[openwork-app]\naccess=true\nport=%d\n" % port)
        access = host.status()["gateway"]["openworkApp"]
        self.assertFalse(access["enabled"])
        self.assertIn("could not listen on port %d" % port, access["error"])
        self.assertIn("Why it is off:", host.cli("status").stdout)
        result = host.cli("openwork-app", "on")
        self.assertEqual(result.returncode, 1)
        self.assertIn("[openwork-app] port in host.conf", result.stderr)
        self.assertEqual(host.cli("openwork-app", "sideways").returncode, 2)
        status, answer = control(host, "PUT", "/v1/openwork-app", {"enabled": "yes"})
        self.assertEqual((status, answer["code"]), (400, "invalid_request"))
        self.assertIn("enabled", answer["message"])

    def test_a_front_name_is_allowed_on_plain_http_and_given_in_links(self):
        port = owtest.free_port()
        host = self.start("[openwork-app]\naccess=true\nport=%d\n"
                          "public-url=https://desk.example.ts.net/\n" % port)
        url = "http://127.0.0.1:%d/health" % port
        self.assertEqual(owtest.http("GET", url, headers={"Host": "desk.example.ts.net"})[0], 200)
        status, answer = owtest.http("GET", url, headers={"Host": "desk.example.ts.net.evil"})
        self.assertEqual((status, answer["code"]), (403, "host_not_allowed"))
        result = host.cli("pair", "--openwork-app", "--scope", "viewer", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["hostUrl"], "https://desk.example.ts.net")

        bad = Host(owtest.FAKE_RUNTIME, config="[openwork-app]\npublic-url=http://desk/\n")
        self.addCleanup(bad.close)
        self.assertEqual(bad.process.wait(timeout=30), 1)
        self.assertIn("public-url must be an https:// address", bad.stderr())


class TlsFront:
    """What `tailscale serve` is to the host: HTTPS with a certificate the client's platform
    trusts (here a test CA given to node), forwarding to the plain-HTTP listener on
    loopback with the Host header the client sent and X-Forwarded-For/-Proto."""

    def __init__(self, root, backend_port, backend_tls=False):
        import http.server
        import threading
        front = self
        self.backend_port = backend_port  # may be set once the host listens
        self.dir = os.path.join(root, "front")
        os.makedirs(self.dir)
        self.ca = os.path.join(self.dir, "ca.pem")
        key, cert = os.path.join(self.dir, "key.pem"), os.path.join(self.dir, "cert.pem")

        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)
        ca_key = os.path.join(self.dir, "ca-key.pem")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", ca_key, "-out", self.ca, "-days", "2",
                "-subj", "/CN=Test tailnet CA")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", os.path.join(self.dir, "req.pem"), "-subj", "/CN=localhost")
        with open(os.path.join(self.dir, "ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:localhost\n")
        openssl("x509", "-req", "-in", os.path.join(self.dir, "req.pem"), "-CA", self.ca,
                "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
                "-extfile", os.path.join(self.dir, "ext.cnf"))

        class Forward(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                import http.client
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if backend_tls:  # tailscale serve's https+insecure://: no check
                    upstream = http.client.HTTPSConnection(
                        "127.0.0.1", front.backend_port, timeout=60,
                        context=ssl._create_unverified_context())
                else:
                    upstream = http.client.HTTPConnection("127.0.0.1", front.backend_port,
                                                          timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive")}
                headers["X-Forwarded-For"] = self.client_address[0]
                headers["X-Forwarded-Proto"] = "https"
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = forward

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = "https://localhost:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FrontTest(AppTestCase):
    """The app through an HTTPS front with a trusted certificate (tailscale serve), with the
    platform's certificate checks and no plain HTTP in the link: in front of OpenWork app
    access, or of the HTTPS port itself, so that no plain HTTP is on at all."""

    def setUp(self):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        self.http_port = owtest.free_port()

    def start_front(self, config, backend_tls=False):
        """A front to OpenWork app access, or with @backend_tls to the HTTPS port, and a
        host whose host.conf is @config with the front's address for %s."""
        root = tempfile.mkdtemp(prefix="ow-front-")
        self.addCleanup(shutil.rmtree, root, True)
        self.front = TlsFront(root, self.http_port, backend_tls)
        self.addCleanup(self.front.close)
        self.host = Host(self.opencode, llm=self.llm, config=config % self.front.url)
        self.addCleanup(self.host.close)
        self.host.wait_running()
        if backend_tls:
            self.front.backend_port = self.host.status()["gateway"]["port"]
        self.env = dict(os.environ, HOME=os.path.join(self.host.root, "client-home"),
                        NODE_EXTRA_CA_CERTS=self.front.ca)
        if owtest.VALGRIND:
            self.env["OW_TIMEOUT_SCALE"] = "20"

    def test_an_invite_through_the_front_connects_on_its_first_request(self):
        self.start_front("[openwork-app]\naccess=true\nport=%d\npublic-url=%%s\n"
                         % self.http_port)
        result = self.host.cli("pair", "--openwork-app", "--scope", "collaborator", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        invite = json.loads(result.stdout)
        self.assertEqual(invite["hostUrl"], self.front.url)
        connected = self.app("link", invite["link"])
        self.assertEqual(connected["displayName"], invite["workerName"])
        token = urllib.parse.parse_qs(urllib.parse.urlparse(invite["link"]).query)
        self.app("connect", self.front.url, token["openworkToken"][0])

    def test_a_front_to_the_https_port_needs_no_plain_http(self):
        # tailscale serve --bg https+insecure://127.0.0.1:8787: no plain HTTP is on at all.
        self.start_front("[openwork-app]\npublic-url=%s\n", backend_tls=True)
        access = self.host.status()["gateway"]["openworkApp"]
        self.assertEqual((access["enabled"], access["url"]), (False, self.front.url))
        result = self.host.cli("pair", "--openwork-app", "--scope", "viewer", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        invite = json.loads(result.stdout)
        self.assertEqual(invite["hostUrl"], self.front.url)
        self.app("link", invite["link"])
