#!/usr/bin/python3
"""Tests of tools/broker-node, run by CTest one scenario per test:

  broker_node_test.py SCENARIO PATH_TO_BROKER_NODE

Every node runs as a child process on 127.0.0.1 with port 0 (the node
prints the bound port); every wait is bounded by TIMEOUT seconds and no
check depends on timing. A failed check exits with a message and both
outputs of the node concerned.
"""

import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

TIMEOUT = 30

BROKER_NODE = None


def fail(why, *nodes):
    for node in nodes:
        sys.stderr.write(node.describe())
    sys.exit("FAILED: " + why)


class Node:
    """A broker-node child process with its stdout read line by line."""

    def __init__(self, *args, env=None, stdin=False):
        self.args = [BROKER_NODE] + list(args)
        full_env = dict(os.environ)
        full_env.pop("BROKER_CONSOLE_VERBOSITY", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=full_env)
        self.lines = queue.Queue()
        self.out = []
        self.err = []
        self.readers = [
            threading.Thread(target=self._read_out, daemon=True),
            threading.Thread(target=self._read_err, daemon=True)]
        for reader in self.readers:
            reader.start()
        self.rc = None

    def _read_out(self):
        for line in self.proc.stdout:
            self.out.append(line)
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.err.append(line)

    def describe(self):
        return "--- %s (exit %s)\n--- stdout:\n%s--- stderr:\n%s" % (
            " ".join(self.args), self.rc, "".join(self.out),
            "".join(self.err))

    def line(self):
        """Returns the next stdout line (None at end of output)."""
        try:
            return self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            fail("no output within %d s" % TIMEOUT, self)

    def expect(self, predicate, what):
        """Reads lines until one satisfies `predicate`; returns it."""
        while True:
            line = self.line()
            if line is None:
                self.finish()
                fail("output ended before " + what, self)
            if predicate(line):
                return line

    def json_line(self):
        line = self.line()
        try:
            return json.loads(line)
        except (TypeError, ValueError):
            fail("expected a JSON line, got %r" % line, self)

    def port(self):
        """Reads the 'listening on HOST:PORT' line (text or JSON)."""
        line = self.line()
        if line and line.startswith("{"):
            return json.loads(line)["port"]
        match = re.match(r"listening (?:for WebSocket clients )?on .*:(\d+)$",
                         line or "")
        if not match:
            fail("expected 'listening on ...', got %r" % line, self)
        return int(match.group(1))

    def send(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def finish(self):
        """Waits for the exit; returns the exit status."""
        try:
            self.rc = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = self.proc.wait()
            fail("did not exit within %d s" % TIMEOUT, self)
        for reader in self.readers:
            reader.join(TIMEOUT)
        return self.rc

    def stderr(self):
        return "".join(self.err)

    def stdout(self):
        return "".join(self.out)


def expect_exit(node, rc):
    if node.finish() != rc:
        fail("expected exit status %d" % rc, node)


def free_port():
    """A port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- scenarios ----------------------------------------------------------------

def test_help():
    node = Node("--help")
    expect_exit(node, 0)
    text = node.stdout()
    flags = ["--listen", "--websocket-listen", "--peer", "--retry",
             "--subscribe", "--publish", "--input", "--ping", "--pong",
             "--count", "--timeout", "--status", "--json", "--disable-ssl",
             "--ssl-certificate", "--ssl-key", "--ssl-passphrase",
             "--ssl-cafile", "--ssl-capath", "--set", "--help", "--version"]
    for flag in flags:
        if not re.search(r"^\s+(-\w \[ )?%s\b" % re.escape(flag), text,
                         re.MULTILINE):
            fail("--help does not document " + flag, node)
    if "Usage: broker-node" not in text:
        fail("--help lacks the usage line", node)


def test_bad_arguments():
    cases = [
        (["--listen", "127.0.0.1:99999"], "port '99999' is not a number"),
        (["--listen", "127.0.0.1"], "expected HOST:PORT"),
        (["--peer", "::1:80"], "IPv6 addresses in brackets"),
        (["--peer", "127.0.0.1:0"], "port must be in 1-65535"),
        (["--bogus"], "unrecognised option '--bogus'"),
        (["--listen"], "the required argument for option '--listen' is "
                       "missing"),
        (["--listen", ":0", "--count", "-3"], "for option '--count'"),
        (["--listen", ":0", "--count", "0"], "--count must be at least 1"),
        (["--listen", ":0", "--timeout", "soon"], "positive number of "
                                                  "seconds"),
        (["--listen", ":0", "--ping", "/a", "--pong", "/b"],
         "exclude each other"),
        (["--listen", ":0", "--input", "xml", "--publish", "/a"],
         "expected 'string' or 'json'"),
        (["--listen", ":0", "--input", "json"], "--input only applies to "
                                                "--publish"),
        (["--listen", ":0", "--disable-ssl", "--ssl-cafile", "ca.pem"],
         "--disable-ssl excludes"),
        (["--listen", ":0", "--set", "novalue"], "expected KEY=VALUE"),
        (["--listen", ":0", "stray"], "too many positional options"),
        ([], "nothing to do"),
    ]
    for args, message in cases:
        node = Node(*args)
        expect_exit(node, 2)
        if message not in node.stderr():
            fail("%s: stderr lacks %r" % (args, message), node)
        if "Try 'broker-node --help'" not in node.stderr():
            fail("%s: stderr lacks the --help hint" % args, node)


def test_pubsub():
    sub = Node("--listen", "127.0.0.1:0", "--subscribe", "/chat",
               "--count", "3", "--timeout", str(TIMEOUT))
    port = sub.port()
    pub = Node("--peer", "127.0.0.1:%d" % port, "--publish", "/chat/room",
               "--retry", "0", stdin=True)
    pub.send("hello\nworld\n")
    pub.send("last line without newline")
    pub.close_stdin()
    expect_exit(pub, 0)
    expect_exit(sub, 0)
    lines = sub.stdout().splitlines()[1:]
    if lines != ["/chat/room: hello", "/chat/room: world",
                 "/chat/room: last line without newline"]:
        fail("unexpected messages %r" % lines, sub)
    if sub.stderr() or pub.stderr():
        fail("stderr is not quiet by default", sub, pub)


def test_json():
    sub = Node("--listen", "127.0.0.1:0", "--subscribe", "/j", "--json",
               "--count", "2", "--timeout", str(TIMEOUT))
    port = sub.json_line()["port"]
    pub = Node("--peer", "127.0.0.1:%d" % port, "--publish", "/j/x",
               "--input", "json", stdin=True)
    pub.send('{"@data-type":"count","data":42}\n')
    pub.send("this is not JSON\n")
    pub.send('{"@data-type":"vector","data":[{"@data-type":"string",'
             '"data":"a"},{"@data-type":"port","data":"80/tcp"}]}\n')
    pub.close_stdin()
    # A bad line is reported and skipped; the exit status says so.
    expect_exit(pub, 1)
    if "stdin line 2: not a JSON v1 value" not in pub.stderr():
        fail("bad input line not reported", pub)
    first = sub.json_line()
    second = sub.json_line()
    expect_exit(sub, 0)
    if first != {"type": "data-message", "topic": "/j/x",
                 "@data-type": "count", "data": 42}:
        fail("unexpected first message %r" % first, sub)
    if second["@data-type"] != "vector" or \
            second["data"][1] != {"@data-type": "port", "data": "80/tcp"}:
        fail("unexpected second message %r" % second, sub)


def test_ping_pong():
    pong = Node("--listen", "127.0.0.1:0", "--pong", "/pp", "--count", "3",
                "--json", "--timeout", str(TIMEOUT))
    port = pong.json_line()["port"]
    ping = Node("--peer", "127.0.0.1:%d" % port, "--ping", "/pp", "--count",
                "3", "--json", "--timeout", str(TIMEOUT))
    expect_exit(ping, 0)
    expect_exit(pong, 0)
    out = [json.loads(line) for line in ping.stdout().splitlines()]
    trips = [x for x in out if x["type"] == "round-trip"]
    if [x["seq"] for x in trips] != [0, 1, 2] or \
            any(x["rtt_ms"] < 0 for x in trips):
        fail("unexpected round trips", ping)
    summary = out[-1]
    if summary["type"] != "ping-summary" or summary["round_trips"] != 3 or \
            not summary["min_ms"] <= summary["avg_ms"] <= summary["max_ms"]:
        fail("unexpected summary", ping)
    answered = [json.loads(line) for line in pong.stdout().splitlines()[1:]]
    if answered != [{"type": "pong", "seq": n} for n in range(3)]:
        fail("unexpected pong output", pong)
    # Text output, Ctrl-C style stop of the answering side.
    pong = Node("--listen", "127.0.0.1:0", "--pong", "/pp")
    port = pong.port()
    ping = Node("--peer", "127.0.0.1:%d" % port, "--ping", "/pp", "--count",
                "2")
    expect_exit(ping, 0)
    if not re.search(r"^pong 1: \d+\.\d{3} ms$", ping.stdout(), re.MULTILINE) \
            or "2 round trips: min " not in ping.stdout():
        fail("unexpected text output", ping)
    pong.proc.terminate()
    expect_exit(pong, 0)


def test_status():
    watcher = Node("--listen", "127.0.0.1:0", "--status", "--json")
    port = watcher.json_line()["port"]
    visitor = Node("--peer", "127.0.0.1:%d" % port, "--status")
    visitor.expect(lambda line: line.startswith("status: peer_added("),
                   "the visitor's peer_added")
    visitor.proc.terminate()  # SIGTERM: a graceful goodbye.
    expect_exit(visitor, 0)
    added = watcher.expect(lambda line: '"peer_added"' in line, "peer_added")
    lost = watcher.expect(lambda line: '"peer_lost"' in line, "peer_lost")
    added, lost = json.loads(added), json.loads(lost)
    if added["type"] != "status" or added["address"] != "127.0.0.1" or \
            added["endpoint"] != lost["endpoint"]:
        fail("unexpected status objects", watcher)
    watcher.proc.terminate()
    expect_exit(watcher, 0)
    # Text form, and errors: a peering that cannot be made.
    port = free_port()
    node = Node("--peer", "127.0.0.1:%d" % port, "--retry", "0", "--status")
    expect_exit(node, 1)
    if not re.search(r"^error: peer_unavailable\(", node.stdout(),
                     re.MULTILINE):
        fail("no peer_unavailable line", node)
    if "cannot peer with 127.0.0.1:%d" % port not in node.stderr():
        fail("no message for the failed peering", node)
    # Without --status, errors go to stderr (retrying: not fatal).
    node = Node("--peer", "127.0.0.1:%d" % port, "--retry", "1",
                "--timeout", "0.5")
    expect_exit(node, 0)
    if not node.stderr().startswith("broker-node: peer_unavailable("):
        fail("the error is not on stderr", node)


def test_retry():
    # The peer starts first and retries every second until the listener
    # appears on the port it was given.
    port = free_port()
    pub = Node("--peer", "127.0.0.1:%d" % port, "--retry", "1", "--publish",
               "/r", "--status", stdin=True)
    pub.expect(lambda line: line.startswith("error: peer_unavailable"),
               "a failed first attempt")
    sub = Node("--listen", "127.0.0.1:%d" % port, "--subscribe", "/r",
               "--count", "1", "--timeout", str(TIMEOUT))
    sub.port()
    pub.expect(lambda line: line.startswith("status: peer_added"),
               "the retry to succeed")
    pub.send("after retry\n")
    pub.close_stdin()
    expect_exit(sub, 0)
    expect_exit(pub, 0)
    if "/r: after retry" not in sub.stdout():
        fail("message lost", sub)


def test_timeout():
    node = Node("--listen", "127.0.0.1:0", "--subscribe", "/t", "--count",
                "1", "--timeout", "0.3")
    expect_exit(node, 1)
    if "timeout: got 0 of 1 messages" not in node.stderr():
        fail("no timeout message", node)
    node = Node("--listen", "127.0.0.1:0", "--timeout", "0.3")
    expect_exit(node, 0)


def test_websocket():
    node = Node("--websocket-listen", "127.0.0.1:0", "--disable-ssl",
                "--subscribe", "/ws", "--count", "1", "--json",
                "--timeout", str(TIMEOUT))
    listening = node.json_line()
    if listening["protocol"] != "websocket":
        fail("unexpected listening line %r" % listening, node)
    port = listening["port"]
    script = r"""
import asyncio, json, sys, websockets
async def main():
    uri = "ws://127.0.0.1:%s/v1/messages/json" % sys.argv[1]
    async with websockets.connect(uri, open_timeout=10) as ws:
        await ws.send(json.dumps([]))
        await asyncio.wait_for(ws.recv(), 10)
        await ws.send(json.dumps({"type": "data-message", "topic": "/ws/in",
                                  "@data-type": "string", "data": "hi"}))
        await asyncio.sleep(0.2)
asyncio.run(main())
"""
    client = subprocess.run(["/usr/bin/python3", "-c", script, str(port)],
                            timeout=TIMEOUT, capture_output=True, text=True)
    if client.returncode != 0:
        fail("WebSocket client failed: " + client.stderr, node)
    msg = node.json_line()
    expect_exit(node, 0)
    if msg != {"type": "data-message", "topic": "/ws/in",
               "@data-type": "string", "data": "hi"}:
        fail("unexpected message %r" % msg, node)


def openssl(directory, *args):
    subprocess.run(["openssl"] + list(args), cwd=directory, check=True,
                   capture_output=True, timeout=TIMEOUT)


def make_certificates(directory):
    """A CA and two certificates it signed (EC P-256, no host names)."""
    openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca")
    for name in ("a", "b"):
        openssl(directory, "req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        openssl(directory, "x509", "-req", "-in", name + ".csr", "-CA",
                "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                name + ".pem", "-days", "2")


def test_tls():
    directory = tempfile.mkdtemp(prefix="broker-node-tls-")
    try:
        make_certificates(directory)

        def tls(name):
            return ["--ssl-certificate", os.path.join(directory, name + ".pem"),
                    "--ssl-key", os.path.join(directory, name + ".key"),
                    "--ssl-cafile", os.path.join(directory, "ca.pem")]

        pong = Node("--listen", "127.0.0.1:0", "--pong", "/tls", "--count",
                    "1", "--timeout", str(TIMEOUT), *tls("a"))
        port = pong.port()
        ping = Node("--peer", "127.0.0.1:%d" % port, "--ping", "/tls",
                    "--count", "1", "--retry", "0", *tls("b"))
        expect_exit(ping, 0)
        expect_exit(pong, 0)
        # Plain TCP against a TLS listener: the peering fails, the failure
        # is fatal with --retry 0, and the library logs the failed
        # handshake when asked to.
        listener = Node("--listen", "127.0.0.1:0", *tls("a"))
        port = listener.port()
        plain = Node("--peer", "127.0.0.1:%d" % port, "--disable-ssl",
                     "--retry", "0", env={"BROKER_CONSOLE_VERBOSITY": "info"})
        expect_exit(plain, 1)
        listener.proc.terminate()
        expect_exit(listener, 0)
        if "cannot peer with" not in plain.stderr():
            fail("no message for the failed peering", plain)
        if "INFO  core: handshake with 127.0.0.1:%d failed" % port \
                not in plain.stderr():
            fail("the failed handshake is not logged", plain)
        # A missing certificate file: a clear message, exit status 1.
        missing = os.path.join(directory, "missing.pem")
        node = Node("--listen", "127.0.0.1:0", "--ssl-certificate", missing,
                    "--ssl-key", os.path.join(directory, "a.key"))
        expect_exit(node, 1)
        if "invalid TLS configuration" not in node.stderr() or \
                "missing.pem" not in node.stderr():
            fail("unclear message for a missing certificate", node)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_logging():
    def run_pair(env):
        pong = Node("--listen", "127.0.0.1:0", "--pong", "/log", "--count",
                    "1", "--timeout", str(TIMEOUT), env=env)
        port = pong.port()
        # --retry 0: pong exits after its one answer, and a ping that
        # retried would report the refused reconnect on stderr.
        ping = Node("--peer", "127.0.0.1:%d" % port, "--ping", "/log",
                    "--count", "1", "--retry", "0", env=env)
        expect_exit(ping, 0)
        expect_exit(pong, 0)
        return pong, ping

    # Quiet by default.
    pong, ping = run_pair({})
    if pong.stderr() or ping.stderr():
        fail("the library logs without BROKER_CONSOLE_VERBOSITY", pong, ping)
    # info: lifecycle events, no debug lines.
    pong, ping = run_pair({"BROKER_CONSOLE_VERBOSITY": "info"})
    for needle in ("INFO  endpoint: listening for peers on 127.0.0.1:",
                   "INFO  core: peer_added "):
        if needle not in pong.stderr():
            fail("info log lacks %r" % needle, pong)
    if "INFO  core: peer_added " not in ping.stderr():
        fail("info log of the peering side lacks peer_added", ping)
    if "DEBUG" in pong.stderr() + ping.stderr():
        fail("debug lines at level info", pong, ping)
    # debug adds the connection attempts.
    pong, ping = run_pair({"BROKER_CONSOLE_VERBOSITY": "debug"})
    if "DEBUG core: connecting to 127.0.0.1:" not in ping.stderr():
        fail("debug log lacks the connection attempt", ping)
    # error: only errors, none here.
    pong, ping = run_pair({"BROKER_CONSOLE_VERBOSITY": "error"})
    if pong.stderr() or ping.stderr():
        fail("lines below level error", pong, ping)
    # Anything else is rejected, as upstream does.
    node = Node("--listen", "127.0.0.1:0",
                env={"BROKER_CONSOLE_VERBOSITY": "loud"})
    expect_exit(node, 1)
    if "broker.console-verbosity" not in node.stderr() or \
            "'loud'" not in node.stderr():
        fail("unclear message for a bad verbosity", node)


SCENARIOS = {
    "help": test_help,
    "bad-arguments": test_bad_arguments,
    "pubsub": test_pubsub,
    "json": test_json,
    "ping-pong": test_ping_pong,
    "status": test_status,
    "retry": test_retry,
    "timeout": test_timeout,
    "websocket": test_websocket,
    "tls": test_tls,
    "logging": test_logging,
}


def main():
    global BROKER_NODE
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: broker_node_test.py {%s} BROKER_NODE"
                 % ",".join(SCENARIOS))
    BROKER_NODE = sys.argv[2]
    SCENARIOS[sys.argv[1]]()
    print("passed:", sys.argv[1])


if __name__ == "__main__":
    main()
