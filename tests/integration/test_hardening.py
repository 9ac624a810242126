"""What an attacker on the LAN or a paired collaborator tries, with the real runtime: ways
around the permission gate, bodies that crash or confuse the parser, secrets in config
reads. Each must be refused or held for the owner's answer, with a clear 4xx and nothing
in the host's log."""

import json
import os
import time
import unittest
from urllib.parse import quote

import owtest
from owtest import FakeLLM, Gateway, Host, control, wait_until

ALLOW_ALL = [{"permission": "*", "pattern": "*", "action": "allow"}]
SECRET = "sk-owtest-7a1c9e0d4b"


class HardeningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def setUp(self):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        # The runtime's own configuration lets every tool run without asking, and holds
        # credentials that only the owner may read.
        self.host = Host(self.opencode, llm=self.llm, opencode_config={
            "permission": {"bash": "allow", "edit": "allow"},
            "provider": {"fake": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Fake LLM",
                "options": {"baseURL": self.llm.base_url, "apiKey": SECRET},
                "models": {"fake-model": {"name": "Fake model"}},
            }},
            "mcp": {"remote": {"type": "remote", "url": "http://127.0.0.1:9/mcp",
                               "enabled": False,
                               "headers": {"X-Api": SECRET + "-mcp"}}},
        })
        self.addCleanup(self.host.close)
        self.host.wait_running()
        self.gateway = Gateway(self.host)
        self.viewer = self.token("viewer", "Tablet")
        self.phone = self.token("collaborator", "Phone")
        self.owner = self.token("owner", "Laptop")
        _, workspaces, _ = self.gateway.request("GET", "/workspaces", token=self.phone)
        self.workspace = workspaces["items"][0]
        self.base = "/w/%s/opencode" % self.workspace["id"]

    def token(self, scope, name):
        result = self.host.cli("token", "create", "--scope", scope, "--name", name)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def assert_log_clean(self):
        log = self.host.stderr()
        for marker in ("CRITICAL", "Critical", "WARNING **"):
            self.assertNotIn(marker, log)

    def session_rules(self, session_id):
        status, session, _ = self.gateway.request("GET", "%s/session/%s" % (self.base, session_id),
                                                  token=self.owner)
        self.assertEqual(status, 200, session)
        return session.get("permission") or []

    def assert_host_rules_last(self, rules):
        """The runtime applies the last matching rule: the host's asks must come last."""
        tail = rules[-6:]
        self.assertEqual([(r["permission"], r["action"]) for r in tail],
                         [(t, "ask") for t in ("bash", "edit", "write", "patch", "webfetch",
                                               "external_directory")], rules)

    def run_bash(self, session_id, marker, **extra):
        body = {"parts": [{"type": "text", "text": "[[bash:touch %s]]" % marker}]}
        body.update(extra)
        status, answer, _ = self.gateway.request(
            "POST", "%s/session/%s/prompt_async" % (self.base, session_id), token=self.phone,
            body=body)
        self.assertEqual(status, 204, answer)

    def wait_asked(self, session_id):
        def asked():
            _, items, _ = self.gateway.request("GET", "/opencode/permission", token=self.owner)
            return [p for p in items if p["sessionID"] == session_id]
        return wait_until(asked, 60, 0.1, "a permission request for %s" % session_id)

    # Item 1: the permission gate

    def test_every_way_to_create_a_session_gets_the_host_rules(self):
        spellings = ["/session/", "//session", "/SESSION", "/se%73sion", "/se%2573sion",
                     "/x/../session", "/./session", "/session//", "/session%2F", "/%2Fsession"]
        for spelling in spellings:
            with self.subTest(spelling=spelling):
                # A device's own rules may only ask or deny; an owner's token from afar
                # may send any, and the host's still come last.
                status, answer, _ = self.gateway.request(
                    "POST", self.base + spelling, token=self.phone,
                    body={"permission": ALLOW_ALL})
                self.assertEqual((status, answer["code"]), (403, "rule_not_allowed"))
                status, session, _ = self.gateway.request(
                    "POST", self.base + spelling, token=self.owner,
                    body={"permission": ALLOW_ALL})
                self.assertEqual(status, 200, session)
                self.assert_host_rules_last(self.session_rules(session["id"]))
        deny = [{"permission": "read", "pattern": "*.env", "action": "deny"}]
        status, session, _ = self.gateway.request("POST", self.base + "/session",
                                                  token=self.phone, body={"permission": deny})
        self.assertEqual(status, 200, session)
        self.assertEqual(self.session_rules(session["id"])[0], deny[0])
        # Paths that could be read two ways are refused outright.
        for spelling in ["/session%2500", "/session%5C", "/x%5C..%5Csession", "/session%25",
                         "/%25E0%25A4%25A"]:
            with self.subTest(spelling=spelling):
                status, answer, _ = self.gateway.request("POST", self.base + spelling,
                                                         token=self.phone, body={})
                self.assertEqual((status, answer["code"]), (400, "bad_path"), answer)
        # libsoup itself refuses these before the gateway sees them; what matters is that
        # nothing reaches the runtime.
        for spelling in ["/../session", "/..%2Fsession", "/session%00", "/%2e%2e%2Fsession",
                         "/%E0%A4%A", "/a%2F..%2F..%2Fsession", "/x%2F%2E%2E/session"]:
            with self.subTest(spelling=spelling):
                status, answer, _ = self.gateway.request("POST", self.base + spelling,
                                                         token=self.phone, body={})
                self.assertIn(status, (400, 404), answer)

    def test_changing_a_session_cannot_lift_the_host_rules(self):
        status, session, _ = self.gateway.request("POST", self.base + "/session",
                                                  token=self.phone, body={})
        self.assertEqual(status, 200)
        sid = session["id"]
        for spelling in ["/session/%s/" % sid, "/session//%s" % sid, "/Session/%s" % sid]:
            status, answer, _ = self.gateway.request("PATCH", self.base + spelling,
                                                     token=self.phone,
                                                     body={"permission": ALLOW_ALL})
            self.assertEqual((status, answer["code"]), (403, "rule_not_allowed"))
            status, answer, _ = self.gateway.request("PATCH", self.base + spelling,
                                                     token=self.owner,
                                                     body={"permission": ALLOW_ALL})
            self.assertEqual(status, 200, answer)
        self.assert_host_rules_last(self.session_rules(sid))
        # A change the runtime refuses does not count as giving the session the rules.
        status, local = control(self.host, "POST", "/api/opencode/session",
                                {"permission": ALLOW_ALL})
        status, answer, _ = self.gateway.request(
            "PATCH", "%s/session/%s" % (self.base, local["id"]), token=self.phone,
            body={"title": 5})
        self.assertEqual(status, 400, answer)
        self.run_bash(local["id"], "refused-patch-ran")
        self.assertEqual(self.wait_asked(local["id"])[0]["permission"], "bash")

        # A prompt's "tools" map would replace the session's rules in the runtime.
        self.run_bash(sid, "tools-ran", tools={"bash": True})
        asked = self.wait_asked(sid)
        self.assertEqual(asked[0]["permission"], "bash")
        time.sleep(0.5)
        self.assertFalse(os.path.exists(os.path.join(self.workspace["path"], "tools-ran")),
                         "bash ran without an answer")

    def test_a_prompt_into_a_session_started_on_this_computer_still_asks(self):
        # The host's own user starts a session that lets everything run (the control
        # socket is not held back); a device's prompt into it must still ask.
        status, session = control(self.host, "POST", "/api/opencode/session",
                                  {"permission": ALLOW_ALL})
        self.assertEqual(status, 200, session)
        self.assertEqual(self.session_rules(session["id"]), ALLOW_ALL)
        self.run_bash(session["id"], "local-session-ran")
        asked = self.wait_asked(session["id"])
        self.assertEqual(asked[0]["permission"], "bash")
        self.assert_host_rules_last(self.session_rules(session["id"]))
        time.sleep(0.5)
        self.assertFalse(os.path.exists(os.path.join(self.workspace["path"],
                                                     "local-session-ran")))

    def test_commands_outside_the_permission_system_are_the_owners(self):
        status, session, _ = self.gateway.request("POST", self.base + "/session",
                                                  token=self.phone, body={})
        sid = session["id"]
        marker = os.path.join(self.workspace["path"], "shell-ran")
        attempts = [
            ("POST", "/pty", {"command": "/bin/sh", "args": ["-c", "touch " + marker]}),
            ("POST", "//pty/", {"command": "/bin/sh", "args": ["-c", "touch " + marker]}),
            ("POST", "/session/%s/shell" % sid, {"agent": "build", "command": "touch " + marker}),
            ("POST", "/session/%s/command" % sid, {"command": "init", "arguments": ""}),
            ("POST", "/session/%s/fork" % sid, {}),
            ("PATCH", "/config", {"permission": {"bash": "allow"}}),
            ("POST", "/global/dispose", {}),
            ("POST", "/tui/execute-command", {"command": "x"}),
            ("POST", "/experimental/worktree", {}),
            ("POST", "/api/session", {}),
            ("GET", "/api/fs/read/etc/passwd", None),
            ("POST", "/some/route/added/later", {}),
        ]
        for method, path, body in attempts:
            for token in (self.viewer, self.phone):
                with self.subTest(method=method, path=path):
                    status, answer, _ = self.gateway.request(method, self.base + path,
                                                             token=token, body=body)
                    self.assertEqual((status, answer["code"]), (403, "forbidden"), answer)
        time.sleep(0.5)
        self.assertFalse(os.path.exists(marker))
        # The owner still may (the runtime answers; no command is run here).
        status, _, _ = self.gateway.request("GET", self.base + "/pty", token=self.owner)
        self.assertEqual(status, 200)

    def test_every_runtime_route_is_classified(self):
        status, document, _ = self.gateway.request("GET", "/opencode/doc", token=self.owner)
        self.assertEqual(status, 200)
        unclassified = []
        count = 0
        for path, operations in document["paths"].items():
            for method in operations:
                if method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    continue
                concrete = path.replace("*", "x").replace("{", "").replace("}", "")
                count += 1
                status, answer, _ = self.gateway.request(
                    "GET", "/host/opencode-policy?method=%s&path=%s"
                    % (method.upper(), quote(concrete, safe="")), token=self.owner)
                self.assertEqual(status, 200, answer)
                if not answer["classified"]:
                    unclassified.append("%s %s" % (method.upper(), path))
        print("%d routes of the runtime's document classified" % count)
        self.assertGreater(count, 100)
        self.assertEqual(unclassified, [], "routes the host's policy does not classify")

    # Items 2 and 3: bodies from the network

    def test_a_deeply_nested_body_gets_400_and_the_host_lives(self):
        deep = ('{"a":' + "[" * 75000).encode()
        targets = [("/pair/start", None), ("/pair/grant", None), ("/pair/pr_0/confirm", None),
                   (self.base + "/session", self.phone), ("/tokens", self.owner),
                   ("/host/permissions/per_x", self.owner)]
        for path, token in targets:
            with self.subTest(path=path):
                status, answer, _ = self.gateway.request(
                    "POST", path, token=token, raw_body=deep,
                    headers={"Content-Type": "application/json"})
                self.assertEqual((status, answer["code"]), (400, "invalid_json"), answer)
                self.assertIn("deeper", answer["message"])
        status, health, _ = self.gateway.request("GET", "/health")
        self.assertEqual((status, health["ok"]), (200, True))
        self.assertIsNone(self.host.process.poll())
        self.assert_log_clean()

    def test_type_confused_bodies_get_400_without_a_critical(self):
        raw = [
            ("POST", "/tokens", self.owner, '{"name":["w1"],"scope":"viewer"}'),
            ("POST", "/tokens", self.owner, '{"name":"w1","scope":{"a":1}}'),
            ("POST", "/tokens", self.owner, '{"name":"w1","name":"w2","scope":"viewer"}'),
            ("POST", "/tokens", self.owner, '{"name":"a\\u0000b","scope":"viewer"}'),
            ("POST", "/approvals/apr_0", self.owner, '{"reply":["allow"]}'),
            ("POST", "/pair/start", None, '{"v":1.9}'),
            ("POST", "/pair/start", None, '{"v":"1"}'),
            ("POST", "/pair/start", None, '{"v":1,"sid":[1],"share":{}}'),
            ("POST", "/pair/grant", None, '{"grant":{"a":1}}'),
            ("POST", "/pair/pr_0/confirm", None, '{"confirm":[]}'),
            ("POST", "/pair/requests/pr_0", self.owner, '{"reply":"allow","scope":[1]}'),
            ("POST", "/pair/requests/pr_0", self.owner, '{"reply":"allow","workspaces":[1]}'),
            ("POST", "/host/permissions/per_x", self.owner, '{"reply":{"x":1}}'),
            ("POST", self.base + "/permission/per_x/reply", self.owner, '{"reply":[1]}'),
            ("POST", self.base + "/session/ses_x/permissions/per_x", self.owner,
             '{"response":true}'),
            ("POST", self.base + "/session", self.phone, '{"permission":{"a":1}}'),
            ("POST", self.base + "/session", self.phone, '{"title":"a","title":"b"}'),
            ("POST", self.base + "/session", self.phone, "[1,2]"),
            ("PATCH", self.base + "/session/ses_x", self.phone, '{"permission":"allow"}'),
        ]
        for method, path, token, body in raw:
            with self.subTest(path=path, body=body):
                status, answer, _ = self.gateway.request(
                    method, path, token=token, raw_body=body.encode(),
                    headers={"Content-Type": "application/json"})
                self.assertEqual(status, 400, answer)
                self.assertIn(answer["code"], ("invalid_json", "invalid_request",
                                               "invalid_permission"))
        # None of them was stored: the token list holds only the three of setUp.
        _, tokens, _ = self.gateway.request("GET", "/tokens", token=self.owner)
        self.assertEqual(sorted(t["name"] for t in tokens["items"]), ["Laptop", "Phone", "Tablet"])
        self.assert_log_clean()

    # Item 5: secrets

    def test_config_reads_hold_no_secret_below_owner(self):
        paths = ["/config", "/config/providers", "/provider", "/mcp", "/Config", "/config/"]
        if owtest.VALGRIND:
            # The runtime's provider list is about 7 MB: read whole and redacted under
            # memcheck it takes minutes. The same code redacts /config/providers.
            paths.remove("/provider")
        for token in (self.viewer, self.phone):
            for path in paths:
                with self.subTest(path=path):
                    status, answer, _ = self.gateway.request("GET", self.base + path, token=token)
                    self.assertEqual(status, 200, answer)
                    text = json.dumps(answer)
                    self.assertNotIn(SECRET, text)
        # A read with a body is still a read: redacted too.
        status, answer, _ = self.gateway.request("GET", self.base + "/config", token=self.viewer,
                                                 raw_body=b"x")
        self.assertNotIn(SECRET, json.dumps(answer))
        # What remains is still the config: the provider is there, its key replaced.
        _, config, _ = self.gateway.request("GET", self.base + "/config", token=self.viewer)
        self.assertEqual(config["provider"]["fake"]["options"]["apiKey"], "[redacted by the host]")
        self.assertEqual(config["provider"]["fake"]["options"]["baseURL"], self.llm.base_url)
        self.assertEqual(config["mcp"]["remote"]["headers"]["X-Api"], "[redacted by the host]")
        # The owner reads the real thing: the test would see a leak.
        _, config, _ = self.gateway.request("GET", self.base + "/config", token=self.owner)
        self.assertEqual(config["provider"]["fake"]["options"]["apiKey"], SECRET)


if __name__ == "__main__":
    unittest.main()
