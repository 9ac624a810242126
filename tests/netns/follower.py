"""A phone's view of one task, run inside the phone's namespace: it follows a workspace's
event stream over TLS, resuming with Last-Event-ID after every failure, until the session
is idle, and prints every event it got as JSON.

  follower.py HOST PORT TOKEN CAFILE WORKSPACE start   creates a session, prints its id,
                                                       waits for a line on stdin, then opens
                                                       the stream and sends the prompt
  follower.py HOST PORT TOKEN CAFILE WORKSPACE watch SESSION   only follows
"""

import http.client
import json
import socket
import ssl
import sys
import time

host, port, token, cafile, workspace, mode = sys.argv[1:7]
port = int(port)
context = ssl.create_default_context(cafile=cafile)
context.check_hostname = False  # the certificate itself is pinned by cafile
base = "/w/%s/opencode" % workspace
headers = {"Authorization": "Bearer " + token}
DEADLINE = time.monotonic() + 300


def request(method, path, body=None):
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=30)
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=dict(headers, **({"Content-Type": "application/json"}
                                                if body is not None else {})))
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, (json.loads(data) if data else None)


def open_stream(last_id):
    sock = socket.create_connection((host, port), timeout=20)
    tls = context.wrap_socket(sock)
    lines = ["GET %s/event HTTP/1.1" % base, "Host: %s:%d" % (host, port),
             "Authorization: Bearer " + token, "Accept: text/event-stream"]
    if last_id:
        lines.append("Last-Event-ID: " + last_id)
    tls.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    reader = tls.makefile("rb")
    status = reader.readline()
    if b" 200 " not in status:
        raise OSError("stream refused: %r" % status)
    while reader.readline() not in (b"\r\n", b"\n", b""):
        pass
    return tls, reader


def chunks(reader):
    """Decodes the chunked body into lines."""
    buffer = b""
    while True:
        size_line = reader.readline()
        if not size_line:
            raise OSError("stream ended")
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            raise OSError("stream ended")
        buffer += reader.read(size)
        reader.readline()
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.rstrip(b"\r").decode()


def follow(session, events, state):
    tls, reader = open_stream(state["last"])
    if state.get("on_open"):
        state.pop("on_open")()
    event_id, data = None, []
    for line in chunks(reader):
        if line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif line == "":
            if data and event_id:
                payload = json.loads("\n".join(data))
                events.append([event_id, payload])
                state["last"] = event_id
                props = payload.get("properties", {})
                if payload.get("type") == "session.idle" and props.get("sessionID") == session:
                    tls.close()
                    return True
            event_id, data = None, []
    return False


def main():
    if mode == "start":
        status, created = request("POST", base + "/session", {})
        assert status == 200, created
        session = created["id"]
        print(session, flush=True)
        sys.stdin.readline()

        def prompt():
            status, _ = request("POST", "%s/session/%s/prompt_async" % (base, session),
                                {"parts": [{"type": "text", "text": "Write a long answer"}]})
            assert status == 204, status
    else:
        session = sys.argv[7]

        def prompt():
            print("watching", flush=True)  # once the stream is open

    events, state, reconnects = [], {"last": None, "on_open": prompt}, 0
    while time.monotonic() < DEADLINE:
        try:
            if follow(session, events, state):
                break
        except (OSError, ValueError, ssl.SSLError, http.client.HTTPException) as error:
            reconnects += 1
            print("reconnect after: %s" % error, file=sys.stderr, flush=True)
            time.sleep(0.05)
    else:
        raise SystemExit("the task did not end within the deadline")
    print(json.dumps({"session": session, "reconnects": reconnects, "events": events}),
          flush=True)


main()
