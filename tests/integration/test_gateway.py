"""The gateway as clients meet it: TLS, tokens and scopes on every route, CORS, the
plain-HTTP listener. Uses the stand-in runtime; the proxy tests use the real one."""

import hashlib
import http.client as httpclient
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import time
import unittest

import owtest
from owtest import Host, Gateway, control, wait_until
from streams import read_chunks, read_head

# Every route of the API with the least scope that may use it. The test fails when the
# host's own route table (from its control socket) differs, so no route goes untested.
ROUTES = {
    ("GET", "/health"): "public",
    ("GET", "/capabilities"): "viewer",
    ("GET", "/status"): "viewer",
    ("GET", "/whoami"): "viewer",
    ("GET", "/workspaces"): "viewer",
    ("GET", "/tokens"): "owner",
    ("POST", "/tokens"): "owner",
    ("DELETE", "/tokens/:id"): "owner",
    ("GET", "/approvals"): "owner",
    ("POST", "/approvals/:id"): "owner",
    ("POST", "/pair/start"): "public",
    ("POST", "/pair/grant"): "public",
    ("GET", "/pair/offer"): "owner",
    ("POST", "/pair/invite"): "owner",
    ("POST", "/pair/offer"): "owner",
    ("GET", "/pair/requests"): "owner",
    ("POST", "/pair/requests/:id"): "owner",
    ("POST", "/pair/:id/confirm"): "public",
    ("GET", "/pair/:id"): "public",
    ("GET", "/devices"): "owner",
    ("DELETE", "/devices/:id"): "owner",
    ("*", "/opencode/*"): "opencode",
    ("*", "/w/:id/opencode/*"): "opencode",
    ("GET", "/w/:id/health"): "public",
    ("GET", "/w/:id/status"): "viewer",
    ("GET", "/w/:id/capabilities"): "viewer",
    ("GET", "/w/:id/workspaces"): "viewer",
    ("*", "/workspace/:id/opencode/*"): "opencode",
    ("POST", "/workspaces/:id/activate"): "owner",
    ("DELETE", "/workspace/:id/sessions/:sid"): "collaborator",
    ("GET", "/host/events"): "viewer",
    ("GET", "/host/tasks"): "viewer",
    ("GET", "/host/tasks/:id"): "viewer",
    ("GET", "/host/permissions"): "viewer",
    ("POST", "/host/permissions/:id"): "answer",
    ("GET", "/host/health"): "owner",
    ("GET", "/host/opencode-policy"): "owner",
}

# What an allowed call answers, with the concrete path and body the walk uses.
CALLS = {
    ("GET", "/health"): ("/health", None, 200),
    ("GET", "/capabilities"): ("/capabilities", None, 200),
    ("GET", "/status"): ("/status", None, 200),
    ("GET", "/whoami"): ("/whoami", None, 200),
    ("GET", "/workspaces"): ("/workspaces", None, 200),
    ("GET", "/w/:id/health"): ("/w/{workspace}/health", None, 200),
    ("GET", "/w/:id/status"): ("/w/{workspace}/status", None, 200),
    ("GET", "/w/:id/capabilities"): ("/w/{workspace}/capabilities", None, 200),
    ("GET", "/w/:id/workspaces"): ("/w/{workspace}/workspaces", None, 200),
    ("POST", "/workspaces/:id/activate"): ("/workspaces/{workspace}/activate", None, 200),
    # The stand-in runtime knows no session: OpenWork's 502 opencode_request_failed.
    ("DELETE", "/workspace/:id/sessions/:sid"): ("/workspace/{workspace}/sessions/ses_x", None,
                                                 502),
    ("GET", "/tokens"): ("/tokens", None, 200),
    ("POST", "/tokens"): ("/tokens", {"scope": "viewer", "name": "walk"}, 201),
    ("DELETE", "/tokens/:id"): ("/tokens/tok_000000000000", None, 404),
    ("GET", "/approvals"): ("/approvals", None, 200),
    ("POST", "/approvals/:id"): ("/approvals/apr_0", {"reply": "allow"}, 404),
    # The pairing messages are public; these are malformed, so refused before any attempt
    # is counted (the run's own proof, not a token, guards a poll).
    ("POST", "/pair/start"): ("/pair/start", {}, 400),
    ("POST", "/pair/grant"): ("/pair/grant", {}, 400),
    ("GET", "/pair/offer"): ("/pair/offer", None, 200),
    # OpenWork app links need the plain-HTTP listener, which is off here.
    ("POST", "/pair/invite"): ("/pair/invite", {"scope": "viewer"}, 409),
    ("POST", "/pair/offer"): ("/pair/offer", None, 200),
    ("GET", "/pair/requests"): ("/pair/requests", None, 200),
    ("POST", "/pair/requests/:id"): ("/pair/requests/pr_0", {"reply": "allow"}, 404),
    ("POST", "/pair/:id/confirm"): ("/pair/pr_0/confirm", {}, 400),
    ("GET", "/pair/:id"): ("/pair/pr_0", None, 401),
    ("GET", "/devices"): ("/devices", None, 200),
    ("DELETE", "/devices/:id"): ("/devices/dev_0", None, 404),
    # Authorised, but not a WebSocket upgrade: libsoup's handshake check refuses it.
    ("GET", "/host/events"): ("/host/events", None, 400),
    ("GET", "/host/tasks"): ("/host/tasks", None, 200),
    ("GET", "/host/tasks/:id"): ("/host/tasks/ses_none", None, 404),
    ("GET", "/host/permissions"): ("/host/permissions", None, 200),
    ("POST", "/host/permissions/:id"): ("/host/permissions/per_none", {"reply": "once"}, 404),
    ("GET", "/host/health"): ("/host/health", None, 200),
    ("GET", "/host/opencode-policy"): ("/host/opencode-policy?method=GET&path=/session", None, 200),
}

# The runtime's API through the proxy: reads for viewers, writes for collaborators,
# answering permission requests for the owner. The stand-in runtime knows none of these
# paths, so an allowed call is answered by it (404), a refused one by the gateway.
OPENCODE_CALLS = [
    ("GET", "/opencode/session", None, "viewer"),
    ("POST", "/opencode/session", {}, "collaborator"),
    ("DELETE", "/opencode/session/ses_x", None, "collaborator"),
    ("POST", "/opencode/permission/per_x/reply", {"reply": "once"}, "owner"),
    ("POST", "/opencode/session/ses_x/permissions/per_x", {"response": "once"}, "owner"),
]

# "answer" is as --permission-answers says: the owner by default.
RANK = {"public": -1, "viewer": 0, "collaborator": 1, "owner": 2, "answer": 2}


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()

    def start_host(self, *args):
        host = Host(owtest.FAKE_RUNTIME, extra_args=args, env={"OW_FAKE_RUNTIME_MODE": "ok"})
        self.addCleanup(host.close)
        host.wait_running(timeout=20)
        return host

    def token(self, host, scope, name="test"):
        result = host.cli("token", "create", "--scope", scope, "--name", name)
        self.assertEqual(result.returncode, 0, result.stderr)
        token = result.stdout.strip()
        self.assertTrue(token.startswith("owt_"))
        return token

    def test_every_route_checks_tokens_and_scopes(self):
        host = self.start_host()
        gateway = Gateway(host)

        status, routes = control(host, "GET", "/v1/routes")
        self.assertEqual(status, 200)
        self.assertEqual({(r["method"], r["path"]): r["access"] for r in routes}, ROUTES)

        tokens = {scope: self.token(host, scope) for scope in ("viewer", "collaborator", "owner")}
        credentials = [("none", None), ("wrong", "owt_" + "0" * 64), ("malformed", "hello"),
                       *tokens.items()]
        _, workspaces, _ = gateway.request("GET", "/workspaces", token=tokens["viewer"])
        workspace = workspaces["items"][0]["id"]
        checked = 0
        for (method, pattern), access in ROUTES.items():
            if access == "opencode":
                continue
            path, body, allowed_status = CALLS[(method, pattern)]
            path = path.format(workspace=workspace)
            for name, token in credentials:
                status, answer, headers = gateway.request(method, path, token=token, body=body)
                if access == "public":
                    expected = allowed_status
                elif name in ("none", "wrong", "malformed"):
                    expected = 401
                elif RANK[name] < RANK[access]:
                    expected = 403
                else:
                    expected = allowed_status
                self.assertEqual(status, expected,
                                 "%s %s as %s: %r" % (method, path, name, answer))
                if status in (401, 403, 404, 422):
                    self.assertEqual(set(answer) >= {"code", "message"}, True, answer)
                if status == 401 and access != "public":
                    self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))
                checked += 1
        self.assertEqual(checked, len([a for a in ROUTES.values() if a != "opencode"]) *
                         len(credentials))

        for method, path, body, access in OPENCODE_CALLS:
            for prefix in ("", "/w/" + workspace, "/workspace/" + workspace,
                           "/w/%s/workspace/%s" % (workspace, workspace)):
                for name, token in credentials:
                    status, answer, _ = gateway.request(method, prefix + path, token=token,
                                                        body=body)
                    if name in ("none", "wrong", "malformed"):
                        expected = 401
                    elif RANK[name] < RANK[access]:
                        expected = 403
                    else:
                        expected = 404  # from the stand-in runtime, past the gateway
                    self.assertEqual(status, expected,
                                     "%s %s as %s: %r" % (method, prefix + path, name, answer))
                    if expected == 404 and "permission" in path:
                        # Answers go to the permission broker, which knows no such request.
                        self.assertEqual(answer["code"], "not_found")
                    elif expected == 404:
                        self.assertNotIn("code", answer or {}, "the gateway answered itself")

        # A workspace route under its own mount only; under another, it is no route.
        status, answer, _ = gateway.request(
            "DELETE", "/w/%s/workspace/%s/sessions/ses_x" % (workspace, workspace),
            token=tokens["collaborator"])
        self.assertEqual(status, 502, answer)  # past the gateway: the stand-in knows no session
        status, answer, _ = gateway.request(
            "GET", "/w/%s/workspace/ws_other/opencode/session" % workspace,
            token=tokens["owner"])
        self.assertEqual((status, answer["code"]), (404, "not_found"))

        # Unknown paths and methods get the house error shape too.
        status, answer, _ = gateway.request("GET", "/nope", token=tokens["owner"])
        self.assertEqual((status, answer["code"]), (404, "not_found"))
        status, answer, _ = gateway.request("PUT", "/tokens", token=tokens["owner"])
        self.assertEqual((status, answer["code"]), (405, "method_not_allowed"))

    def test_answers_have_the_openwork_shapes(self):
        host = self.start_host()
        gateway = Gateway(host)
        viewer = self.token(host, "viewer", "Ana's phone")

        status, health, _ = gateway.request("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(health["ok"], True)
        self.assertIsInstance(health["uptimeMs"], int)

        status, me, _ = gateway.request("GET", "/whoami", token=viewer)
        self.assertEqual((me["name"], me["scope"]), ("Ana's phone", "viewer"))

        status, workspaces, _ = gateway.request("GET", "/workspaces", token=viewer)
        self.assertEqual(status, 200)
        [item] = workspaces["items"]
        import hashlib
        expected_id = "ws_" + hashlib.sha256(host.workspace.encode()).hexdigest()[:12]
        self.assertEqual(item["id"], expected_id)
        self.assertEqual(item["path"], host.workspace)
        self.assertEqual(item["opencode"]["baseUrl"],
                         "https://localhost:%d/w/%s/opencode" % (gateway.port, expected_id))
        # The credentials are the caller's own, never the runtime's password.
        self.assertEqual(item["opencode"]["password"], viewer)
        runtime_password = owtest.process_environ(host.runtime()["pid"])["OPENCODE_SERVER_PASSWORD"]
        self.assertNotIn(runtime_password, str(workspaces))

    def test_tokens_survive_restart_and_revocation_is_immediate(self):
        host = self.start_host()
        owner = self.token(host, "owner", "laptop")
        gateway = Gateway(host)
        status, created, _ = gateway.request("POST", "/tokens", token=owner,
                                             body={"scope": "collaborator", "name": "phone"})
        self.assertEqual(status, 201)
        phone = created["token"]

        host.process.send_signal(signal.SIGTERM)
        self.assertEqual(host.process.wait(timeout=15), 0)
        host.process = host.start_process(owtest.FAKE_RUNTIME)
        host.wait_running(timeout=20)
        gateway = Gateway(host)

        status, me, _ = gateway.request("GET", "/whoami", token=phone)
        self.assertEqual((status, me["scope"]), (200, "collaborator"))

        listed = host.cli("token", "list")
        self.assertIn(created["id"], listed.stdout)
        self.assertNotIn(phone, listed.stdout)

        result = host.cli("token", "revoke", created["id"])
        self.assertEqual(result.returncode, 0, result.stderr)
        status, _, _ = gateway.request("GET", "/whoami", token=phone)
        self.assertEqual(status, 401)
        again = host.cli("token", "revoke", created["id"])
        self.assertEqual(again.returncode, 1)
        self.assertIn("No active token", again.stderr)

        # Neither token reached a log.
        with open(os.path.join(host.data_dir, "logs", "runtime.log")) as f:
            log = f.read() + host.stderr()
        self.assertNotIn(phone, log)
        self.assertNotIn(owner, log)

    def test_fingerprint_is_the_served_keys_hash(self):
        host = self.start_host()
        status = host.status()
        fingerprint = status["host"]["fingerprint"]
        served = ssl.get_server_certificate(("localhost", status["gateway"]["port"]))
        spki = subprocess.run(
            "openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum",
            shell=True, input=served, capture_output=True, text=True, check=True)
        self.assertEqual(spki.stdout.split()[0], fingerprint)

        gateway = Gateway(host)
        _, capabilities, _ = gateway.request("GET", "/capabilities",
                                             token=self.token(host, "viewer"))
        self.assertEqual(capabilities["fingerprint"], fingerprint)

        key = os.path.join(host.data_dir, "identity", "host.key")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)

    def s_client(self, port, *args):
        """Connects with openssl s_client; returns (handshake completed, output)."""
        result = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-brief", *args],
            input="", capture_output=True, text=True, timeout=20)
        output = result.stdout + result.stderr
        return "Protocol version:" in output and result.returncode == 0, output

    def test_tls_is_1_2_or_1_3_only(self):
        port = self.start_host().status()["gateway"]["port"]
        # SECLEVEL=0 lets the client offer the old versions, so that the host must refuse.
        for version in ("-tls1", "-tls1_1"):
            done, output = self.s_client(port, version, "-cipher", "DEFAULT@SECLEVEL=0")
            self.assertFalse(done, output)
        for version, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            done, output = self.s_client(port, version)
            self.assertTrue(done, output)
            self.assertIn("Protocol version: " + name, output)

    def test_renegotiation_is_refused(self):
        host = self.start_host()
        port = host.status()["gateway"]["port"]
        # Before any request, and on a connection that has served one.
        for served in (False, True):
            # "R" asks s_client to renegotiate; its input stays open, so s_client ends
            # only when the host closes.
            client = subprocess.Popen(
                ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.addCleanup(client.wait)
            self.addCleanup(client.kill)
            request = b"GET /health HTTP/1.1\nHost: localhost\n\n"
            output = b""
            if served:
                client.stdin.write(request)
                client.stdin.flush()
                output, _ = self.read_until(client, lambda text: b"HTTP/1.1 200" in text)
                self.assertIn(b"HTTP/1.1 200", output)
                # Idle, as a kept connection is between requests: libsoup then ends a failed
                # read as a 500 and keeps the connection, unless the socket is shut down.
                time.sleep(1)
            client.stdin.write(b"R\n" + request)
            client.stdin.flush()
            more, closed = self.read_until(client, lambda text: False)
            after = more.decode(errors="replace")
            self.assertIn("RENEGOTIATING", after)
            self.assertNotIn("HTTP/1.1 200", after, "the renegotiated session was served")
            self.assertTrue(closed, "the host kept the connection open: " + after[-300:])
            self.assertIn("Protocol  : TLSv1.2", (output + more).decode(errors="replace"))
        # The refusal ends those connections only.
        self.assertEqual(Gateway(host).request("GET", "/health")[0], 200)

    @staticmethod
    def read_until(process, done, seconds=15):
        """Reads @process's output until done(output) or its end; returns (output, ended)."""
        output = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if select.select([process.stdout], [], [], 0.2)[0]:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    return output, True
                output += chunk
                if done(output):
                    return output, False
        return output, False

    def test_https_connections_are_kept_between_requests(self):
        gateway = Gateway(self.start_host())
        connection = httpclient.HTTPSConnection("localhost", gateway.port,
                                                context=gateway.context, timeout=30)
        self.addCleanup(connection.close)
        used = set()
        for _ in range(3):
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            self.assertEqual(response.status, 200)
            used.add(connection.sock.getsockname())
        self.assertEqual(len(used), 1, "each request needed a new connection")

    def test_a_handshake_that_never_comes_is_dropped(self):
        host = self.start_host()
        port = host.status()["gateway"]["port"]
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=40) as silent:
            # Half a ClientHello header, then nothing.
            silent.sendall(b"\x16\x03")
            self.assertEqual(silent.recv(100), b"", "the host closed the connection")
        waited = time.monotonic() - started
        print("dropped after %.1f s" % waited)
        # A timer of whole seconds fires on a second's tick: up to one early.
        self.assertGreaterEqual(waited, 8.5)
        self.assertEqual(Gateway(host).request("GET", "/health")[0], 200)

    def test_certificate_pins_without_vouching_for_other_names(self):
        host = self.start_host()
        status = host.status()
        certificate = status["gateway"]["certificate"]
        text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", certificate],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn("CA:TRUE, pathlen:0", text)
        self.assertIn("X509v3 Name Constraints: critical", text)

        # A certificate the host's key signs, for a name of the host's own, on a server of
        # its own: nothing that trusts the host certificate may trust it.
        work = os.path.join(host.root, "forged")
        os.makedirs(work)
        key = os.path.join(host.data_dir, "identity", "host.key")

        def run(*args):
            subprocess.run(args, cwd=work, capture_output=True, check=True)
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "leaf.key")
        run("openssl", "req", "-new", "-key", "leaf.key", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost", "-out", "leaf.csr")
        with open(os.path.join(work, "ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
        run("openssl", "x509", "-req", "-in", "leaf.csr", "-CA", certificate, "-CAkey", key,
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "leaf.pem")
        verify = subprocess.run(["openssl", "verify", "-CAfile", certificate,
                                 os.path.join(work, "leaf.pem")], capture_output=True, text=True)
        self.assertNotEqual(verify.returncode, 0, verify.stdout)

        with open(os.path.join(work, "chain.pem"), "w") as chain:
            for name in (os.path.join(work, "leaf.pem"), certificate):
                with open(name) as f:
                    chain.write(f.read())
        forged_port = owtest.free_port()
        server = subprocess.Popen(
            ["openssl", "s_server", "-accept", str(forged_port), "-cert", "chain.pem", "-key",
             "leaf.key", "-www", "-quiet"], cwd=work, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        def listening():
            try:
                socket.create_connection(("127.0.0.1", forged_port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(listening, 10, what="the forged server")

        # Bun (OpenCode's client) trusts the host's certificate, and refuses the forged one.
        probe_script = os.path.join(work, "probe.mjs")
        with open(probe_script, "w") as f:
            f.write("import { readFileSync } from 'fs';\n"
                    "const [url, ca] = process.argv.slice(2);\n"
                    "try { const r = await fetch(url, { tls: { ca: readFileSync(ca, 'utf8') } });"
                    " console.log('OK ' + r.status); }\n"
                    "catch (e) { console.log('FAIL ' + (e.code || e.message)); }\n")
        bun = dict(os.environ, BUN_BE_BUN="1")
        opencode = owtest.find_opencode()

        def fetch(url):
            return subprocess.run([opencode, probe_script, url, certificate], env=bun,
                                  capture_output=True, text=True, timeout=60).stdout.strip()
        self.assertEqual(fetch("https://localhost:%d/health" % status["gateway"]["port"]),
                         "OK 200")
        self.assertTrue(fetch("https://localhost:%d/" % forged_port).startswith("FAIL"))
        # Python's OpenSSL likewise.
        context = ssl.create_default_context(cafile=certificate)
        with self.assertRaises(ssl.SSLCertVerificationError):
            with socket.create_connection(("127.0.0.1", forged_port), timeout=10) as raw:
                context.wrap_socket(raw, server_hostname="localhost")

    @staticmethod
    def read_all(tls):
        data = b""
        while True:
            piece = tls.recv(65536)
            if not piece:
                return data.decode(errors="replace")
            data += piece

    def tls_socket(self, host):
        status = host.status()
        context = ssl.create_default_context(cafile=status["gateway"]["certificate"])
        raw = socket.create_connection(("localhost", status["gateway"]["port"]), timeout=20)
        return context.wrap_socket(raw, server_hostname="localhost")

    def test_oversized_bodies_get_413(self):
        host = self.start_host()

        # A client that announces the size and waits (as curl does) is refused at once.
        with self.tls_socket(host) as tls:
            tls.sendall(b"POST /tokens HTTP/1.1\r\nHost: localhost\r\n"
                        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                        b"Content-Length: 100000000\r\n\r\n")
            answer = self.read_all(tls)
        self.assertTrue(answer.startswith("HTTP/1.1 413"), answer)
        self.assertIn("too_large", answer)

        # A body of unknown length is cut off once it passes the cap (16 MiB): 20 MiB sent.
        chunk = b"x" * (1024 * 1024)
        with self.tls_socket(host) as tls:
            tls.sendall(b"POST /tokens HTTP/1.1\r\nHost: localhost\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(20):
                tls.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            tls.sendall(b"0\r\n\r\n")
            answer = self.read_all(tls)
        self.assertTrue(answer.startswith("HTTP/1.1 413"), answer)

        # The host stayed small: it did not keep the 20 MiB.
        with open("/proc/%d/status" % host.process.pid) as f:
            rss_kb = int(next(l for l in f if l.startswith("VmHWM:")).split()[1])
        self.assertLess(rss_kb, 200 * 1024)

    def test_bodies_framed_two_ways_get_400(self):
        host = self.start_host()
        # 2^63 was read as 0, and the body after it as the next request.
        for framing in (b"Content-Length: 9223372036854775808\r\n",
                        b"Content-Length: +2\r\n",
                        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
                        b"Content-Length: 2\r\nContent-Length: 40\r\n",
                        b"Content-Length: 40\r\nContent-Length: 2\r\n",
                        b"Content-Length: 2\r\nContent-Length: 2\r\n"):
            with self.tls_socket(host) as tls:
                tls.sendall(b"POST /tokens HTTP/1.1\r\nHost: localhost\r\n" + framing +
                            b"\r\n{}GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                answer = self.read_all(tls)
            self.assertTrue(answer.startswith("HTTP/1.1 400"), (framing, answer))
            self.assertIn("invalid_framing", answer)
            self.assertEqual(answer.count("HTTP/1.1"), 1, "the rest was read as a request")

    def test_chunked_bodies_libsoup_would_misread_get_400(self):
        host = self.start_host()
        gateway = Gateway(host)
        owner = self.token(host, "owner")
        tokens_before = gateway.request("GET", "/tokens", token=owner)[1]["items"]
        head = ("POST /tokens HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                % owner).encode()
        # libsoup 3.2 took each of these for the last chunk, and the rest for a request.
        for body in (b"FFFFFFFFFFFFFFFF\r\n", b"10000000000000000\r\n", b"-1\r\n",
                     b"2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n", b"2\r\n{}xx\r\n"):
            with self.tls_socket(host) as tls:
                tls.sendall(head + body + b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                answer = self.read_all(tls)
            self.assertTrue(answer.startswith("HTTP/1.1 400"), (body, answer))
            self.assertIn("invalid_framing", answer)
            self.assertIn("\r\nConnection: close\r\n", answer)
            self.assertEqual(answer.count("HTTP/1.1"), 1, "the rest was read as a request")
        # Nothing was created on the way.
        self.assertEqual(gateway.request("GET", "/tokens", token=owner)[1]["items"], tokens_before)

        # Well-framed chunked requests, pipelined, are all answered.
        with self.tls_socket(host) as tls:
            tls.sendall(head.replace(b"/tokens", b"/health").replace(b"POST", b"GET") +
                        b"2;x=y\r\n{}\r\n0\r\n\r\n" +
                        b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = self.read_all(tls)
        self.assertEqual(answer.count("HTTP/1.1 200"), 2, answer)

    def test_answers_libsoup_reads_no_body_after_end_the_connection(self):
        host = self.start_host()
        # Refused before its 100 Continue: libsoup takes it that no body follows, while a
        # client may send it anyway; the connection ends, so neither reading wins.
        follow_up = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
        with self.tls_socket(host) as tls:
            tls.sendall(b"POST /opencode/session HTTP/1.1\r\nHost: localhost\r\n"
                        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(follow_up))
            time.sleep(0.5)
            tls.sendall(follow_up)
            answer = self.read_all(tls)
        self.assertTrue(answer.startswith("HTTP/1.1 401"), answer)
        self.assertEqual(answer.count("HTTP/1.1"), 1, answer)
        # An Upgrade that is not taken: after its answer, nothing more is read.
        with self.tls_socket(host) as tls:
            tls.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nUpgrade: h2c\r\n"
                        b"Connection: Upgrade\r\n\r\n"
                        b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answer = self.read_all(tls)
        self.assertTrue(answer.startswith("HTTP/1.1 200"), answer)
        self.assertEqual(answer.count("HTTP/1.1"), 1, answer)

    def upload(self, host, token, size, chunked, path="/opencode/_upload"):
        """POSTs @size bytes through the proxy in 1 MiB pieces; returns (status, body)."""
        piece = b"x" * (1024 * 1024)
        with self.tls_socket(host) as tls:
            head = ("POST %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: application/octet-stream\r\nConnection: close\r\n"
                    % (path, token))
            head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else \
                "Content-Length: %d\r\n\r\n" % size
            tls.sendall(head.encode())
            sent = 0
            try:
                while sent < size:
                    chunk = piece[:min(len(piece), size - sent)]
                    tls.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    sent += len(chunk)
                if chunked:
                    tls.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # refused early; the answer says why
            answer = self.read_all(tls)
        status = int(answer.split()[1])
        return status, answer.split("\r\n\r\n", 1)[1]

    @staticmethod
    def peak_rss_kb(host):
        with open("/proc/%d/status" % host.process.pid) as f:
            return int(next(l for l in f if l.startswith("VmHWM:")).split()[1])

    def test_request_bodies_stream_to_the_runtime(self):
        host = self.start_host()
        # The stand-in's own routes are no route of OpenCode's: only the owner may use them.
        collaborator = self.token(host, "owner")
        size = 12 * 1024 * 1024
        before = self.peak_rss_kb(host)
        for chunked in (False, True):
            status, body = self.upload(host, collaborator, size, chunked)
            self.assertEqual(status, 200, body)
            self.assertIn('"bytes":%d' % size, body)
        growth_mb = (self.peak_rss_kb(host) - before) / 1024
        print("peak memory grew by %.1f MiB while 24 MiB went through" % growth_mb)
        # Sanitizers and memcheck keep freed memory aside, so peak memory says nothing there.
        if not os.environ.get("OW_SANITIZED") and not owtest.VALGRIND:
            # Kept whole, one upload alone would add 12 MiB.
            self.assertLess(growth_mb, 6)

        # The cap holds for streamed bodies too, declared or not.
        small = self.start_host("--max-body-size", "1")
        token = self.token(small, "owner")
        self.assertEqual(self.upload(small, token, 3 * 1024 * 1024, chunked=False)[0], 413)
        self.assertEqual(self.upload(small, token, 3 * 1024 * 1024, chunked=True)[0], 413)
        self.assertEqual(self.upload(small, token, 512 * 1024, chunked=True)[0], 200)

        # A viewer's upload is refused before its body goes anywhere.
        viewer = self.token(host, "viewer")
        self.assertEqual(self.upload(host, viewer, 2 * 1024 * 1024, chunked=False)[0], 403)

    def download(self, host, token, size, chunked):
        """GETs @size bytes of the stand-in runtime's pattern through the proxy; returns
        (status, headers, body)."""
        with self.tls_socket(host) as tls:
            tls.sendall(("GET /opencode/_download?bytes=%d%s HTTP/1.1\r\nHost: localhost\r\n"
                         "Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
                         % (size, "&chunked=1" if chunked else "", token)).encode())
            with tls.makefile("rb") as reader:
                status, headers = read_head(reader)
                if headers.get("transfer-encoding") == "chunked":
                    body = b"".join(read_chunks(reader))
                else:
                    body = reader.read()
        return int(status.split()[1]), headers, body

    def test_answers_stream_from_the_runtime_whole(self):
        host = self.start_host()
        viewer = self.token(host, "owner")
        size = 12 * 1024 * 1024 + 7
        expected = hashlib.sha256(bytes(i % 251 for i in range(size))).hexdigest()
        before = self.peak_rss_kb(host)
        for chunked in (False, True):
            status, headers, body = self.download(host, viewer, size, chunked)
            self.assertEqual(status, 200)
            if chunked:
                self.assertEqual(headers.get("transfer-encoding"), "chunked")
            else:
                self.assertEqual(headers.get("content-length"), str(size))
            self.assertEqual(len(body), size)
            self.assertEqual(hashlib.sha256(body).hexdigest(), expected)
        growth_mb = (self.peak_rss_kb(host) - before) / 1024
        print("peak memory grew by %.1f MiB while 24 MiB came through" % growth_mb)
        if not os.environ.get("OW_SANITIZED") and not owtest.VALGRIND:
            # Kept whole, one answer alone would add 12 MiB.
            self.assertLess(growth_mb, 6)
        # Small answers, whose body comes with the head, end properly too.
        for chunked in (False, True):
            status, _, body = self.download(host, viewer, 5, chunked)
            self.assertEqual((status, body), (200, bytes(range(5))))

    def test_requests_to_the_runtime_share_kept_connections(self):
        host = self.start_host()
        gateway = Gateway(host)
        viewer = self.token(host, "owner")

        def connections():
            status, answer, _ = gateway.request("GET", "/opencode/_connections", token=viewer)
            self.assertEqual(status, 200, answer)
            return answer["connections"]

        # One after another, 30 requests go over the connection the first one opened.
        before = connections()
        for _ in range(30):
            status, answer, _ = gateway.request("GET", "/opencode/global/health", token=viewer)
            self.assertEqual((status, answer["healthy"]), (200, True))
        self.assertLessEqual(connections() - before, 1)

        # A kept connection that the runtime closes just as the next request reaches it:
        # the request goes again on a fresh connection, and the client never notices.
        before = connections()
        status, answer, _ = gateway.request("GET", "/opencode/_answer-then-close", token=viewer)
        self.assertEqual((status, answer), (200, "ok"))
        status, answer, _ = gateway.request("GET", "/opencode/global/health", token=viewer)
        self.assertEqual((status, answer["healthy"]), (200, True))
        # _answer-then-close, its connection again for /global/health (closed unanswered),
        # the fresh one, now also carrying /_connections.
        self.assertEqual(connections() - before, 1)

        # A runtime that closes without ever answering gets the gateway's 502.
        status, answer, headers = gateway.request("GET", "/opencode/_close", token=viewer)
        self.assertEqual((status, answer["code"]), (502, "runtime_unreachable"))
        self.assertEqual(headers.get("Retry-After"), "2")

    def test_cors_allowlist(self):
        host = self.start_host("--cors-origin", "https://app.openwork.example")
        gateway = Gateway(host)
        viewer = self.token(host, "viewer")

        _, _, headers = gateway.request("GET", "/whoami", token=viewer,
                                        headers={"Origin": "https://app.openwork.example"})
        self.assertEqual(headers.get("Access-Control-Allow-Origin"),
                         "https://app.openwork.example")
        status, _, headers = gateway.request(
            "OPTIONS", "/whoami", headers={"Origin": "https://app.openwork.example",
                                           "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 204)
        self.assertIn("Authorization", headers.get("Access-Control-Allow-Headers", ""))

        # A preflight carries no token, to the runtime's routes too; a page on the internet
        # asking for this private address is told yes (Private Network Access).
        _, workspaces, _ = gateway.request("GET", "/workspaces", token=viewer)
        workspace = workspaces["items"][0]["id"]
        for path in ("/opencode/session", "/w/%s/opencode/session" % workspace, "/tokens"):
            status, _, headers = gateway.request(
                "OPTIONS", path, headers={"Origin": "https://app.openwork.example",
                                          "Access-Control-Request-Method": "POST",
                                          "Access-Control-Request-Headers":
                                              "authorization, x-opencode-directory",
                                          "Access-Control-Request-Private-Network": "true"})
            self.assertEqual(status, 204, path)
            self.assertEqual(headers.get("Access-Control-Allow-Origin"),
                             "https://app.openwork.example")
            self.assertEqual(headers.get("Access-Control-Allow-Private-Network"), "true")
            allowed = headers.get("Access-Control-Allow-Headers", "").lower()
            for name in ("authorization", "x-opencode-directory", "x-openwork-host-token"):
                self.assertIn(name, allowed)
            self.assertIn("POST", headers.get("Access-Control-Allow-Methods", ""))

        _, _, headers = gateway.request("GET", "/whoami", token=viewer,
                                        headers={"Origin": "https://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", headers)
        for path in ("/whoami", "/opencode/session"):
            status, _, headers = gateway.request(
                "OPTIONS", path, headers={"Origin": "https://evil.example",
                                          "Access-Control-Request-Method": "POST",
                                          "Access-Control-Request-Private-Network": "true"})
            self.assertEqual(status, 403, path)
            self.assertNotIn("Access-Control-Allow-Private-Network", headers)

    def test_plain_http_is_off_unless_asked_and_checks_the_host_header(self):
        host = self.start_host()
        status = host.status()
        self.assertIsNone(status["gateway"]["httpPort"])
        self.assertEqual(status["gateway"]["warnings"], [])

        legacy = self.start_host("--http-port", "0")
        status = legacy.status()
        port = status["gateway"]["httpPort"]
        self.assertIsInstance(port, int)
        self.assertIn("unencrypted", status["gateway"]["warnings"][0])
        self.assertIn("Plain HTTP is on", legacy.stderr())
        self.assertIn("Warning:", legacy.cli("status").stdout)

        self.assertEqual(owtest.http("GET", "http://127.0.0.1:%d/health" % port)[0], 200)
        status, answer = owtest.http("GET", "http://127.0.0.1:%d/health" % port,
                                     headers={"Host": "attacker.example"})
        self.assertEqual((status, answer["code"]), (403, "host_not_allowed"))

    def test_folders_are_checked_as_the_runtime_reads_them(self):
        host = self.start_host()
        gateway = Gateway(host)
        viewer = self.token(host, "viewer")
        from urllib.parse import quote
        inside = quote(host.workspace, safe="")

        def status_of(path, header=None):
            headers = {"x-opencode-directory": header} if header is not None else {}
            status, answer, _ = gateway.request("GET", path, token=viewer, headers=headers)
            return status, (answer or {}).get("code")

        # The runtime decodes the header once: an encoded folder is read decoded.
        self.assertEqual(status_of("/opencode/session", "%2Fetc"), (403, "directory_not_allowed"))
        self.assertEqual(status_of("/opencode/session", inside), (404, None))
        # It decodes a directory= parameter twice: so does the gateway.
        self.assertEqual(status_of("/opencode/session?directory=%252Fetc"),
                         (403, "directory_not_allowed"))
        # Every folder a request names is checked, not just the first one found.
        self.assertEqual(status_of("/opencode/session?directory=%2Fetc", inside),
                         (403, "directory_not_allowed"))
        self.assertEqual(status_of("/opencode/session?directory=" + quote(inside, safe=""),
                                   inside), (404, None))
        self.assertEqual(status_of("/opencode/session", "%E0%A4%A"), (400, "bad_directory"))

    def test_permission_answers_follow_host_policy(self):
        owner_only = self.start_host()
        gateway = Gateway(owner_only)
        collaborator = self.token(owner_only, "collaborator")
        status, _, _ = gateway.request("POST", "/opencode/permission/per_x/reply",
                                       token=collaborator, body={"reply": "once"})
        self.assertEqual(status, 403)

        relaxed = self.start_host("--permission-answers", "collaborator")
        gateway = Gateway(relaxed)
        collaborator = self.token(relaxed, "collaborator")
        viewer = self.token(relaxed, "viewer")
        status, answer, _ = gateway.request("POST", "/opencode/permission/per_x/reply",
                                            token=collaborator, body={"reply": "once"})
        # Past the policy: the permission broker knows no such request.
        self.assertEqual((status, (answer or {}).get("code")), (404, "not_found"))
        status, _, _ = gateway.request("POST", "/opencode/permission/per_x/reply", token=viewer,
                                       body={"reply": "once"})
        self.assertEqual(status, 403)

    def test_an_answer_the_runtime_refuses_leaves_the_request_waiting(self):
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok",
                                              "OW_FAKE_RUNTIME_REFUSE_REPLIES": "1"})
        self.addCleanup(host.close)
        host.wait_running(timeout=20)
        gateway = Gateway(host)
        owner = self.token(host, "owner")
        status, _, _ = gateway.request(
            "POST", "/opencode/_ask?id=per_1&session=ses_1&dir=" + host.workspace,
            token=owner)
        self.assertEqual(status, 204)

        def waiting():
            return [p["id"] for p in gateway.request("GET", "/host/permissions",
                                                     token=owner)[1]["items"]]
        wait_until(lambda: waiting() == ["per_1"], 10, what="the request")
        status, answer, _ = gateway.request("POST", "/host/permissions/per_1", token=owner,
                                            body={"reply": "once"})
        self.assertEqual((status, answer["code"]), (502, "runtime_unreachable"))
        self.assertIn("still waits", answer["message"])
        self.assertEqual(waiting(), ["per_1"])
        audit = os.path.join(host.data_dir, "audit.log")
        self.assertFalse(os.path.exists(audit), "an answer the runtime refused is no answer")

        status, _, _ = gateway.request("POST", "/host/permissions/per_1", token=owner,
                                       body={"reply": "reject"})
        self.assertEqual(status, 200)
        wait_until(lambda: waiting() == [], 10, what="the request to be withdrawn")
        with open(audit) as f:
            self.assertEqual([json.loads(line)["reply"] for line in f], ["reject"])
        status, answer, _ = gateway.request("POST", "/host/permissions/per_1", token=owner,
                                            body={"reply": "once"})
        self.assertEqual((status, answer["code"]), (409, "already_answered"))

    def test_proxy_says_when_the_runtime_is_down(self):
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "crash"})
        self.addCleanup(host.close)
        wait_until(lambda: (host.runtime() or {}).get("state") == "failed", 30, 0.1,
                   "the runtime to fail")
        gateway = Gateway(host)
        viewer = self.token(host, "viewer")
        status, answer, headers = gateway.request("GET", "/opencode/session", token=viewer)
        self.assertEqual((status, answer["code"]), (503, "runtime_unavailable"))
        self.assertIn("Retry-After", headers)
        self.assertIn("status", answer["message"])

    def test_connections_clients_close_are_released(self):
        # libsoup 3.2 keeps a keep-alive connection that its client closed (CLOSE_WAIT) and
        # its descriptor forever, unless the host closes it (ow-connection-watch.c). Requests,
        # event streams and the control socket: each connection closed here must go.
        host = self.start_host("--http-port", "0")
        gateway = Gateway(host)
        token = self.token(host, "viewer")
        descriptors = "/proc/%d/fd" % host.process.pid
        control(host, "GET", "/v1/status")
        baseline = len(os.listdir(descriptors))

        for _ in range(40):
            status, _, headers = gateway.request("GET", "/health")
            self.assertEqual(status, 200)
            self.assertNotEqual(headers.get("Connection", "").lower(), "close")
        http_port = host.status()["gateway"]["httpPort"]
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", http_port)) as plain:
                plain.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                self.assertIn(b"200 OK", plain.recv(4096))
        for _ in range(5):
            with socket.create_connection(("localhost", gateway.port)) as raw:
                with gateway.context.wrap_socket(raw, server_hostname="localhost") as stream:
                    stream.sendall(b"GET /opencode/event HTTP/1.1\r\nHost: localhost\r\n"
                                   b"Authorization: Bearer " + token.encode() + b"\r\n\r\n")
                    self.assertIn(b"200 OK", stream.recv(4096))
        for _ in range(20):
            self.assertEqual(control(host, "GET", "/v1/status")[0], 200)

        def released():
            return len(os.listdir(descriptors)) <= baseline
        wait_until(released, 10, what="the closed connections' descriptors to be released "
                   "(%d open before them)" % baseline)

    def test_a_taken_port_is_a_clear_error(self):
        host = self.start_host()
        port = str(host.status()["gateway"]["port"])
        result = subprocess.run([owtest.HOST_BIN, "--headless", "--data-dir",
                                 os.path.join(host.root, "second"), "--port", port,
                                 "--opencode", owtest.FAKE_RUNTIME],
                                capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 1)
        self.assertIn("could not listen on port " + port, result.stderr)
        self.assertIn("--port", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
