"""Event streams that lose nothing: resume after drops (SSE and WebSocket), gaps, and
revocation, with the real runtime running a long task for the fake LLM."""

import json
import os
import random
import signal
import threading
import time
import unittest

import owtest
from owtest import FakeLLM, Gateway, Host, wait_until
from streams import SseStream, WebSocketStream

DROPS = 50
LONG_REPLY = " ".join("word%d" % i for i in range(300))


def payload_of(message):
    """The runtime's {type, properties} from an SSE data or a WebSocket message."""
    return message.get("payload", message)


def is_idle(payload, session_id):
    return (payload.get("type") == "session.idle"
            and payload.get("properties", {}).get("sessionID") == session_id)


class EventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        owtest.require_env()
        cls.opencode = owtest.find_opencode()

    def start(self, *host_args, reply=LONG_REPLY, delay_ms="12", config=None):
        llm = FakeLLM("--reply", reply, "--chunk-delay-ms", delay_ms)
        self.addCleanup(llm.close)
        host = Host(self.opencode, llm=llm, extra_args=host_args, config=config)
        self.addCleanup(host.close)
        host.wait_running()
        self.gateway = Gateway(host)
        result = host.cli("token", "create", "--scope", "collaborator", "--name", "phone")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.token = result.stdout.strip()
        _, workspaces, _ = self.gateway.request("GET", "/workspaces", token=self.token)
        self.base = "/w/%s/opencode" % workspaces["items"][0]["id"]
        return host

    def start_task(self, text="Write a long answer"):
        status, session, _ = self.gateway.request("POST", self.base + "/session",
                                                  token=self.token, body={})
        self.assertEqual(status, 200, session)
        status, _, _ = self.gateway.request(
            "POST", "%s/session/%s/prompt_async" % (self.base, session["id"]), token=self.token,
            body={"parts": [{"type": "text", "text": text}]})
        self.assertEqual(status, 204)
        return session["id"]

    def run_clients(self, reference, dropping):
        """Runs both readers in threads; a failure in either fails the test."""
        errors = []

        def guard(target):
            def run():
                try:
                    target()
                except Exception as error:  # reported below, with its message
                    errors.append(repr(error))
            return threading.Thread(target=run)

        threads = [guard(reference), guard(dropping)]
        for thread in threads:
            thread.start()
        return threads, errors

    def assert_same_history(self, reference, received):
        self.assertTrue(reference and received)
        start = max(reference[0][0], received[0][0])
        expected = [e for e in reference if e[0] >= start]
        got = [e for e in received if e[0] >= start]
        ids = [e[0] for e in got]
        self.assertEqual(len(ids), len(set(ids)), "duplicates after resuming")
        self.assertEqual(ids, sorted(ids), "events out of order")
        self.assertEqual(len(got), len(expected))
        self.assertEqual(got, expected)

    def resume_after_drops(self, seed, open_stream, items):
        """A reference client that never drops and one that drops DROPS times at random
        points, resuming from its last id, follow one task; both must see the same events.

        open_stream(resume_from) opens a stream (resume_from is None at first); items(stream)
        yields (seq, text, payload) for each numbered event."""
        self.start()
        rng = random.Random(seed)
        session = {}
        ready = threading.Barrier(3)
        reference, received = [], []
        drops = [0]

        def read_reference():
            stream = open_stream(None)
            ready.wait()
            for seq, text, payload in items(stream):
                reference.append((seq, text))
                if is_idle(payload, session.get("id")):
                    break
            stream.close()

        def read_with_drops():
            last, first = None, True
            while True:
                stream = open_stream(last)
                if first:
                    ready.wait()
                    first = False
                budget = rng.randint(1, 4) if drops[0] < DROPS else -1
                for seq, text, payload in items(stream):
                    received.append((seq, text))
                    last = seq
                    if is_idle(payload, session.get("id")):
                        stream.close()
                        return
                    budget -= 1
                    if budget == 0:
                        break
                stream.close()
                drops[0] += 1

        threads, errors = self.run_clients(read_reference, read_with_drops)
        ready.wait()
        session["id"] = self.start_task()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(drops[0], DROPS, "the task ended before %d drops" % DROPS)
        self.assert_same_history(reference, received)
        return len(received)

    def test_sse_resume_after_fifty_drops_loses_nothing(self):
        def sse_items(stream):
            for event_id, data in stream.events():
                if event_id is not None:
                    yield int(event_id), data, json.loads(data)

        count = self.resume_after_drops(
            4711, lambda last: SseStream(self.gateway, self.base + "/event", self.token,
                                         last_event_id=last),
            sse_items)
        print("SSE: %d events, %d drops" % (count, DROPS))

    def test_websocket_resume_after_fifty_drops_loses_nothing(self):
        def open_websocket(last):
            path = "/host/events" + ("?since=%d" % last if last is not None else "")
            stream = WebSocketStream(self.gateway, path, self.token)
            if stream.status.split()[1] != "101":
                raise AssertionError("no upgrade: " + stream.status)
            return stream

        def websocket_items(stream):
            for message in stream.messages():
                if "seq" in message:
                    yield message["seq"], json.dumps(message, sort_keys=True), payload_of(message)

        count = self.resume_after_drops(1147, open_websocket, websocket_items)
        print("WebSocket: %d events, %d drops" % (count, DROPS))

    def test_a_resume_point_older_than_the_buffer_gets_a_gap(self):
        self.start("--event-buffer", "20", reply="one two three four five six seven eight",
                   delay_ms="5")
        seen = []
        stream = SseStream(self.gateway, "/opencode/global/event", self.token)
        session_id = self.start_task()
        for event_id, data in stream.events():
            if event_id is not None:
                seen.append(int(event_id))
                if is_idle(json.loads(data)["payload"], session_id):
                    break
        stream.close()
        self.assertGreater(len(seen), 20, "the task made too few events to overflow the buffer")

        # Over SSE: the gap, then what the buffer still has (at most 20; later events may
        # have pushed out more), in order and joining the gap exactly.
        resumed = SseStream(self.gateway, "/opencode/global/event", self.token,
                            last_event_id=seen[0])
        events = []
        for event_id, data in resumed.events():
            events.append((event_id, json.loads(data)))
            if event_id is not None and int(event_id) == seen[-1]:
                break
        resumed.close()
        self.assertEqual(events[0][1]["type"], "server.connected")
        gap = events[1][1]
        self.assertEqual(gap["type"], "stream.gap")
        replayed = [int(i) for i, _ in events[2:]]
        self.assertEqual(gap["properties"]["from"], seen[0] + 1)
        self.assertEqual(gap["properties"]["to"] + 1, replayed[0])
        self.assertLessEqual(len(replayed), 20)
        self.assertEqual(replayed, seen[seen.index(replayed[0]):])

        # Over WebSocket, the same.
        socket_stream = WebSocketStream(self.gateway, "/host/events?since=%d" % seen[0], self.token)
        messages = []
        for message in socket_stream.messages():
            messages.append(message)
            if message.get("seq") == seen[-1]:
                break
        socket_stream.close()
        self.assertEqual([m.get("type") for m in messages[:2]], ["server.connected", "stream.gap"])
        # The runtime may have sent more since, pushing more out: the same structure holds.
        socket_gap = messages[1]["properties"]
        socket_replayed = [m["seq"] for m in messages[2:]]
        self.assertEqual(socket_gap["from"], seen[0] + 1)
        self.assertEqual(socket_gap["to"] + 1, socket_replayed[0])
        self.assertGreaterEqual(socket_gap["to"], gap["properties"]["to"])
        self.assertEqual(socket_replayed, seen[seen.index(socket_replayed[0]):])

        # A resume point that is not an event id is refused.
        status, answer, _ = self.gateway.request("GET", "/opencode/event", token=self.token,
                                                 headers={"Last-Event-ID": "abc"})
        self.assertEqual((status, answer["code"]), (400, "invalid_resume_point"))

    def test_a_client_too_slow_for_the_buffer_is_closed_with_a_reason(self):
        # They read nothing until the task is done, which under memcheck takes longer than
        # the host's default 30 s would let them.
        host = self.start("--event-buffer", "40",
                          reply=" ".join("slow%d" % i for i in range(1500)), delay_ms="1",
                          config="[gateway]\nstream-stall-timeout=600\n")
        # Two clients that stop reading, with small receive buffers: one SSE, one WebSocket.
        slow = SseStream(self.gateway, "/opencode/global/event", self.token,
                         receive_buffer=4096)
        slow_socket = WebSocketStream(self.gateway, "/host/events", self.token,
                                      receive_buffer=4096)
        watcher = SseStream(self.gateway, "/opencode/global/event", self.token)
        session_id = self.start_task()
        for event_id, data in watcher.events():
            if event_id is not None and is_idle(json.loads(data)["payload"], session_id):
                break
        watcher.close()

        # Only now do they read: each finds the reason, then the end. (A stream left open
        # ends the test by the socket's 30 s timeout, as a failure.)
        last = None
        count = 0
        try:
            for event_id, data in slow.events():
                last = json.loads(data)
                count += 1
            messages = sum(1 for _ in slow_socket.messages(answer_pings=False))
        except TimeoutError:
            self.fail("a slow client's stream was never closed")
        slow.close()
        slow_socket.close()
        print("the slow SSE client got %d events, then: %s" % (count, last))
        print("the slow WebSocket client got %d messages, then: %s"
              % (messages, slow_socket.close_reason))
        self.assertEqual(last["type"], "stream.closed")
        self.assertIn("Too slow", last["properties"]["reason"])
        self.assertIn("Too slow", slow_socket.close_reason)
        self.assertIn("Closing an event stream", host.stderr())

    def test_a_burst_of_runtime_events_goes_out_as_one_chunk(self):
        # The stand-in runtime sends its events in ticks of about 10 ms, each tick one chunk
        # of about ten. The gateway passes each tick on as one chunk (one write, one TLS
        # record), not split where libsoup hands the tick over in pieces.
        host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok",
                                              "OW_FAKE_RUNTIME_EVENT_RATE": "1000"})
        self.addCleanup(host.close)
        host.wait_running(timeout=60)
        token = host.cli("token", "create", "--scope", "viewer", "--name", "phone")
        self.assertEqual(token.returncode, 0, token.stderr)
        stream = SseStream(Gateway(host), "/opencode/global/event", token.stdout.strip())
        self.addCleanup(stream.close)
        counts = []
        for chunk in stream.chunks():
            counts.append(chunk.count(b'"bench.tick"'))
            if len(counts) == 60:
                break
        ticks = [count for count in counts[5:] if count > 0]  # once the stream is up
        print("events per chunk:", ticks)
        self.assertGreater(len(ticks), 40)
        self.assertLess(sum(1 for count in ticks if count == 1), len(ticks) // 10, ticks)

    def test_an_open_stream_goes_on_across_a_runtime_restart(self):
        host = self.start(reply="short answer")
        stream = SseStream(self.gateway, self.base + "/event", self.token)
        events = stream.events()

        def read_until_idle(session_id):
            ids = []
            for event_id, data in events:
                if event_id is not None:
                    ids.append(int(event_id))
                    if is_idle(json.loads(data), session_id):
                        return ids
            self.fail("the stream ended")

        before = read_until_idle(self.start_task("first"))
        old_pid = host.runtime()["pid"]
        os.kill(old_pid, signal.SIGKILL)
        wait_until(lambda: (host.runtime() or {}).get("state") == "running"
                   and host.runtime()["pid"] != old_pid, 20, 0.05, "the runtime to come back")

        # Until the hub listens to the new runtime, the proxy asks clients to retry.
        def session_created():
            status, session, _ = self.gateway.request("POST", self.base + "/session",
                                                      token=self.token, body={})
            self.assertIn(status, (200, 503))
            return session if status == 200 else None
        session = wait_until(session_created, 20, 0.1, "the proxy to accept requests again")
        status, _, _ = self.gateway.request(
            "POST", "%s/session/%s/prompt_async" % (self.base, session["id"]), token=self.token,
            body={"parts": [{"type": "text", "text": "second"}]})
        self.assertEqual(status, 204)

        after = read_until_idle(session["id"])
        stream.close()
        self.assertTrue(after)
        self.assertGreater(after[0], before[-1])
        self.assertEqual(after, sorted(set(after)))

    def test_revoking_a_token_closes_its_streams_within_a_second(self):
        host = self.start(reply="short")
        result = host.cli("token", "create", "--scope", "viewer", "--name", "to revoke")
        doomed = result.stdout.strip()
        token_id = json.loads(host.cli("token", "list", "--json").stdout)["items"][-1]["id"]

        sse = SseStream(self.gateway, self.base + "/event", doomed)
        websocket = WebSocketStream(self.gateway, "/host/events", doomed)
        kept = SseStream(self.gateway, self.base + "/event", self.token)
        ended = {}

        def wait_end(name, iterator):
            def run():
                for _ in iterator:
                    pass
                ended[name] = time.monotonic()
            thread = threading.Thread(target=run)
            thread.start()
            return thread

        threads = [wait_end("sse", sse.events()), wait_end("websocket", websocket.messages())]
        time.sleep(0.3)
        revoked_at = time.monotonic()
        self.assertEqual(host.cli("token", "revoke", token_id).returncode, 0)
        for thread in threads:
            thread.join(timeout=5)
        print("streams closed %.3f s and %.3f s after revocation"
              % (ended["sse"] - revoked_at, ended["websocket"] - revoked_at))
        # memcheck runs the host some 20 times slower; the bound is for real runs.
        bound = 5.0 if owtest.VALGRIND else 1.0
        self.assertLess(ended["sse"] - revoked_at, bound)
        self.assertLess(ended["websocket"] - revoked_at, bound)
        self.assertIn("revoked", websocket.close_reason)
        sse.close()
        websocket.close()

        # Another token's stream goes on.
        session_id = self.start_task("hello")
        for event_id, data in kept.events():
            if event_id is not None and is_idle(json.loads(data), session_id):
                break
        kept.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
