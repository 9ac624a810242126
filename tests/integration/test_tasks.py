"""Tasks and the permission gate, with the real runtime: sessions that devices create ask
before sensitive tools run even where the runtime's own configuration allows them, and
the host knows each task's device, workspace and state."""

import json
import os
import signal
import time
import unittest

import owtest
from owtest import FakeLLM, Gateway, Host, control, wait_until
from streams import SseStream


class TasksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def setUp(self):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        # The runtime's own configuration lets bash run without asking.
        self.host = Host(self.opencode, llm=self.llm,
                         opencode_config={"permission": {"bash": "allow"}})
        self.addCleanup(self.host.close)
        self.host.wait_running()
        self.gateway = Gateway(self.host)
        self.phone = self.token("collaborator", "Phone")
        self.owner = self.token("owner", "Laptop")
        _, workspaces, _ = self.gateway.request("GET", "/workspaces", token=self.phone)
        self.workspace = workspaces["items"][0]
        self.base = "/w/%s/opencode" % self.workspace["id"]

    def token(self, scope, name):
        result = self.host.cli("token", "create", "--scope", scope, "--name", name)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def start_task(self, token, text, session_body=None):
        status, session, _ = self.gateway.request("POST", self.base + "/session", token=token,
                                                  body=session_body or {})
        self.assertEqual(status, 200, session)
        status, _, _ = self.gateway.request(
            "POST", "%s/session/%s/prompt_async" % (self.base, session["id"]), token=token,
            body={"parts": [{"type": "text", "text": text}]})
        self.assertEqual(status, 204)
        return session["id"]

    def task(self, session_id, token=None):
        status, task, _ = self.gateway.request("GET", "/host/tasks/" + session_id,
                                               token=token or self.owner)
        return task if status == 200 else None

    def wait_state(self, session_id, state, timeout=60):
        return wait_until(lambda: (self.task(session_id) or {}).get("state") == state
                          and self.task(session_id), timeout, interval=0.1,
                          what="task %s to be %s" % (session_id, state))

    def permissions(self, session_id):
        _, asked, _ = self.gateway.request("GET", "/opencode/permission", token=self.owner)
        return [p for p in asked if p["sessionID"] == session_id]

    def marker(self, name):
        return os.path.join(self.workspace["path"], name)

    def test_a_device_task_waits_for_permission_then_succeeds(self):
        session_id = self.start_task(self.phone, "[[bash:touch phone-ran]]")
        waiting = self.wait_state(session_id, "waiting")
        self.assertEqual((waiting["device"], waiting["workspace"]),
                         ("Phone", self.workspace["id"]))
        self.assertIn("bash", waiting["reason"])
        asked = wait_until(lambda: self.permissions(session_id), 10, what="permission.asked")
        self.assertEqual(asked[0]["permission"], "bash")
        time.sleep(0.5)
        self.assertFalse(os.path.exists(self.marker("phone-ran")), "nothing ran before the answer")

        status, _, _ = self.gateway.request(
            "POST", "/opencode/permission/%s/reply" % asked[0]["id"], token=self.owner,
            body={"reply": "once"})
        self.assertEqual(status, 200)
        self.wait_state(session_id, "succeeded")
        self.assertTrue(os.path.exists(self.marker("phone-ran")))

    def test_the_first_answer_wins_and_a_later_one_gets_409(self):
        session_id = self.start_task(self.phone, "[[bash:touch answered]]")
        asked = wait_until(lambda: self.permissions(session_id), 30, what="permission.asked")
        request_id = asked[0]["id"]

        listed = json.loads(self.host.cli("permissions", "list", "--json").stdout)["items"]
        self.assertEqual([(p["id"], p["permission"]) for p in listed], [(request_id, "bash")])
        self.assertEqual(listed[0]["patterns"], ["touch answered"])

        result = self.host.cli("permissions", "reply", request_id, "once")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.wait_state(session_id, "succeeded")
        self.assertTrue(os.path.exists(self.marker("answered")))

        status, body, _ = self.gateway.request(
            "POST", "/opencode/permission/%s/reply" % request_id, token=self.owner,
            body={"reply": "reject"})
        self.assertEqual((status, body["code"]), (409, "already_answered"))
        self.assertIn("control socket", body["message"])
        status, body, _ = self.gateway.request("GET", "/host/permissions", token=self.phone)
        self.assertEqual(body["items"], [])

        with open(os.path.join(self.host.data_dir, "audit.log")) as f:
            records = [json.loads(line) for line in f]
        self.assertEqual([(r["id"], r["reply"], r["by"], r["permission"]) for r in records],
                         [(request_id, "once", "control socket", "bash")])

    def test_who_may_answer_is_host_policy(self):
        viewer = self.token("viewer", "Watcher")
        session_id = self.start_task(self.phone, "[[bash:touch policy]]")
        request_id = wait_until(lambda: self.permissions(session_id), 30,
                                what="permission.asked")[0]["id"]
        path = "/opencode/permission/%s/reply" % request_id
        for token in (viewer, self.phone):  # the default policy: the owner answers
            status, body, _ = self.gateway.request("POST", path, token=token,
                                                   body={"reply": "once"})
            self.assertEqual(status, 403, body)
        status, body, _ = self.gateway.request("POST", path, token=self.owner,
                                               body={"reply": "always"})
        self.assertEqual((status, body["code"]), (403, "always_not_allowed"))
        self.assertEqual(len(self.permissions(session_id)), 1, "refused answers change nothing")
        status, body, _ = self.gateway.request("POST", "/host/permissions/" + request_id,
                                               token=self.owner, body={"reply": "reject"})
        self.assertEqual((status, body), (200, True))
        self.wait_state(session_id, "succeeded")
        self.assertFalse(os.path.exists(self.marker("policy")), "a rejected command never runs")

    def test_a_device_cannot_lift_the_gate_by_its_own_rules(self):
        allow_all = {"permission": [{"permission": "bash", "pattern": "*", "action": "allow"}]}
        # A device may not send rules that let tools run at all ...
        status, answer, _ = self.gateway.request("POST", self.base + "/session", token=self.phone,
                                                 body=allow_all)
        self.assertEqual((status, answer["code"]), (403, "rule_not_allowed"))
        # ... and even the owner's, sent from afar, come before the host's.
        session_id = self.start_task(self.owner, "[[bash:touch lifted]]", allow_all)
        self.wait_state(session_id, "waiting")
        status, _, _ = self.gateway.request("PATCH", "%s/session/%s" % (self.base, session_id),
                                            token=self.owner, body=allow_all)
        self.assertEqual(status, 200)
        self.assertTrue(self.permissions(session_id))
        self.assertFalse(os.path.exists(self.marker("lifted")))

    def test_the_host_owner_on_the_control_socket_is_not_held_back(self):
        status, session = control(self.host, "POST", "/api/opencode/session", {})
        self.assertEqual(status, 200, session)
        status, _ = control(self.host, "POST",
                            "/api/opencode/session/%s/prompt_async" % session["id"],
                            {"parts": [{"type": "text", "text": "[[bash:touch local-ran]]"}]})
        self.assertEqual(status, 204)
        wait_until(lambda: os.path.exists(self.marker("local-ran")), 60,
                   what="the local task's command to run without asking")

    def test_devices_see_their_own_tasks_and_the_owner_sees_all(self):
        phone_task = self.start_task(self.phone, "Say hello")
        other = self.token("collaborator", "Tablet")
        tablet_task = self.start_task(other, "Say hello")
        self.wait_state(phone_task, "succeeded")
        self.wait_state(tablet_task, "succeeded")

        _, listed, _ = self.gateway.request("GET", "/host/tasks", token=self.phone)
        self.assertEqual([t["id"] for t in listed["items"]], [phone_task])
        self.assertIsNone(self.task(tablet_task, token=self.phone))
        _, listed, _ = self.gateway.request("GET", "/host/tasks", token=self.owner)
        self.assertEqual([t["id"] for t in listed["items"]], [tablet_task, phone_task])

        result = self.host.cli("tasks")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(phone_task, result.stdout)
        self.assertIn("succeeded", result.stdout)

    def test_a_runtime_killed_under_a_task_interrupts_it(self):
        session_id = self.start_task(self.phone, "[[bash:touch never]]")
        self.wait_state(session_id, "waiting")
        stream = SseStream(self.gateway, self.base + "/event", self.phone)
        self.addCleanup(stream.close)
        stream.tls.settimeout(20)
        os.kill(self.host.runtime()["pid"], signal.SIGKILL)
        task = self.wait_state(session_id, "interrupted", timeout=15)
        self.assertIn("runtime stopped", task["reason"])

        # The phone learns both in its stream, since the runtime cannot tell it any more.
        told = {}
        for _, data in stream.events():
            payload = json.loads(data)
            if payload["type"].startswith("openwork.") and \
                    payload["properties"].get("sessionID") == session_id:
                told[payload["type"]] = payload["properties"]
            if len(told) == 2:
                break
        self.assertIn("runtime stopped", told["openwork.task.interrupted"]["reason"])
        self.assertIn("id", told["openwork.permission.withdrawn"])
        _, waiting, _ = self.gateway.request("GET", "/host/permissions", token=self.owner)
        self.assertEqual(waiting["items"], [], "its permission request is withdrawn")
        self.host.wait_running()


if __name__ == "__main__":
    unittest.main()
