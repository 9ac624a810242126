"""OpenCode's own clients, run as third parties against the gateway: the published
@opencode-ai/sdk under node, and `opencode run --attach`. Both trust only the host's own
certificate."""

import json
import os
import subprocess
import unittest

import owtest
from owtest import FakeLLM, Gateway, Host

JS_DIR = owtest.JS_DIR


class ThirdPartyClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()
        owtest.require_js_clients()

    def setUp(self):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        self.host = Host(self.opencode, llm=self.llm)
        self.addCleanup(self.host.close)
        self.host.wait_running()
        self.gateway = Gateway(self.host)
        result = self.host.cli("token", "create", "--scope", "collaborator", "--name", "client")
        self.token = result.stdout.strip()
        _, workspaces, _ = self.gateway.request("GET", "/workspaces", token=self.token)
        self.workspace = workspaces["items"][0]
        self.base_url = self.workspace["opencode"]["baseUrl"]
        self.client_env = dict(os.environ, NODE_EXTRA_CA_CERTS=self.gateway.certificate,
                               HOME=os.path.join(self.host.root, "client-home"))

    def test_the_sdk_runs_a_task_and_follows_its_events(self):
        result = subprocess.run(["node", "sdk-task.mjs", self.base_url, self.token, "Say hello"],
                                cwd=JS_DIR, env=self.client_env, capture_output=True, text=True,
                                timeout=90, stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0, result.stderr)
        summary = json.loads(result.stdout)
        self.assertEqual(summary["directory"], self.host.workspace)
        self.assertEqual(summary["text"], "Hello from the fake LLM")
        self.assertEqual(summary["types"][-1], "session.idle")
        self.assertIn("message.part.updated", summary["types"])
        self.assertIn("session.created", summary["types"])

    def sessions(self):
        status, sessions, _ = self.gateway.request(
            "GET", "/w/%s/opencode/session" % self.workspace["id"], token=self.token)
        self.assertEqual(status, 200)
        return {s["id"] for s in sessions}

    def test_opencode_run_attach_completes_a_task(self):
        before = self.sessions()
        result = subprocess.run(
            [self.opencode, "run", "--attach", self.base_url, "-p", self.token, "Say hello"],
            cwd=self.host.root, env=self.client_env, capture_output=True, text=True, timeout=90,
            stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0, result.stderr)

        # What `run` prints depends on a race inside it (between its prompt request and the
        # event stream, with or without the gateway); the session it made is the evidence.
        [session_id] = self.sessions() - before
        status, session, _ = self.gateway.request(
            "GET", "/w/%s/opencode/session/%s" % (self.workspace["id"], session_id),
            token=self.token)
        self.assertEqual((status, session["directory"]), (200, self.host.workspace))
        status, messages, _ = self.gateway.request(
            "GET", "/w/%s/opencode/session/%s/message" % (self.workspace["id"], session_id),
            token=self.token)
        last = messages[-1]
        self.assertEqual((last["info"]["role"], last["info"].get("finish")), ("assistant", "stop"))
        self.assertEqual("".join(p.get("text", "") for p in last["parts"] if p["type"] == "text"),
                         "Hello from the fake LLM")

    def test_a_client_that_does_not_trust_the_host_gets_nowhere(self):
        env = dict(self.client_env)
        env.pop("NODE_EXTRA_CA_CERTS")
        probe = ("fetch(process.argv[1] + '/session', {headers: {Authorization: 'Bearer ' + "
                 "process.argv[2]}}).then(() => process.exit(0), (e) => { "
                 "console.log(e.cause && e.cause.code); process.exit(3); })")
        result = subprocess.run(["node", "-e", probe, self.base_url, self.token], env=env,
                                capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("CERT", result.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
