"""Local metrics: what the test causes (pairings, refused tokens, a dropped stream, a
runtime restart, tasks) is what /host/health and `status` report; off means no file."""

import json
import os
import shutil
import signal
import socket
import ssl
import tempfile
import time
import unittest

import owtest
from owtest import FakeLLM, Gateway, Host, wait_until
from pairing import Phone, answer, finish, offer, wait_pending
from streams import WebSocketStream


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def start(self, config=None):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        host = Host(self.opencode, llm=self.llm, config=config)
        self.addCleanup(host.close)
        host.wait_running()
        return host

    def report(self, host):
        return host.status()["metrics"]

    def pair(self, host, gateway, code):
        phone = Phone(host.root)
        process = phone.pair("--code", code, "--host", "127.0.0.1:%d" % gateway.port)
        return phone, process

    def test_the_report_matches_what_happened(self):
        host = self.start()
        gateway = Gateway(host)
        owner = host.cli("token", "create", "--scope", "owner", "--name", "Owner").stdout.strip()

        # Pairings: one on the first try; one device failing once, then pairing (a retry).
        phone, process = self.pair(host, gateway, offer(host)["offer"]["code"])
        answer(host, wait_pending(host, process)[0]["id"])
        self.assertEqual(finish(process)[0], 0)
        code = offer(host, new=True)["offer"]["code"]
        _, process = self.pair(host, gateway, "%06d" % ((int(code) + 1) % 10**6))
        self.assertEqual(finish(process)[0], 1)
        _, process = self.pair(host, gateway, code)
        answer(host, wait_pending(host, process)[0]["id"])
        self.assertEqual(finish(process)[0], 0)
        token = phone.saved()["token"]

        # One client that does not trust the host's certificate: a failed TLS handshake.
        with socket.create_connection(("127.0.0.1", gateway.port)) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
        wait_until(lambda: self.report(host)["connectionFailures"]["tls"] == 1, 10,
                   what="the failed handshake to be counted")

        # Two refused tokens.
        for bad in ("owt_" + "0" * 64, "nonsense"):
            self.assertEqual(gateway.request("GET", "/status", token=bad)[0], 401)

        # A task that succeeds.
        _, workspaces, _ = gateway.request("GET", "/workspaces", token=token)
        base = "/w/%s/opencode" % workspaces["items"][0]["id"]

        def start_task(text):
            _, session, _ = gateway.request("POST", base + "/session", token=token, body={})
            status, _, _ = gateway.request(
                "POST", "%s/session/%s/prompt_async" % (base, session["id"]), token=token,
                body={"parts": [{"type": "text", "text": text}]})
            self.assertEqual(status, 204)
            return session["id"]

        def state(session_id):
            return gateway.request("GET", "/host/tasks/" + session_id, token=owner)[1]["state"]

        done = start_task("Say hello")
        wait_until(lambda: state(done) == "succeeded", 60, what="the first task")

        # A task whose device loses its stream, then the runtime dies under it.
        waiting = start_task("[[bash:touch never]]")
        wait_until(lambda: state(waiting) == "waiting", 60, what="the second task to wait")
        stream = WebSocketStream(gateway, "/host/events", token)
        next(stream.messages())
        stream.close()  # the connection goes, with no close frame
        wait_until(lambda: self.report(host)["connectionFailures"]["streamDropped"] == 1, 10,
                   what="the dropped stream to be counted")
        os.kill(host.runtime()["pid"], signal.SIGKILL)
        wait_until(lambda: state(waiting) == "interrupted", 15, what="the task to be interrupted")
        host.wait_running()

        report = self.report(host)
        self.assertEqual(report["pairings"], {"firstTry": 1, "retried": 1, "failed": 1,
                                              "firstTimeSuccessRate": 0.5})
        self.assertEqual(report["connectionFailures"], {"tls": 1, "auth": 2, "limit": 0,
                                                       "streamDropped": 1})
        self.assertEqual(report["runtimeRestarts"], 1)
        self.assertEqual(report["tasks"], {"succeeded": 1, "failed": 0, "interrupted": 1,
                                           "disconnectFailures": 1,
                                           "disconnectFailureShare": 0.5})
        self.assertEqual(report["uptime"]["periods"], 1)
        status, over_http, _ = gateway.request("GET", "/host/health", token=owner)
        self.assertEqual((status, over_http["pairings"]), (200, report["pairings"]))
        self.assertEqual(gateway.request("GET", "/host/health", token=token)[0], 403)

        text = host.cli("status").stdout
        self.assertIn("Pairing on the first try:    50.0 %", text)
        self.assertIn("Tasks failed by a disconnect: 50.0 % (1 of 2 tasks)", text)

        # Kept across a restart, in a second uptime period.
        host.process.send_signal(signal.SIGTERM)
        host.process.wait(timeout=20)
        host.process = host.start_process(self.opencode)
        host.wait_running()
        report = self.report(host)
        self.assertEqual(report["uptime"]["periods"], 2)
        self.assertEqual(report["pairings"]["firstTry"], 1)

    def test_every_restart_counts_even_in_a_row(self):
        starts = os.path.join(self.start_dir(), "starts")
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "crash-first-3",
                                              "OW_FAKE_RUNTIME_STARTS": starts})
        self.addCleanup(host.close)
        runtime = host.wait_running()
        self.assertEqual(runtime["restarts"], 3)
        self.assertEqual(self.report(host)["runtimeRestarts"], 3)

    def start_dir(self):
        path = tempfile.mkdtemp(prefix="ow-metrics-")
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def test_recording_off_writes_nothing(self):
        host = self.start(config="[metrics]\nenabled=false\n")
        gateway = Gateway(host)
        self.assertEqual(gateway.request("GET", "/status", token="nonsense")[0], 401)
        self.assertEqual(self.report(host), {"recording": False, "days": 7})
        self.assertFalse(os.path.exists(os.path.join(host.data_dir, "metrics.db")))
        self.assertIn("Metrics: off", host.cli("status").stdout)


if __name__ == "__main__":
    unittest.main()
