"""Pairing helpers shared by the loopback and netns tests: the reference client as a
phone, and the host owner's side through the control socket."""

import json
import os
import subprocess
import urllib.parse

import owtest
from owtest import control, wait_until


class Phone:
    """The reference client (openwork-host client) with its own data folder."""

    def __init__(self, root, name="Test phone", wrap=(), env=None):
        self.dir = os.path.join(root, "phone-%d" % id(self))
        self.name = name
        self.wrap = list(wrap)
        self.env = env

    def command(self, *args):
        return [*self.wrap, owtest.HOST_BIN, "client", "--data-dir", self.dir, *args]

    def start(self, *args):
        """Starts a client command in the background."""
        return subprocess.Popen(self.command(*args), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)

    def run(self, *args, timeout=60):
        return subprocess.run(self.command(*args), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, env=self.env)

    def pair(self, *how, name=None):
        return self.start("pair", *how, "--name", name or self.name)

    def saved(self):
        """The saved credential, or None when not paired."""
        try:
            with open(os.path.join(self.dir, "client.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return None


def offer(host, new=False):
    status, body = control(host, "POST" if new else "GET", "/api/pair/offer")
    assert status == 200, (status, body)
    return body


def grant_of(link):
    """The one-time grant a connect-remote link carries."""
    query = urllib.parse.urlparse(link).query
    return urllib.parse.parse_qs(query)["openworkToken"][0]


def pending(host):
    status, body = control(host, "GET", "/api/pair/requests")
    assert status == 200, (status, body)
    return body["items"]


def wait_pending(host, process=None, timeout=20):
    def ready():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError("the client ended (%s) before asking: %s%s"
                                 % (process.returncode, out, err))
        return pending(host)
    return wait_until(ready, timeout, what="a pairing request")


def answer(host, request_id, reply="allow", **fields):
    return control(host, "POST", "/api/pair/requests/" + request_id,
                   dict(reply=reply, **fields))


def devices(host):
    status, body = control(host, "GET", "/api/devices")
    assert status == 200, (status, body)
    return body["items"]


def finish(process, timeout=30):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err
