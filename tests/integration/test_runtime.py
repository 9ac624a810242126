"""The host supervising the real OpenCode runtime, driven by the scripted fake LLM."""

import base64
import os
import signal
import time
import unittest

import owtest
from owtest import Host, FakeLLM, http, process_alive, wait_until


class RealRuntimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def setUp(self):
        self.llm = FakeLLM()
        self.addCleanup(self.llm.close)
        self.host = Host(self.opencode, llm=self.llm)
        self.addCleanup(self.host.close)

    def runtime_url(self, runtime, path):
        return "http://127.0.0.1:%d%s" % (runtime["port"], path)

    def test_status_reports_the_running_runtime(self):
        runtime = self.host.wait_running()
        self.assertEqual(runtime["version"], owtest.PINNED_VERSION)
        self.assertEqual(runtime["pinnedVersion"], owtest.PINNED_VERSION)
        self.assertEqual(runtime["restarts"], 0)
        self.assertIsNone(runtime["lastError"])
        self.assertTrue(process_alive(runtime["pid"]))

        text = self.host.cli("status")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn("Runtime: running, OpenCode %s" % owtest.PINNED_VERSION, text.stdout)

        # The runtime is private: it needs its password, and it is bound to loopback only.
        status, _ = http("GET", self.runtime_url(runtime, "/global/health"))
        self.assertEqual(status, 401)
        password = self.host.runtime_password(runtime["pid"])
        status, health = http("GET", self.runtime_url(runtime, "/global/health"),
                              user="opencode", password=password)
        self.assertEqual((status, health["healthy"]), (200, True))
        with open("/proc/net/tcp") as f:
            listening = [l.split()[1] for l in f.readlines()[1:] if l.split()[3] == "0A"]
        self.assertIn("0100007F:%04X" % runtime["port"], listening)

        # The password never reaches the status, the log or the host's own output.
        self.assertNotIn(password, self.host.cli("status", "--json").stdout)
        with open(os.path.join(self.host.data_dir, "logs", "runtime.log")) as f:
            log = f.read()
        self.assertIn("opencode server listening on", log)
        self.assertNotIn(password, log)
        self.assertNotIn(password, self.host.stderr())

    def prompt_and_wait(self, runtime, text):
        """Sends a prompt through the runtime's own API; returns the last assistant text."""
        auth = dict(user="opencode", password=self.host.runtime_password(runtime["pid"]),
                    headers={"x-opencode-directory": self.host.workspace})

        status, session = http("POST", self.runtime_url(runtime, "/session"), body={}, **auth)
        self.assertEqual(status, 200, session)
        status, _ = http("POST", self.runtime_url(runtime, "/session/%s/prompt_async" % session["id"]),
                         body={"parts": [{"type": "text", "text": text}]}, **auth)
        self.assertEqual(status, 204)

        def finished():
            status, messages = http("GET", self.runtime_url(
                runtime, "/session/%s/message" % session["id"]), **auth)
            self.assertEqual(status, 200)
            last = messages[-1] if messages else None
            if last and last["info"]["role"] == "assistant" and last["info"].get("finish") == "stop":
                return messages
            return None

        return wait_until(finished, 60, 0.2, "the task to finish")

    @staticmethod
    def texts(message):
        return "".join(p.get("text", "") for p in message["parts"] if p["type"] == "text")

    def test_a_prompt_gets_the_fake_llm_answer(self):
        runtime = self.host.wait_running()
        messages = self.prompt_and_wait(runtime, "Say hello")
        self.assertEqual(self.texts(messages[-1]), "Hello from the fake LLM")
        self.assertGreaterEqual(self.llm.completions(), 1)

    def test_a_tool_call_runs_and_its_result_comes_back(self):
        runtime = self.host.wait_running()
        marker = os.path.join(self.host.workspace, "tool-ran")
        messages = self.prompt_and_wait(
            runtime, "Please run [[bash:touch %s && echo tool-output-42]]" % marker)

        # The runtime really ran the command the fake LLM asked for ...
        self.assertTrue(os.path.exists(marker))
        tool_parts = [p for m in messages for p in m["parts"] if p["type"] == "tool"]
        self.assertEqual([p["tool"] for p in tool_parts], ["bash"])
        self.assertEqual(tool_parts[0]["state"]["status"], "completed")
        self.assertIn("tool-output-42", tool_parts[0]["state"]["output"])
        # ... and the fake LLM answered the tool result with text.
        self.assertEqual(self.texts(messages[-1]), "Tool finished: tool-output-42")

    def test_a_killed_runtime_comes_back_with_new_credentials(self):
        first = self.host.wait_running()
        old_password = self.host.runtime_password(first["pid"])

        os.kill(first["pid"], signal.SIGKILL)
        killed_at = time.monotonic()

        def back():
            # Straight from the control socket: spawning the CLI for each poll would add its
            # own start-up time to what is measured.
            status, answer = owtest.control(self.host, "GET", "/v1/status")
            runtime = answer["runtime"] if status == 200 else None
            if runtime and runtime["state"] == "running" and runtime["pid"] != first["pid"]:
                return runtime
            return None
        second = wait_until(back, 15, 0.02, "the restarted runtime")
        # A figure, not an assertion: most of it is the runtime's own start-up (about 1.4 s
        # on an idle machine), which a loaded CI machine stretches.
        print("runtime running again %.2f s after kill -9" % (time.monotonic() - killed_at))

        self.assertEqual(second["restarts"], 1)
        self.assertIn("signal 9", second["lastError"])
        self.assertFalse(process_alive(first["pid"]))
        new_password = self.host.runtime_password(second["pid"])
        self.assertNotEqual(new_password, old_password)
        status, _ = http("GET", self.runtime_url(second, "/global/health"),
                         user="opencode", password=old_password)
        self.assertEqual(status, 401)
        status, _ = http("GET", self.runtime_url(second, "/global/health"),
                         user="opencode", password=new_password)
        self.assertEqual(status, 200)

    def test_killed_host_leaves_no_runtime(self):
        runtime = self.host.wait_running()
        self.assertTrue(process_alive(runtime["pid"]))

        self.host.process.kill()
        self.host.process.wait()
        wait_until(lambda: not process_alive(runtime["pid"]), 2.0,
                   what="the runtime of the killed host to be gone")

        # Nothing else of this run either: no live process still uses its private config.
        leftovers = []
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                env = owtest.process_environ(int(entry))
            except OSError:
                continue
            if (env.get("OPENCODE_CONFIG") == self.host.env["OPENCODE_CONFIG"]
                    and process_alive(int(entry))):
                leftovers.append(entry)
        self.assertEqual(leftovers, [])

        # The killed host left its control socket behind; the next host replaces it.
        self.assertTrue(os.path.exists(os.path.join(self.host.data_dir, "control.sock")))
        self.host.process = self.host.start_process(self.opencode)
        self.host.wait_running()

    def test_proxy_runs_a_task_and_enforces_scopes(self):
        self.host.wait_running()
        gateway = owtest.Gateway(self.host)

        def token(scope):
            result = self.host.cli("token", "create", "--scope", scope, "--name", scope)
            self.assertEqual(result.returncode, 0, result.stderr)
            return result.stdout.strip()
        collaborator, viewer = token("collaborator"), token("viewer")
        _, workspaces, _ = gateway.request("GET", "/workspaces", token=collaborator)
        base = "/w/%s/opencode" % workspaces["items"][0]["id"]

        # A collaborator runs a task through the proxy, never knowing the runtime's password.
        status, session, _ = gateway.request("POST", base + "/session", token=collaborator, body={})
        self.assertEqual(status, 200, session)
        self.assertEqual(session["directory"], self.host.workspace)
        status, _, _ = gateway.request("POST", "%s/session/%s/prompt_async" % (base, session["id"]),
                                       token=collaborator,
                                       body={"parts": [{"type": "text", "text": "Say hello"}]})
        self.assertEqual(status, 204)

        def answered():
            status, messages, _ = gateway.request(
                "GET", "%s/session/%s/message" % (base, session["id"]), token=viewer)
            self.assertEqual(status, 200)
            last = messages[-1] if messages else None
            if last and last["info"]["role"] == "assistant" and last["info"].get("finish") == "stop":
                return self.texts(last)
            return None
        self.assertEqual(wait_until(answered, 60, 0.2, "the answer"), "Hello from the fake LLM")

        # A viewer reads but does not write; answering permissions is for the owner.
        status, _, _ = gateway.request("POST", base + "/session", token=viewer, body={})
        self.assertEqual(status, 403)
        status, _, _ = gateway.request("POST", base + "/permission/per_x/reply",
                                       token=collaborator, body={"reply": "once"})
        self.assertEqual(status, 403)

        # OpenCode's own clients authenticate with basic auth or ?auth_token=.
        basic = "Basic " + base64.b64encode(("opencode:" + viewer).encode()).decode()
        status, sessions, _ = gateway.request("GET", base + "/session",
                                              headers={"Authorization": basic})
        self.assertEqual(status, 200)
        self.assertIn(session["id"], [s["id"] for s in sessions])
        status, _, _ = gateway.request("GET", base + "/session?auth_token=" + viewer)
        self.assertEqual(status, 200)
        status, _, _ = gateway.request("GET", base + "/session?auth_token=owt_" + "1" * 64)
        self.assertEqual(status, 401)

        # Folders outside the workspace are refused, however they are named.
        for outside in ("/etc", self.host.workspace + "/../", self.host.workspace + "-other"):
            status, answer, _ = gateway.request("GET", base + "/session", token=viewer,
                                                headers={"x-opencode-directory": outside})
            self.assertEqual((status, answer["code"]), (403, "directory_not_allowed"), outside)
        status, _, _ = gateway.request("GET", "/opencode/session?directory=/etc", token=viewer)
        self.assertEqual(status, 403)
        status, answer, _ = gateway.request("GET", "/w/ws_000000000000/opencode/session",
                                            token=viewer)
        self.assertEqual((status, answer["code"]), (404, "workspace_not_found"))

    def test_sigterm_stops_host_and_runtime(self):
        runtime = self.host.wait_running()

        self.host.process.send_signal(signal.SIGTERM)
        self.assertEqual(self.host.process.wait(timeout=15), 0)
        self.assertFalse(process_alive(runtime["pid"]))
        self.assertFalse(os.path.exists(os.path.join(self.host.data_dir, "control.sock")))
        self.assertEqual(self.host.cli("status").returncode, 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
