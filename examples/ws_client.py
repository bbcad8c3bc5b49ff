#!/usr/bin/python3
"""ws_client.py: a WebSocket client of a Broker endpoint, in Python with
Debian's python3-websockets. It speaks Broker's JSON v1 API (the same as
upstream Broker's, on ws://HOST:PORT/v1/messages/json): it subscribes to
/topic/test, sends Zeek events ping(n) there, and prints the round trip of
each pong(n) answer. Start examples/pong with --websocket first.

Usage: ws_client.py PORT [N]     (N pings, default 5; host 127.0.0.1)

Protocol in short: the client's first frame is a JSON array of topics; the
endpoint answers {"type":"ack","endpoint":...,"version":...}; after that
each frame is one data message {"type":"data-message","topic":...,
"@data-type":...,"data":...}, in both directions. A Zeek event is the vector
[1, 1, [name, [args...]]] (format version 1, message type 1 = event).
"""

import asyncio
import json
import sys
import time

import websockets

TOPIC = "/topic/test"

# Every wait is bounded: a broken server makes the script fail, not hang.
TIMEOUT_SECONDS = 10


def count(n):
    return {"@data-type": "count", "data": n}


def zeek_event(name, args):
    """The JSON v1 form of a Zeek event name(args...)."""
    return {"@data-type": "vector", "data": [
        count(1), count(1),
        {"@data-type": "vector", "data": [
            {"@data-type": "string", "data": name},
            {"@data-type": "vector", "data": args}]}]}


def event_name_and_args(msg):
    """Returns (name, args) of a data message carrying a Zeek event."""
    try:
        content = msg["data"][2]["data"]
        return content[0]["data"], [arg["data"] for arg in content[1]["data"]]
    except (KeyError, IndexError, TypeError):
        return None, None


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_SECONDS))


async def main(port, pings):
    uri = "ws://127.0.0.1:%d/v1/messages/json" % port
    async with websockets.connect(uri, open_timeout=TIMEOUT_SECONDS) as ws:
        await ws.send(json.dumps([TOPIC]))
        ack = await recv_json(ws)
        if ack.get("type") != "ack":
            sys.exit("expected an ack, got %s" % ack)
        print("connected to endpoint", ack["endpoint"], "version",
              ack["version"], flush=True)
        for n in range(pings):
            frame = {"type": "data-message", "topic": TOPIC}
            frame.update(zeek_event("ping", [count(n)]))
            sent = time.monotonic()
            await ws.send(json.dumps(frame))
            # Skip anything that is not our answer (a client never receives
            # its own messages, but other clients may publish here too).
            while True:
                msg = await recv_json(ws)
                if msg.get("type") == "error":
                    sys.exit("error from the endpoint: %s" % msg)
                if msg.get("type") != "data-message":
                    continue
                name, args = event_name_and_args(msg)
                if name == "pong" and args == [n]:
                    break
            micros = (time.monotonic() - sent) * 1e6
            print("received pong(%d) after %d us" % (n, micros), flush=True)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: ws_client.py PORT [N]")
    asyncio.run(main(int(sys.argv[1]),
                     int(sys.argv[2]) if len(sys.argv) == 3 else 5))
