"""Many tasks through clients whose event streams are cut at random points: every task
succeeds, every client sees its task to the end, and the host counts no failure caused by
a disconnect."""

import os
import random
import socket
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

import owtest
from owtest import FakeLLM, Host, wait_until
from pairing import Phone, answer, finish, offer, wait_pending

TASKS = int(os.environ.get("OW_MANY_TASKS", "1000"))
PARALLEL = 8
REPLY = "The scripted answer, long enough to stream in several events."


class RandomCutRelay:
    """A TCP relay (TLS passes through) that cuts each connection once it has carried a
    random number of bytes towards the client, between @low and @high: only event streams
    carry that much."""

    def __init__(self, target_port, low=3000, high=12000, seed=7):
        self.target_port = target_port
        self.rng = random.Random(seed)
        self.low, self.high = low, high
        self.cuts = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                budget = self.rng.randint(self.low, self.high)
            threading.Thread(target=self.pump, args=(client, upstream, None),
                             daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, budget),
                             daemon=True).start()

    def pump(self, source, sink, budget):
        carried = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
                carried += len(data)
                if budget is not None and carried > budget:
                    with self.lock:
                        self.cuts += 1
                    break
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.listener.close()


class ManyTasksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def test_tasks_through_randomly_cut_streams_never_fail(self):
        llm = FakeLLM("--reply", REPLY)
        self.addCleanup(llm.close)
        host = Host(self.opencode, llm=llm)
        self.addCleanup(host.close)
        host.wait_running()
        port = host.status()["gateway"]["port"]
        relay = RandomCutRelay(port, low=10**9, high=10**9)  # pairing is not cut
        self.addCleanup(relay.close)

        phone = Phone(host.root)
        process = phone.pair("--code", offer(host)["offer"]["code"],
                             "--host", "127.0.0.1:%d" % relay.port)
        answer(host, wait_pending(host, process)[0]["id"])
        self.assertEqual(finish(process)[0], 0)
        relay.low, relay.high = 4000, 30000

        def run(n):
            result = phone.run("run", "Task %d" % n, timeout=120)
            return n, result.returncode, result.stdout, result.stderr

        with ThreadPoolExecutor(PARALLEL) as pool:
            results = list(pool.map(run, range(TASKS)))
        failures = [(n, err[-300:]) for n, code, out, err in results if code != 0]
        self.assertEqual(failures, [])
        wrong = [n for n, _, out, _ in results if out.strip() != REPLY]
        self.assertEqual(wrong, [], "every client printed its whole answer once")
        resumed = sum("resuming after event" in err for _, _, _, err in results)

        metrics = host.status()["metrics"]
        self.assertEqual(metrics["tasks"]["succeeded"], TASKS)
        self.assertEqual(metrics["tasks"]["disconnectFailures"], 0)
        self.assertEqual(metrics["tasks"]["failed"] + metrics["tasks"]["interrupted"], 0)
        self.assertGreater(resumed, TASKS // 10, "the cuts did hit the event streams")
        print("%d tasks, %d connections cut, %d clients resumed a stream: %d failed "
              "(disconnect-related: %d)" % (TASKS, relay.cuts, resumed,
                                            metrics["tasks"]["failed"],
                                            metrics["tasks"]["disconnectFailures"]))


if __name__ == "__main__":
    unittest.main()
