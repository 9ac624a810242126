"""Discovery and pairing across a real (namespaced) LAN: the host with its own avahi-daemon
in one namespace, the phone with its own in another. Needs root; without it the suite is
skipped with the reason."""

import json
import os
import statistics
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "integration"))

import owtest  # noqa: E402
from lan import Lan, missing_requirements  # noqa: E402
from owtest import FakeLLM, Host, wait_until  # noqa: E402
from pairing import Phone, answer, devices, finish, offer, wait_pending  # noqa: E402

SKIP = 77  # meson's "skipped"
FOLLOWER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "follower.py")
RULE = """table inet %s {
  chain input {
    type filter hook input priority 0; policy accept;
    %s
  }
}
"""
LONG_REPLY = " ".join("word%d" % i for i in range(2000))
PAIRINGS = int(os.environ.get("OW_NETNS_PAIRINGS", "200"))


class LanTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def setUp(self):
        self.lan = Lan()
        self.addCleanup(self.lan.close)

    def start_host(self, llm=None, config=None, extra_args=()):
        host = Host(self.opencode, llm=llm, config=config, extra_args=extra_args,
                    discovery=True, wrap=self.lan.wrap("host"), env=self.lan.env("host"))
        self.addCleanup(host.close)
        wait_until(host.status, 30, what="the host to answer")
        self.host = host
        self.port = host.status()["gateway"]["port"]
        self.host_address = "%s:%d" % (self.lan.addresses["host"], self.port)
        return host

    def phone(self, name="Phone in B", side="phone"):
        return Phone(self.host.root, name=name, wrap=self.lan.wrap(side),
                     env=self.lan.env(side))

    def discovery(self):
        return self.host.status()["gateway"]["discovery"]

    def discover(self, timeout="3"):
        started = time.monotonic()
        result = self.phone().run("discover", "--timeout", timeout, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout), time.monotonic() - started

    def wait_published(self):
        wait_until(lambda: self.discovery()["state"] == "published", 15,
                   what="the host to be announced")

    def test_a_phone_discovers_pairs_by_code_and_runs_a_task(self):
        llm = FakeLLM("--reply", "Done from the other namespace.", wrap=self.lan.wrap("host"))
        self.addCleanup(llm.close)
        self.start_host(llm=llm).wait_running()
        self.wait_published()

        # discover looks for 3 s at most: finding the host at all means within 3 s.
        found, seconds = self.discover()
        self.assertEqual([(h["addresses"], h["port"]) for h in found],
                         [([self.lan.addresses["host"]], self.port)])
        fingerprint = self.host.status()["host"]["fingerprint"]
        self.assertEqual(found[0]["id"], fingerprint[:16])
        self.assertEqual(found[0]["version"], self.host.status()["host"]["version"])
        print("discovered in %.2f s" % seconds)

        phone = self.phone()
        process = phone.pair("--code", offer(self.host)["offer"]["code"])  # found by mDNS
        request = wait_pending(self.host, process)[0]
        self.assertEqual(request["address"], self.lan.addresses["phone"])
        result = self.host.cli("devices", "approve", request["id"])
        self.assertEqual(result.returncode, 0, result.stderr)
        returncode, _, err = finish(process)
        self.assertEqual(returncode, 0, err)
        self.assertEqual(phone.saved()["fingerprint"], fingerprint)

        result = phone.run("run", "Say something", timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Done from the other namespace.", result.stdout)

    def test_the_qr_link_pairs_across_the_lan(self):
        self.start_host()
        phone = self.phone()
        process = phone.pair("--uri", offer(self.host)["offer"]["uri"])
        request = wait_pending(self.host, process)[0]
        self.assertEqual(request["method"], "secret")
        answer(self.host, request["id"])
        returncode, _, err = finish(process)
        self.assertEqual(returncode, 0, err)
        self.assertEqual(phone.run("status").returncode, 0)

    def test_every_refusal_across_the_lan_issues_no_token(self):
        self.start_host(config="[pairing]\ncode-lifetime=3\n")

        def attempt(*how):
            returncode, _, err = finish(self.phone().pair(*how))
            self.assertEqual(returncode, 1, err)
            return err

        def code_attempt(code):
            return attempt("--code", code, "--host", self.host_address)

        code = offer(self.host, new=True)["offer"]["code"]
        for n in (1, 2, 3):
            self.assertIn("the code is wrong", code_attempt("%06d" % ((int(code) + n) % 10**6)))
        # The code took its three wrong tries: it takes nothing more, the right one included.
        self.assertTrue(offer(self.host)["offer"]["locked"])
        self.assertIn("Show a new code on the host", code_attempt(code))

        code = offer(self.host, new=True)["offer"]["code"]
        time.sleep(3.2)
        self.assertIn("expired", code_attempt(code))

        code = offer(self.host, new=True)["offer"]["code"]
        process = self.phone().pair("--code", code, "--host", self.host_address)
        self.host.cli("devices", "deny", wait_pending(self.host, process)[0]["id"])
        returncode, _, err = finish(process)
        self.assertEqual(returncode, 1)
        self.assertIn("did not allow", err)
        self.assertIn("the code is wrong", code_attempt(code), "a code is used once")

        link = offer(self.host, new=True)["offer"]["uri"]
        fingerprint = self.host.status()["host"]["fingerprint"]
        self.assertIn("not the pinned", attempt("--uri", link.replace(fingerprint, "f" * 64)))

        self.assertEqual(devices(self.host), [])
        self.assertEqual(owtest.control(self.host, "GET", "/api/tokens")[1]["items"], [])

    def test_a_grant_cannot_be_claimed_by_a_second_device(self):
        self.start_host()
        link = offer(self.host)["offer"]["connectRemote"]
        first = self.phone().pair("--uri", link)
        wait_pending(self.host, first)
        # Another device (another address: the host's own namespace) presents the same link.
        returncode, _, err = finish(self.phone("Intruder", side="host").pair("--uri", link))
        self.assertEqual(returncode, 1)
        self.assertIn("already used by another device", err)
        first.kill()
        first.communicate()
        self.assertEqual(devices(self.host), [])

    def test_the_host_announces_itself_when_avahi_appears_and_again_after_a_restart(self):
        self.lan.stop_avahi("host")
        self.start_host()
        wait_until(lambda: self.discovery()["state"] == "unavailable", 10,
                   what="discovery to be reported unavailable")
        self.assertIn("avahi-daemon is not running", self.discovery()["reason"])

        self.lan.start_avahi("host")
        self.wait_published()
        self.assertEqual(len(self.discover()[0]), 1)

        self.lan.stop_avahi("host")
        wait_until(lambda: self.discovery()["state"] == "unavailable", 10,
                   what="discovery to notice the daemon went away")
        self.lan.start_avahi("host")
        self.wait_published()
        self.assertEqual(len(self.discover()[0]), 1)

        # Without a goodbye the phone would keep the record for its TTL (minutes); mDNS
        # caches drop a withdrawn one after a second.
        self.host.close()
        wait_until(lambda: self.discover(timeout="1")[0] == [], 10,
                   what="the stopped host's announcement to be withdrawn")

    def test_a_name_taken_on_the_network_is_changed(self):
        first = self.start_host(config="[host]\nname=Desk\n")
        self.wait_published()
        second = Host(self.opencode, config="[host]\nname=Desk\n", discovery=True,
                      wrap=self.lan.wrap("phone"), env=self.lan.env("phone"))
        self.addCleanup(second.close)

        def published(host):
            status = host.status()
            discovery = status["gateway"]["discovery"] if status else {}
            return discovery.get("state") == "published" and discovery["name"]
        second_name = wait_until(lambda: published(second), 20,
                                 what="the second host to be announced")
        self.assertEqual({published(first), second_name}, {"Desk", "Desk #2"})
        self.assertEqual(sorted(h["name"] for h in self.discover()[0]), ["Desk", "Desk #2"])

    def test_without_discovery_the_host_is_not_announced(self):
        host = Host(self.opencode, wrap=self.lan.wrap("host"), env=self.lan.env("host"))
        self.addCleanup(host.close)
        wait_until(host.status, 30, what="the host to answer")
        self.host = host
        self.assertEqual(self.discovery()["state"], "off")
        self.assertEqual(self.discover(timeout="2")[0], [])

    def nft(self, side, ruleset):
        subprocess.run([*self.lan.wrap(side), "nft", "-f", "-"], input=ruleset, text=True,
                       check=True, capture_output=True, timeout=10)

    def faults(self, port):
        """Four connection resets, 20 link flaps, two 3-second packet drops: bounded, and
        all inside the test's namespaces.

        A reset only happens when the phone sends something (an ACK of streamed events)
        while the rule is in place, so the resets come first, while the task surely streams:
        after a drop, the host's retransmission backoff may leave a window silent."""
        phone_link = self.lan.links["phone"]
        for _ in range(4):
            self.nft("host", RULE % ("owreset", "ip saddr %s tcp dport %d reject with tcp reset"
                                     % (self.lan.addresses["phone"], port)))
            time.sleep(0.5)
            self.nft("host", "delete table inet owreset")
            time.sleep(1)
        for _ in range(20):
            self.lan._ip("-n", self.lan.namespaces["phone"], "link", "set", phone_link, "down")
            time.sleep(0.2)
            self.lan._ip("-n", self.lan.namespaces["phone"], "link", "set", phone_link, "up")
            time.sleep(0.2)
        for _ in range(2):
            self.nft("phone", RULE % ("owdrop", "ip saddr %s drop" % self.lan.addresses["host"]))
            time.sleep(3)
            self.nft("phone", "delete table inet owdrop")
            time.sleep(1)

    def test_a_long_task_streams_to_the_phone_through_flaps_drops_and_resets(self):
        llm = FakeLLM("--reply", LONG_REPLY, "--chunk-delay-ms", "15",
                      wrap=self.lan.wrap("host"))
        self.addCleanup(llm.close)
        self.start_host(llm=llm).wait_running()
        token = self.host.cli("token", "create", "--scope", "collaborator", "--name",
                              "Phone").stdout.strip()
        workspace = owtest.control(self.host, "GET", "/api/workspaces")[1]["items"][0]["id"]
        certificate = self.host.status()["gateway"]["certificate"]
        common = [sys.executable, FOLLOWER, self.lan.addresses["host"], str(self.port), token,
                  certificate, workspace]

        phone = subprocess.Popen([*self.lan.wrap("phone"), *common, "start"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        self.addCleanup(phone.kill)
        session = phone.stdout.readline().strip()
        self.assertTrue(session.startswith("ses"), session)
        # The host's own view: a follower in the host's namespace, which no fault touches.
        host_view = subprocess.Popen([*self.lan.wrap("host"), *common, "watch", session],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.addCleanup(host_view.kill)
        self.assertEqual(host_view.stdout.readline().strip(), "watching")
        phone.stdin.write("go\n")
        phone.stdin.flush()

        self.faults(self.port)

        phone_out, phone_err = phone.communicate(timeout=240)
        host_out, host_err = host_view.communicate(timeout=240)
        self.assertEqual(phone.returncode, 0, phone_err[-2000:])
        self.assertEqual(host_view.returncode, 0, host_err[-2000:])
        seen = json.loads(phone_out.strip().splitlines()[-1])
        reference = json.loads(host_out.strip().splitlines()[-1])

        ids = [int(event_id) for event_id, _ in seen["events"]]
        self.assertEqual(ids, sorted(set(ids)), "in order, no duplicates")
        self.assertGreaterEqual(seen["reconnects"], 1, "the resets forced a resume")
        first = ids[0]
        expected = [e for e in reference["events"] if int(e[0]) >= first]
        self.assertEqual(seen["events"], expected, "the phone saw exactly what the host sent")
        text = "".join(e[1]["properties"].get("delta", "") for e in seen["events"]
                       if e[1]["type"] == "message.part.delta")
        self.assertIn("word1999", text)
        status = owtest.control(self.host, "GET", "/api/host/tasks/" + session)[1]
        self.assertEqual(status["state"], "succeeded")
        print("task streamed through 20 flaps, 2 drops of 3 s and 4 resets: %d events, "
              "%d reconnects, identical to the host's" % (len(ids), seen["reconnects"]))

    def test_many_pairings_in_a_row_each_succeed_on_the_first_try(self):
        self.start_host(config="[pairing]\nattempts-per-minute=100000\n")
        durations = []
        for n in range(PAIRINGS):
            code = offer(self.host)["offer"]["code"]
            started = time.monotonic()
            process = self.phone("Phone %d" % n).pair("--code", code,
                                                      "--host", self.host_address)
            request = wait_until(lambda: owtest.control(
                self.host, "GET", "/api/pair/requests")[1]["items"], 20, interval=0.002,
                what="pairing request %d" % n)[0]
            self.assertEqual(answer(self.host, request["id"])[0], 200)
            returncode, _, err = finish(process)
            durations.append(time.monotonic() - started)
            self.assertEqual(returncode, 0, "pairing %d failed: %s" % (n, err))
        self.assertEqual(len(devices(self.host)), PAIRINGS)
        durations.sort()
        p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
        print("%d pairings, all on the first try: start to token median %.1f ms, p99 %.1f ms "
              "(a client process each, approval given at once)"
              % (PAIRINGS, statistics.median(durations) * 1000, p99 * 1000))


if __name__ == "__main__":
    reason = missing_requirements()
    if reason:
        print("SKIP netns suite: " + reason)
        sys.exit(SKIP)
    unittest.main()
