"""wskit interop peer on Python websockets (Debian python3-websockets).

  py_peer.py server [--compress]      echo server on 127.0.0.1, prints "listening PORT"
  py_peer.py client URL [--compress]  echo client

Either role echoes every message (same type, same bytes); the text message
"close-me" makes it close with 4002 "peer-bye". When a connection ends it
prints "closed CODE REASON".
"""
import asyncio
import os
import sys

import websockets


def options():
    # permessage-deflate is off unless --compress is given. The handshakes
    # may take as long as the Go test has left (WSKIT_WAIT_MS): a loaded
    # machine makes them slow, not wrong.
    comp = "deflate" if "--compress" in sys.argv else None
    wait = int(os.environ.get("WSKIT_WAIT_MS", "60000")) / 1000
    o = dict(compression=comp, max_size=None, close_timeout=wait)
    if sys.argv[1] == "client":
        o["open_timeout"] = wait
    return o


async def echo(ws, path=None):
    try:
        async for msg in ws:
            if msg == "close-me":
                await ws.close(4002, "peer-bye")
                break
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    print("closed", ws.close_code, ws.close_reason, flush=True)


async def main():
    if sys.argv[1] == "server":
        async with websockets.serve(echo, "127.0.0.1", 0, **options()) as server:
            port = server.sockets[0].getsockname()[1]
            print("listening", port, flush=True)
            await asyncio.Future()
    else:
        async with websockets.connect(sys.argv[2], **options()) as ws:
            await echo(ws)


asyncio.run(main())
