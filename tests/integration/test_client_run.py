"""The reference client's `run`: a task through a relay that keeps cutting the event
stream. The client resumes each time, and what it prints is the whole answer, once."""

import socket
import threading
import time
import unittest

import owtest
from owtest import FakeLLM, Host, wait_until
from pairing import Phone, answer, finish, offer, wait_pending

WORDS = 300
REPLY = " ".join("word%d" % i for i in range(WORDS))


class CuttingRelay:
    """A TCP relay (TLS passes through untouched) that cuts every connection that has
    carried more than a little towards the client, i.e. the event stream, every
    @interval seconds, and leaves short requests alone."""

    def __init__(self, target_port, interval=0.6, cuts=8):
        self.target_port = target_port
        self.interval = interval
        self.cuts_left = cuts
        self.cuts = 0
        self.connections = []  # [client socket, upstream socket, bytes towards the client]
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.running = True
        threading.Thread(target=self.serve, daemon=True).start()
        threading.Thread(target=self.cut_loop, daemon=True).start()

    def serve(self):
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            entry = [client, upstream, 0]
            with self.lock:
                self.connections.append(entry)
            threading.Thread(target=self.pump, args=(client, upstream, entry, False),
                             daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, entry, True),
                             daemon=True).start()

    def pump(self, source, sink, entry, downstream):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if downstream:
                    entry[2] += len(data)
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut_loop(self):
        while self.running and self.cuts_left > 0:
            time.sleep(self.interval)
            with self.lock:
                streams = [e for e in self.connections if e[2] > 4096]
                self.connections = [e for e in self.connections if e[2] <= 4096]
            for client, upstream, _ in streams:
                for s in (client, upstream):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            if streams:
                self.cuts += 1
                self.cuts_left -= 1

    def close(self):
        self.running = False
        self.listener.close()


class ClientRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def test_a_task_streams_to_the_end_through_cut_connections(self):
        llm = FakeLLM("--reply", REPLY, "--chunk-delay-ms", "15")
        self.addCleanup(llm.close)
        host = Host(self.opencode, llm=llm)
        self.addCleanup(host.close)
        host.wait_running()
        port = host.status()["gateway"]["port"]
        relay = CuttingRelay(port)
        self.addCleanup(relay.close)

        phone = Phone(host.root)
        relay.cuts_left = 0  # pairing goes through the relay untouched
        process = phone.pair("--code", offer(host)["offer"]["code"],
                             "--host", "127.0.0.1:%d" % relay.port)
        answer(host, wait_pending(host, process)[0]["id"])
        returncode, _, err = finish(process)
        self.assertEqual(returncode, 0, err)

        relay.cuts_left = 8
        threading.Thread(target=relay.cut_loop, daemon=True).start()
        result = phone.run("run", "Write a long answer", timeout=180)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(relay.cuts, 2, "the stream was cut during the task")
        self.assertIn("resuming after event", result.stderr)
        # Every word once, in order: nothing lost, nothing repeated.
        self.assertEqual(result.stdout.split(), REPLY.split())
        print("%d cuts during the task; the client printed all %d words once"
              % (relay.cuts, WORDS))


if __name__ == "__main__":
    unittest.main()
