#!/usr/bin/env python3
"""OpenWork Host benchmarks (run through bench/run). Every comparison is measured side by
side in this one run, with the same load generator (wrk) and the same upstream:

  proxy     a small OpenCode GET (/global/health of the real runtime): the runtime
            directly, through the gateway (TLS, keep-alive, token), through nginx (TLS,
            keep-alive, basic auth); at full load, then paced to the same load
  ceiling   the same with a fast static upstream (the C stand-in runtime)
  fanout    one producer to 100 and 500 clients, half SSE and half WebSocket
  pairing   start-to-token time of the reference client, owner approving at once
  idle      host RSS (headless, desktop face), wake-ups per minute, start to a ready
            control socket

Prints each figure as it is measured and a summary table at the end. Only loopback is
used."""

import argparse
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("OW_BENCH_BUILD", os.path.join(SOURCE, "_build"))
os.environ.setdefault("OW_HOST_BIN", os.path.join(BUILD, "src", "openwork-host"))
os.environ.setdefault("OW_FAKE_RUNTIME", os.path.join(BUILD, "tests", "ow-fake-runtime"))
os.environ.setdefault("OW_FAKE_LLM", os.path.join(BUILD, "tests", "ow-fake-llm"))
with open(os.path.join(SOURCE, "build-aux", "opencode-version")) as f:
    os.environ.setdefault("OW_OPENCODE_VERSION", f.read().strip())
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

import owtest  # noqa: E402
from owtest import Host, control, process_environ, wait_until  # noqa: E402

results = []


def report(section, name, value, unit, note=""):
    results.append((section, name, value, unit, note))
    shown = ("%.1f" % value) if isinstance(value, float) else str(value)
    print("  %-44s %12s %-8s %s" % (name, shown, unit, note), flush=True)


# Load with wrk

def wrk(url, headers, seconds, connections=16, paced=False):
    """Requests/s and p99 latency (ms) from one wrk run on one thread; @paced: each
    connection waits 5 ms between requests (bench/paced.lua)."""
    command = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency"]
    if paced:
        command += ["-s", os.path.join(SOURCE, "bench", "paced.lua")]
    for name, value in headers.items():
        command += ["-H", "%s: %s" % (name, value)]
    output = subprocess.run(command + [url], capture_output=True, text=True,
                            check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors or "Socket errors" in output:
        raise RuntimeError("wrk saw errors:\n" + output)
    return rps, p99


class Nginx:
    """nginx with TLS and basic auth in front of an upstream on loopback."""

    def __init__(self, upstream_port, upstream_authorization):
        self.dir = tempfile.mkdtemp(prefix="ow-bench-nginx-")
        self.port = free_port()
        key, cert = (os.path.join(self.dir, n) for n in ("key.pem", "cert.pem"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        hashed = subprocess.run(["openssl", "passwd", "-apr1", "bench"], check=True,
                                capture_output=True, text=True).stdout.strip()
        with open(os.path.join(self.dir, "htpasswd"), "w") as f:
            f.write("bench:%s\n" % hashed)
        self.authorization = "Basic " + base64.b64encode(b"bench:bench").decode()
        user = "user root;" if os.getuid() == 0 else ""
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write("""
%(user)s
worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(dir)s/body;
  proxy_temp_path %(dir)s/proxy;
  upstream runtime { server 127.0.0.1:%(upstream)d; keepalive 64; }
  server {
    listen 127.0.0.1:%(port)d ssl;
    ssl_certificate %(cert)s;
    ssl_certificate_key %(key)s;
    keepalive_requests 1000000;
    location / {
      auth_basic "bench";
      auth_basic_user_file %(dir)s/htpasswd;
      proxy_pass http://runtime;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "%(upstream_authorization)s";
      proxy_buffering off;
    }
  }
}
""" % dict(user=user, dir=self.dir, upstream=upstream_port, port=self.port, cert=cert,
           key=key, upstream_authorization=upstream_authorization))
        self.process = subprocess.Popen(
            ["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
             "-g", "daemon off;"], stderr=subprocess.PIPE)
        wait_until(lambda: port_open(self.port), 10, what="nginx to listen")

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def start_host(opencode, env=None, config=None, args=()):
    host = Host(opencode, env=env, config=config, extra_args=args)
    host.wait_running(timeout=120)
    return host


def token(host, scope="collaborator"):
    result = host.cli("token", "create", "--scope", scope, "--name", "bench")
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout.strip()


def compare_proxies(section, host, path, seconds):
    """The runtime directly, through the gateway and through nginx, one after another."""
    status = host.status()
    runtime = status["runtime"]
    password = host.runtime_password(runtime["pid"])
    basic = "Basic " + base64.b64encode(("opencode:" + password).encode()).decode()
    gateway_port = status["gateway"]["port"]
    bearer = "Bearer " + token(host)
    nginx = Nginx(runtime["port"], basic)
    targets = {
        "direct": ("http://127.0.0.1:%d%s" % (runtime["port"], path), {"Authorization": basic}),
        "gateway": ("https://127.0.0.1:%d/opencode%s" % (gateway_port, path),
                    {"Authorization": bearer}),
        "nginx": ("https://127.0.0.1:%d%s" % (nginx.port, path),
                  {"Authorization": nginx.authorization}),
    }
    try:
        # Warm every path (the runtime's JIT, TLS session set-up), then measure them in
        # turn twice and keep each one's better run, so that order does not favour one.
        for url, headers in targets.values():
            wrk(url, headers, 2)
        runs = {}
        for _ in range(2):
            for name, (url, headers) in targets.items():
                rps, p99 = wrk(url, headers, seconds)
                if name not in runs or rps > runs[name][0]:
                    runs[name] = (rps, p99)
        # At full load, a proxy that lets more requests through also makes its upstream's
        # own latency worse; paced, every path carries about the same load, and the
        # latencies compare what each proxy adds. The real runtime's latency wanders by a
        # few ms from run to run: each path runs three times in turn, its median counts.
        paced_runs = {name: [] for name in targets}
        for _ in range(3):
            for name, (url, headers) in targets.items():
                paced_runs[name].append(wrk(url, headers, seconds, paced=True))
        paced = {name: (statistics.median(r for r, _ in runs_),
                        statistics.median(p for _, p in runs_))
                 for name, runs_ in paced_runs.items()}
    finally:
        nginx.close()
    direct_rps, direct_p99 = runs["direct"]
    for name, (rps, p99) in runs.items():
        report(section, "%s requests/s" % name, rps, "req/s")
        report(section, "%s p99" % name, p99, "ms")
    for name in ("gateway", "nginx"):
        rps, p99 = runs[name]
        # The time a request spends in the proxy: its per-request cost over the direct one.
        added_us = (1 / rps - 1 / direct_rps) * 1e6 * 16  # 16 requests in flight
        report(section, "%s added latency per request" % name, added_us / 1000, "ms",
               "(16 in flight)")
        report(section, "%s throughput vs direct" % name, rps / direct_rps, "ratio")
    report(section, "gateway throughput / nginx throughput",
           runs["gateway"][0] / runs["nginx"][0], "ratio", "(>= 1: the gateway costs no more)")
    report(section, "gateway p99 / nginx p99", runs["gateway"][1] / runs["nginx"][1], "ratio")
    for name, (rps, p99) in paced.items():
        report(section, "paced %s requests/s" % name, rps, "req/s",
               "(5 ms between requests; median of 3)")
        report(section, "paced %s p99" % name, p99, "ms")
    report(section, "paced gateway p99 / nginx p99",
           paced["gateway"][1] / paced["nginx"][1], "ratio", "(<= 1: adds no more latency)")


def bench_proxy(args):
    print("proxy: /global/health of the real OpenCode runtime", flush=True)
    host = start_host(owtest.find_opencode())
    try:
        compare_proxies("proxy", host, "/global/health", args.seconds)
    finally:
        host.close()


def bench_ceiling(args):
    print("ceiling: the same against a fast static upstream (C stand-in runtime)", flush=True)
    host = start_host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok"})
    try:
        compare_proxies("ceiling", host, "/global/health", args.seconds)
    finally:
        host.close()


def rss_kb(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User and system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_fanout(args):
    print("fanout: one producer, events through the gateway to SSE and WebSocket clients",
          flush=True)
    for clients, rate in ((100, 1000), (500, 200)):
        # Every client comes from one address with one token: the caps meant for a LAN
        # (128 connections an address, 32 streams a token) would turn most of them away.
        config = ("[gateway]\nmax-connections-per-address=1000\nmax-streams-per-token=1000\n")
        host = start_host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok",
                                                    "OW_FAKE_RUNTIME_EVENT_RATE": str(rate)},
                          config=config)
        try:
            status = host.status()
            command = ["node", os.path.join(SOURCE, "bench", "fanout.mjs"),
                       "--url", "https://127.0.0.1:%d" % status["gateway"]["port"],
                       "--ca", status["gateway"]["certificate"], "--token", token(host),
                       "--sse", str(clients // 2), "--ws", str(clients - clients // 2),
                       "--seconds", str(args.seconds)]
            cpu_before, wall_before = cpu_seconds(host.process.pid), time.monotonic()
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            host_cpu = ((cpu_seconds(host.process.pid) - cpu_before) /
                        (time.monotonic() - wall_before))
            if result.returncode != 0:
                raise RuntimeError("fanout clients failed: " + result.stderr)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            section = "fanout %d" % clients
            report(section, "produced", float(rate), "events/s", "(one producer)")
            report(section, "delivered", figures["eventsPerSecond"], "events/s",
                   "(%d%% of %d)" % (100 * figures["eventsPerSecond"] / (rate * clients),
                                     rate * clients))
            report(section, "latency p50", figures["p50Ms"], "ms")
            report(section, "latency p99", figures["p99Ms"], "ms")
            report(section, "host CPU", 100 * host_cpu, "%",
                   "(of one core; the clients share the machine's 2 cores)")
            report(section, "host RSS at the end", rss_kb(host.process.pid) / 1024, "MiB")
            report(section, "host peak RSS", rss_kb(host.process.pid, "VmHWM") / 1024, "MiB")
        finally:
            host.close()


def bench_pairing(args):
    print("pairing: start to token, reference client on loopback, owner approves at once",
          flush=True)
    config = "[pairing]\nattempts-per-minute=100000\nmax-pending=1000\n"
    host = start_host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok"}, config=config)
    stop = threading.Event()
    seen = {}  # request id: when the owner's side saw it

    def approve():
        while not stop.is_set():
            status, answer = control(host, "GET", "/api/pair/requests")
            for request in (answer or {}).get("items", []):
                seen[request["id"]] = time.monotonic()
                control(host, "POST", "/api/pair/requests/" + request["id"],
                        {"reply": "allow", "scope": "viewer"})
            time.sleep(0.001)

    approver = threading.Thread(target=approve, daemon=True)
    approver.start()
    times = []
    after_approval = []
    port = host.status()["gateway"]["port"]
    try:
        for i in range(args.pairings):
            # Each pairing uses up its code; POST shows a fresh one.
            offer = control(host, "POST", "/api/pair/offer", {})[1]["offer"]
            phone = tempfile.mkdtemp(prefix="ow-bench-phone-")
            started = time.monotonic()
            result = subprocess.run([owtest.HOST_BIN, "client", "--data-dir", phone, "pair",
                                     "--uri", offer["uri"], "--host", "127.0.0.1:%d" % port,
                                     "--name", "Bench %d" % i],
                                    capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                    timeout=60)
            ended = time.monotonic()
            times.append((ended - started) * 1000)
            approved = [t for t in seen.values() if t >= started]
            if approved:
                after_approval.append((ended - max(approved)) * 1000)
            shutil.rmtree(phone, ignore_errors=True)
            if result.returncode != 0:
                raise RuntimeError("pairing failed: " + result.stderr)
    finally:
        stop.set()
        approver.join()
        host.close()
    times.sort()
    report("pairing", "runs", len(times), "")
    report("pairing", "start to token p50", statistics.median(times), "ms")
    report("pairing", "start to token p99", times[min(len(times) - 1, int(0.99 * len(times)))],
           "ms", "(a new client process each time)")
    report("pairing", "approval to token p50", statistics.median(after_approval), "ms",
           "(the owner's answer reaching the waiting client)")
    # What a client process spends before it speaks: the same binary, no network.
    starts = []
    for _ in range(10):
        started = time.monotonic()
        subprocess.run([owtest.HOST_BIN, "client", "--help"], capture_output=True)
        starts.append((time.monotonic() - started) * 1000)
    report("pairing", "client process start and exit", statistics.median(starts), "ms",
           "(part of each run above)")


def context_switches(pid):
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, task)) as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


def memory_figures(section, pid):
    """RSS, and what of it is the host's alone: PSS shares library pages among the processes
    that map them, Anonymous is private memory (heap, stacks)."""
    with open("/proc/%d/smaps_rollup" % pid) as f:
        rollup = {line.split(":")[0]: int(line.split()[1]) for line in f if ":" in line
                  and line.split()[1].isdigit()}
    report(section, "host RSS (runtime not counted)", rss_kb(pid) / 1024, "MiB")
    report(section, "host PSS", rollup["Pss"] / 1024, "MiB", "(library pages shared out)")
    report(section, "host private (anonymous)", rollup["Anonymous"] / 1024, "MiB")


def idle_figures(section, pid, seconds):
    """Memory, and how often the idle host wakes: its threads' context switches, and the
    seconds in which any happened (one health check wakes several threads at once)."""
    time.sleep(3)  # settle after start
    memory_figures(section, pid)
    before = previous = context_switches(pid)
    busy_seconds = 0
    for _ in range(seconds):
        time.sleep(1)
        now = context_switches(pid)
        busy_seconds += now != previous
        previous = now
    report(section, "context switches per minute", (previous - before) * 60 / seconds, "/min")
    report(section, "seconds with a wake-up, per minute", busy_seconds * 60 / seconds, "/min",
           "(the runtime health check runs every 30 s)")


def bench_idle(args):
    print("idle: headless and with the desktop face", flush=True)
    host = start_host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok"})
    try:
        idle_figures("idle headless", host.process.pid, args.idle_seconds)
    finally:
        host.close()

    # What a server installs: the build without the desktop face (bench/run makes it).
    headless_bin = os.path.join(SOURCE, "_build-headless", "src", "openwork-host")
    if os.path.exists(headless_bin):
        saved, owtest.HOST_BIN = owtest.HOST_BIN, headless_bin
        try:
            host = start_host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok"})
            try:
                idle_figures("idle headless-only build", host.process.pid, args.idle_seconds)
            finally:
                host.close()
        finally:
            owtest.HOST_BIN = saved

    if os.path.isdir(os.path.join(BUILD, "data")) and shutil.which("Xvfb"):
        # The desktop face on its own display and session bus; without a tray it shows its
        # main window.
        display = ":%d" % (90 + os.getpid() % 9)
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten",
                                 "tcp"], stderr=subprocess.DEVNULL)
        time.sleep(1)
        try:
            host = Host(owtest.FAKE_RUNTIME, env={"OW_FAKE_RUNTIME_MODE": "ok",
                                                  "DISPLAY": display, "NO_AT_BRIDGE": "1",
                                                  "GSETTINGS_SCHEMA_DIR":
                                                  os.path.join(BUILD, "data")},
                        headless=False, wrap=["dbus-run-session", "--"])
            try:
                wait_until(lambda: host.status() is not None, 60, what="the desktop host")
                desktop_pid = int(subprocess.run(["pgrep", "-P", str(host.process.pid), "-f",
                                                  "openwork-host"], capture_output=True,
                                                 text=True).stdout.split()[0])
                idle_figures("idle desktop", desktop_pid, args.idle_seconds)
            finally:
                host.close()
        finally:
            xvfb.terminate()
            xvfb.wait()

    times = []
    for _ in range(args.starts):
        root = tempfile.mkdtemp(prefix="ow-bench-start-")
        sock = os.path.join(root, "control.sock")
        started = time.monotonic()
        process = subprocess.Popen([owtest.HOST_BIN, "--headless", "--data-dir", root,
                                    "--port", "0", "--no-discovery", "--opencode",
                                    owtest.FAKE_RUNTIME],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL,
                                   env=dict(os.environ, OW_FAKE_RUNTIME_MODE="ok"))
        while True:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(sock)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() - started > 30:
                    raise RuntimeError("the host did not start")
                time.sleep(0.0005)
        times.append((time.monotonic() - started) * 1000)
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)
    times.sort()
    report("start", "start to a ready control socket p50", statistics.median(times), "ms",
           "(%d starts)" % len(times))
    report("start", "start to a ready control socket max", times[-1], "ms")


SECTIONS = {"proxy": bench_proxy, "ceiling": bench_ceiling, "fanout": bench_fanout,
            "pairing": bench_pairing, "idle": bench_idle}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*",
                        help="what to measure: %s (default: all)" % ", ".join(SECTIONS))
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--pairings", type=int, default=50)
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--idle-seconds", type=int, default=60)
    args = parser.parse_args()
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error("no such section: %s" % ", ".join(unknown))

    with open("/proc/cpuinfo") as f:
        cpu = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    with open("/proc/meminfo") as f:
        memory = int(f.readline().split()[1]) // 1024 // 1024
    print("machine: %s, %d cores, %d GiB, %s" % (cpu, os.cpu_count(), memory,
                                                  os.uname().release), flush=True)
    print("host build: %s" % BUILD, flush=True)
    for name in args.sections or list(SECTIONS):
        SECTIONS[name](args)

    print("\nsummary")
    for section, name, value, unit, note in results:
        shown = ("%.2f" % value) if isinstance(value, float) else str(value)
        print("| %s | %s | %s %s | %s |" % (section, name, shown, unit, note))


if __name__ == "__main__":
    main()
