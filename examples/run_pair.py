#!/usr/bin/python3
"""Runs one example as a server and another as its client, for CTest.

Usage: run_pair.py [--server-expect TEXT]... [--client-expect TEXT]...
                   -- SERVER_COMMAND... -- CLIENT_COMMAND...

The server must print "listening on HOST:PORT" as its first line; every
"{port}" in the client's arguments is replaced by that port. Both must exit
with status 0, and each --*-expect TEXT must occur in that side's output.
Every wait is bounded (TIMEOUT_SECONDS); on failure, both outputs are shown
and the exit status is 1.
"""

import re
import subprocess
import sys
import threading

TIMEOUT_SECONDS = 60


def split_commands(argv):
    expects = {"server": [], "client": []}
    i = 0
    while i < len(argv) and argv[i] != "--":
        flag = argv[i]
        if flag not in ("--server-expect", "--client-expect") or \
                i + 1 >= len(argv):
            sys.exit("run_pair.py: bad argument %r (see the usage)" % flag)
        expects[flag[2:8]].append(argv[i + 1])
        i += 2
    rest = argv[i + 1:]
    if "--" not in rest:
        sys.exit("run_pair.py: expected -- SERVER... -- CLIENT...")
    cut = rest.index("--")
    return expects, rest[:cut], rest[cut + 1:]


def collect(stream, lines):
    for line in stream:
        lines.append(line)


def main():
    expects, server_cmd, client_cmd = split_commands(sys.argv[1:])
    server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, text=True)
    server_lines = []
    # The first line carries the port; read it on a thread to bound the wait.
    first = threading.Thread(
        target=lambda: server_lines.append(server.stdout.readline()))
    first.start()
    first.join(TIMEOUT_SECONDS)
    match = re.search(r"listening on .*:(\d+)\s*$",
                      server_lines[0] if server_lines else "")
    if not match:
        server.kill()
        sys.exit("server did not print 'listening on HOST:PORT': %r"
                 % server_lines)
    port = match.group(1)
    reader = threading.Thread(target=collect,
                              args=(server.stdout, server_lines))
    reader.start()
    client_cmd = [arg.replace("{port}", port) for arg in client_cmd]
    failed = []
    try:
        client = subprocess.run(client_cmd, stdout=subprocess.PIPE,
                                text=True, timeout=TIMEOUT_SECONDS)
        client_out, client_rc = client.stdout, client.returncode
    except subprocess.TimeoutExpired as e:
        client_out, client_rc = e.stdout or "", "timeout"
    if client_rc != 0:
        server.kill()  # It would only wait for a client that is gone.
    try:
        server_rc = server.wait(TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        server_rc = "timeout"
    reader.join(TIMEOUT_SECONDS)
    server_out = "".join(server_lines)
    for side, rc in (("server", server_rc), ("client", client_rc)):
        if rc != 0:
            failed.append("%s exited with %s" % (side, rc))
    for text in expects["server"]:
        if text not in server_out:
            failed.append("server output lacks %r" % text)
    for text in expects["client"]:
        if text not in client_out:
            failed.append("client output lacks %r" % text)
    print("--- server: %s\n%s--- client: %s\n%s" % (
        " ".join(server_cmd), server_out, " ".join(client_cmd), client_out))
    if failed:
        sys.exit("FAILED: " + "; ".join(failed))


if __name__ == "__main__":
    main()
