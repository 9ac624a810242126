"""Helpers for the integration tests: a host in a throwaway data folder, the scripted fake
LLM, and small HTTP and process utilities. Standard library only."""

import base64
import http.client as httpclient
import json
import socket
import ssl
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HOST_BIN = os.environ.get("OW_HOST_BIN")
FAKE_LLM = os.environ.get("OW_FAKE_LLM")
FAKE_RUNTIME = os.environ.get("OW_FAKE_RUNTIME")
PINNED_VERSION = os.environ.get("OW_OPENCODE_VERSION")
# `meson test --setup valgrind` runs every host process under memcheck (see close()).
VALGRIND = os.environ.get("OW_VALGRIND_SUPPRESSIONS")


def require_env():
    missing = [n for n in ("OW_HOST_BIN", "OW_FAKE_LLM", "OW_FAKE_RUNTIME", "OW_OPENCODE_VERSION")
               if not os.environ.get(n)]
    if missing:
        raise SystemExit("Run these tests through meson test (missing %s)" % ", ".join(missing))


def find_opencode():
    """The real runtime, found the way the host finds it, before tests move XDG folders."""
    explicit = os.environ.get("OPENWORK_HOST_TEST_OPENCODE")
    if explicit:
        return explicit
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    pinned = os.path.join(data_home, "openwork-host", "runtime",
                          "opencode-ai-" + PINNED_VERSION, "node_modules", ".bin", "opencode")
    if os.access(pinned, os.X_OK):
        return pinned
    found = shutil.which("opencode")
    if found:
        return found
    raise SystemExit("The OpenCode runtime %s is not installed; run build-aux/test (or "
                     "build-aux/install-deps) first." % PINNED_VERSION)


JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "js")


def require_js_clients():
    """Stops the suite unless the JavaScript clients in tests/js are installed."""
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@opencode-ai", "sdk")):
        raise SystemExit("The SDK is not installed in tests/js; run build-aux/install-deps.")


# Ports for free_port(): below the kernel's ephemeral range, which port-0 binds never leave,
# and a slice of their own for each test process, as tests run side by side.
PORTS_FROM = 10000
PORTS_PER_PROCESS = 32
_last_port = [None]


def free_port():
    """A loopback port free now that nothing else will take before the test uses it: a
    port-0 bind would hand back a number any other program's next port-0 bind may get.
    Handed out in turn, so that one comes back only long after its last test ended."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_from = int(f.read().split()[0])
    slices = (ephemeral_from - PORTS_FROM) // PORTS_PER_PROCESS
    first = PORTS_FROM + (os.getpid() % slices) * PORTS_PER_PROCESS
    start = 0 if _last_port[0] is None else _last_port[0] - first + 1
    for i in range(PORTS_PER_PROCESS):
        port = first + (start + i) % PORTS_PER_PROCESS
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _last_port[0] = port
        return port
    raise AssertionError("no free port in %d-%d" % (first, first + PORTS_PER_PROCESS - 1))


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls until predicate() is truthy; returns its value or fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def process_alive(pid):
    """True for a live process; a zombie waiting to be reaped does not count."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def process_environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        pairs = f.read().split(b"\0")
    return dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)


def http(method, url, body=None, user=None, password=None, headers=None, timeout=10):
    """Returns (status, parsed JSON or text or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if user is not None:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    if not raw:
        return status, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class FakeLLM:
    def __init__(self, *args, wrap=()):
        self.process = subprocess.Popen([*wrap, FAKE_LLM, *args], stdout=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline()
        if "listening on " not in line:
            raise AssertionError("fake LLM did not start: %r" % line)
        self.base_url = line.split("listening on ")[1].strip()

    def completions(self):
        """Only for a fake LLM in this network namespace."""
        return http("GET", self.base_url.replace("/v1", "/_fake/stats"))[1]["completions"]

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        if self.process.returncode not in (0, -15):
            raise AssertionError("the fake LLM ended with status %s" % self.process.returncode)


class Host:
    """An openwork-host process with its own data folder and isolated XDG folders."""

    def __init__(self, opencode, llm=None, extra_args=(), env=None, config=None,
                 discovery=False, wrap=(), opencode_config=None, headless=True):
        self.root = tempfile.mkdtemp(prefix="ow-it-")
        self.data_dir = os.path.join(self.root, "data")
        self.workspace = os.path.join(self.root, "workspace")
        os.makedirs(self.workspace)
        if config is not None:
            os.makedirs(os.path.join(self.data_dir, "config"))
            with open(os.path.join(self.data_dir, "config", "host.conf"), "w") as f:
                f.write(config)
        self.env = dict(os.environ)
        home = os.path.join(self.root, "home")
        self.env.update({
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
        })
        self.env.pop("DISPLAY", None)
        self.env.pop("WAYLAND_DISPLAY", None)
        if llm is not None:
            self.env["OPENCODE_CONFIG"] = self._write_opencode_config(llm, opencode_config)
        self.env.update(env or {})
        self.extra_args = list(extra_args)
        # Tests on the machine's own network never announce anything; the netns suite turns
        # discovery on inside its own namespaces. wrap runs the host inside one.
        if not discovery:
            self.extra_args.append("--no-discovery")
        self.wrap = list(wrap)
        # The ui suite runs the desktop face (env then names the display).
        self.headless = headless
        self.stderr_path = os.path.join(self.root, "host.stderr")
        self.process = self.start_process(opencode)

    def memcheck(self):
        """The valgrind command line the host runs under, or nothing."""
        if not VALGRIND:
            return []
        # Each start of the host writes its own log (%p: the pid).
        return ["valgrind", "--tool=memcheck", "--leak-check=full",
                "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
                "--num-callers=40", "--suppressions=" + VALGRIND,
                "--log-file=" + os.path.join(self.root, "memcheck.%p.log")]

    def start_process(self, opencode):
        """Starts (or, after a kill, starts again) the host process on this data folder."""
        with open(self.stderr_path, "ab") as stderr:
            return subprocess.Popen(
                [*self.wrap, *self.memcheck(), HOST_BIN, *(["--headless"] if self.headless else []),
                 "--data-dir", self.data_dir, "--port", "0",
                 "--workspace", self.workspace, "--opencode", opencode, *self.extra_args],
                env=self.env, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)

    def _write_opencode_config(self, llm, extra=None):
        path = os.path.join(self.root, "opencode.json")
        config = {
            "provider": {"fake": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Fake LLM",
                "options": {"baseURL": llm.base_url, "apiKey": "test"},
                "models": {"fake-model": {"name": "Fake model"}},
            }},
            "model": "fake/fake-model",
            "small_model": "fake/fake-model",
            "autoupdate": False,
            "share": "disabled",
        }
        config.update(extra or {})
        with open(path, "w") as f:
            json.dump(config, f)
        return path

    def cli(self, *args, timeout=30):
        return subprocess.run([HOST_BIN, "--data-dir", self.data_dir, *args], env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def status(self):
        """What `openwork-host status --json` prints (test_cli runs that), read from the
        control socket itself: tests poll this, and a process per poll costs seconds."""
        try:
            code, answer = control(self, "GET", "/v1/status")
        except (OSError, httpclient.HTTPException, ValueError):
            return None
        return answer if code == 200 else None

    def runtime(self):
        status = self.status()
        return status["runtime"] if status else None

    def wait_running(self, timeout=60):
        def running():
            if self.process.poll() is not None:
                raise AssertionError("the host exited with %s:\n%s"
                                     % (self.process.returncode, self.stderr()))
            runtime = self.runtime()
            # Running, and heard: until the host hears its events, requests get 503.
            return (runtime if runtime and runtime["state"] == "running"
                    and runtime["eventsLive"] else None)
        return wait_until(running, timeout, what="the runtime to be running")

    def runtime_password(self, pid):
        return process_environ(pid)["OPENCODE_SERVER_PASSWORD"]

    def memcheck_errors(self):
        """The memcheck logs that report errors (a host killed with SIGKILL reports none)."""
        found = []
        for name in sorted(os.listdir(self.root)):
            if not name.startswith("memcheck."):
                continue
            with open(os.path.join(self.root, name), errors="replace") as f:
                log = f.read()
            if "ERROR SUMMARY: 0 errors" not in log and "ERROR SUMMARY:" in log:
                found.append(log[-20000:])
        return "\n".join(found)

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def close(self):
        if not os.path.isdir(self.root):
            return  # closed already
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        stderr = self.stderr()
        memcheck = self.memcheck_errors()
        shutil.rmtree(self.root, ignore_errors=True)
        if memcheck:
            raise AssertionError("memcheck found errors in the host:\n" + memcheck)
        # Under the sanitizers a report at exit (a leak, say) must fail the test.
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in stderr:
                raise AssertionError("the host reported a sanitizer error:\n" + stderr[-4000:])


class UnixHTTPConnection(httpclient.HTTPConnection):
    """HTTP over the host's control socket."""

    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def control(host, method, path, body=None):
    """Returns (status, parsed JSON or None) from the host's control socket."""
    connection = UnixHTTPConnection(os.path.join(host.data_dir, "control.sock"))
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data,
                           headers={"Content-Type": "application/json"} if data else {})
        response = connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)
    finally:
        connection.close()


class Gateway:
    """HTTPS requests to a host's gateway, trusting only the host's own certificate."""

    def __init__(self, host):
        status = host.status()
        self.port = status["gateway"]["port"]
        self.certificate = status["gateway"]["certificate"]
        self.context = ssl.create_default_context(cafile=self.certificate)

    def request(self, method, path, token=None, body=None, headers=None, raw_body=None):
        # Under memcheck the host runs tens of times slower: a large answer it reads whole
        # (a config redacted for a viewer, say) takes seconds there.
        connection = httpclient.HTTPSConnection("localhost", self.port, context=self.context,
                                                 timeout=60 if VALGRIND else 15)
        try:
            all_headers = dict(headers or {})
            if token is not None:
                all_headers["Authorization"] = "Bearer " + token
            data = raw_body
            if body is not None:
                data = json.dumps(body).encode()
                all_headers["Content-Type"] = "application/json"
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return response.status, parsed, dict(response.getheaders())
        finally:
            connection.close()
