"""An echo server on Python's websockets library, for testing the tester.

Usage: python3 echo_server.py [PORT]
Listens on 127.0.0.1 (PORT, or a free port when 0 or absent), prints the
port on its first line of output, and echoes every message it receives until
it is stopped. permessage-deflate is on, as the library's default; the
message size limit is raised to 32 MiB for the cases of group 9, and
keepalive pings are off so that none interferes with a case.
"""
import asyncio
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await websockets.serve(
        echo, "127.0.0.1", port,
        max_size=32 * 2**20, max_queue=64, ping_interval=None,
        compression="deflate",
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
