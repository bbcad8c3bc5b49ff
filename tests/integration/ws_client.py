#!/usr/bin/python3
"""A WebSocket client written with Debian's python3-websockets (not by us),
driven by tests/integration/websocket.test.cc. It speaks Broker's JSON v1 API
(spec: upstream-broker.md §5) and prints one line per observation:

  ACK <json>           the server's ack to our filter
  READY                subscribed; the test may publish now
  GOT <json>           a data message
  ERROR <json>         an error frame
  CLOSED <code> <why>  the server closed the connection
  DONE                 finished the scenario normally

Scenarios (first argument), all on ws://127.0.0.1:PORT/v1/messages/json:
  basic PORT      subscribe to /to-client, print one message, publish a
                  count and a nested vector on /from-client, send bad frames
                  (printing the error frames), publish "bye", close
  first PORT TEXT send TEXT as the first frame and report what happens
  stall PORT      subscribe to /flood, stop reading until stdin has a line,
                  then read until the connection ends
  pair PORT       two clients A and B on /chat: A publishes, B prints what
                  it got and answers, A prints the first message it gets
                  (B's answer: a client never receives its own messages)
  binary PORT     subscribe, then send a binary frame
  wss PORT CA [CERT KEY]
                  subscribe over wss:// trusting CA (no host name check),
                  presenting CERT/KEY if given; print the ack, then wait
                  for one message
"""

import asyncio
import json
import socket
import ssl
import sys

import websockets


def out(*words):
    print(*words, flush=True)


def uri(port):
    return "ws://127.0.0.1:%s/v1/messages/json" % port


async def recv_json(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def basic(port):
    async with websockets.connect(uri(port)) as ws:
        await ws.send(json.dumps(["/to-client"]))
        out("ACK", json.dumps(await recv_json(ws), separators=(",", ":")))
        out("READY")
        msg = await recv_json(ws)
        out("GOT", json.dumps(msg, separators=(",", ":")))
        await ws.send(json.dumps({"type": "data-message",
                                  "topic": "/from-client",
                                  "@data-type": "count", "data": 42}))
        # A value with every kind of nesting and the text-encoded types.
        await ws.send(json.dumps({
            "type": "data-message", "topic": "/from-client",
            "@data-type": "vector", "data": [
                {"@data-type": "address", "data": "2001:db8::1"},
                {"@data-type": "subnet", "data": "10.0.0.0/8"},
                {"@data-type": "port", "data": "80/tcp"},
                {"@data-type": "timestamp",
                 "data": "2023-11-14T22:13:20.123"},
                {"@data-type": "timespan", "data": "1500ms"},
                {"@data-type": "set", "data": [
                    {"@data-type": "enum-value", "data": "Conn::LOG"}]},
                {"@data-type": "table", "data": [
                    {"key": {"@data-type": "string", "data": "k"},
                     "value": {"@data-type": "real", "data": 1.5}}]}]}))
        bad_frames = [
            "this is not JSON",
            "[1, 2, 3]",
            json.dumps({"type": "data-message", "topic": "/from-client",
                        "@data-type": "count", "data": -1}),
            json.dumps({"type": "data-message", "topic": "/from-client",
                        "@data-type": "no-such-type", "data": 1}),
            json.dumps({"type": "data-message", "topic": "/from-client",
                        "@data-type": "set", "data": [
                            {"@data-type": "count", "data": 1},
                            {"@data-type": "count", "data": 1}]}),
        ]
        for frame in bad_frames:
            await ws.send(frame)
            out("ERROR", json.dumps(await recv_json(ws),
                                    separators=(",", ":")))
        # The connection survived all of that: one more good message.
        await ws.send(json.dumps({"type": "data-message",
                                  "topic": "/from-client",
                                  "@data-type": "string", "data": "bye"}))
    out("DONE")


async def first(port, text):
    try:
        async with websockets.connect(uri(port)) as ws:
            await ws.send(text)
            reply = await asyncio.wait_for(ws.recv(), 10)
            out("ACK", reply)
    except websockets.exceptions.ConnectionClosed as err:
        out("CLOSED", err.code, err.reason)


async def stall(port):
    # A tiny receive queue and read limit make the client stop reading its
    # socket quickly once we stop consuming; a fixed, small receive buffer
    # (no autotuning, which may grow to tens of MB) makes TCP push back.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect(("127.0.0.1", int(port)))
    async with websockets.connect(uri(port), sock=sock, max_queue=1,
                                  read_limit=1024) as ws:
        await ws.send(json.dumps(["/flood"]))
        await recv_json(ws)
        out("READY")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 30)
        except websockets.exceptions.ConnectionClosed as err:
            out("CLOSED", err.code, err.reason)


async def pair(port):
    async with websockets.connect(uri(port)) as a, \
            websockets.connect(uri(port)) as b:
        for ws in (a, b):
            await ws.send(json.dumps(["/chat"]))
            await recv_json(ws)
        out("READY")
        # Wait for the test to see both clients before publishing.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        await a.send(json.dumps({"type": "data-message", "topic": "/chat",
                                 "@data-type": "string", "data": "from A"}))
        out("B GOT", (await recv_json(b))["data"])
        await b.send(json.dumps({"type": "data-message", "topic": "/chat",
                                 "@data-type": "string", "data": "from B"}))
        out("A GOT", (await recv_json(a))["data"])
    out("DONE")


async def binary(port):
    try:
        async with websockets.connect(uri(port)) as ws:
            await ws.send(json.dumps(["/x"]))
            await recv_json(ws)
            await ws.send(b"\x01\x02")
            await asyncio.wait_for(ws.recv(), 10)
    except websockets.exceptions.ConnectionClosed as err:
        out("CLOSED", err.code, err.reason)


async def wss(port, cafile, cert=None, key=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cafile)
    if cert:
        ctx.load_cert_chain(cert, key)
    try:
        async with websockets.connect(
                "wss://127.0.0.1:%s/v1/messages/json" % port, ssl=ctx) as ws:
            await ws.send(json.dumps(["/secure"]))
            out("ACK", await asyncio.wait_for(ws.recv(), 10))
            out("GOT", json.dumps(await recv_json(ws), separators=(",", ":")))
    except (OSError, ssl.SSLError,
            websockets.exceptions.WebSocketException) as err:
        out("FAILED", type(err).__name__)


def main():
    scenario, port = sys.argv[1], sys.argv[2]
    if scenario == "basic":
        asyncio.run(basic(port))
    elif scenario == "first":
        asyncio.run(first(port, sys.argv[3]))
    elif scenario == "stall":
        asyncio.run(stall(port))
    elif scenario == "pair":
        asyncio.run(pair(port))
    elif scenario == "binary":
        asyncio.run(binary(port))
    elif scenario == "wss":
        asyncio.run(wss(port, *sys.argv[3:]))
    else:
        sys.exit("unknown scenario " + scenario)


if __name__ == "__main__":
    main()
