"""kill -9 of the host while it writes its databases, 20 times: every database passes
PRAGMA integrity_check afterwards and a device paired before still works."""

import os
import random
import signal
import sqlite3
import threading
import time
import unittest

import owtest
from owtest import Gateway, Host, control, wait_until
from pairing import Phone, answer, finish, offer, wait_pending

KILLS = 20
DATABASES = ("tokens.db", "devices.db", "metrics.db")


class CrashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()

    def test_databases_survive_twenty_kills_during_writes(self):
        host = Host(owtest.FAKE_RUNTIME)
        self.addCleanup(host.close)
        wait_until(host.status, 30, what="the host to answer")
        gateway = Gateway(host)
        phone = Phone(host.root, name="Before the crashes")
        process = phone.pair("--code", offer(host)["offer"]["code"],
                             "--host", "127.0.0.1:%d" % gateway.port)
        answer(host, wait_pending(host, process)[0]["id"])
        self.assertEqual(finish(process)[0], 0)
        token = phone.saved()["token"]

        rng = random.Random(5)
        writes = {"tokens": 0, "refused": 0, "pairings": 0}
        for kill in range(KILLS):
            if kill:
                host.process = host.start_process(owtest.FAKE_RUNTIME)
                wait_until(host.status, 30, what="the host to come back")
                gateway = Gateway(host)
            stop = threading.Event()

            def write_tokens():
                # tokens.db: create and revoke; devices.db: a device pairs and is seen.
                while not stop.is_set():
                    try:
                        status, made = control(host, "POST", "/api/tokens",
                                               {"scope": "viewer", "name": "churn"})
                        if status == 201:
                            control(host, "DELETE", "/api/tokens/" + made["id"])
                            writes["tokens"] += 1
                        code = offer(host)["offer"]["code"]
                        pairing = Phone(host.root, name="Churn").pair(
                            "--code", code, "--host", "127.0.0.1:%d" % gateway.port)
                        request = wait_pending(host, pairing, timeout=5)
                        answer(host, request[0]["id"])
                        finish(pairing, timeout=10)
                        writes["pairings"] += 1
                    except Exception:  # the host is being killed under us
                        time.sleep(0.01)

            def write_metrics():
                # metrics.db: every refused token is a row.
                while not stop.is_set():
                    try:
                        gateway.request("GET", "/status", token="owt_" + "0" * 64)
                        writes["refused"] += 1
                    except Exception:
                        time.sleep(0.01)

            threads = [threading.Thread(target=f, daemon=True)
                       for f in (write_tokens, write_metrics)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.3, 1.2))
            host.process.send_signal(signal.SIGKILL)
            host.process.wait(timeout=10)
            stop.set()
            for thread in threads:
                thread.join(timeout=20)

            for name in DATABASES:
                path = os.path.join(host.data_dir, name)
                with sqlite3.connect(path) as db:
                    result = db.execute("PRAGMA integrity_check").fetchone()[0]
                self.assertEqual(result, "ok", "%s after kill %d" % (name, kill + 1))

        print("%d kills during %d token, %d pairing and %d metrics writes: every database "
              "intact" % (KILLS, writes["tokens"], writes["pairings"], writes["refused"]))
        self.assertGreater(writes["pairings"], 0)
        host.process = host.start_process(owtest.FAKE_RUNTIME)
        wait_until(host.status, 30, what="the host to come back")
        gateway = Gateway(host)
        status, me, _ = gateway.request("GET", "/whoami", token=token)
        self.assertEqual((status, me["name"]), (200, "Before the crashes"))


if __name__ == "__main__":
    unittest.main()
