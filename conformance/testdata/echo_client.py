"""An echo client on Python's websockets library, for testing the tester.

Usage: python3 echo_client.py ws://HOST:PORT [AGENT] [FIRST [LAST]]
Asks the tester for its case count, runs each case (or FIRST to LAST,
1-based) and echoes every message it receives, then asks for the report.
permessage-deflate is on, as the library's default; the message size limit
is raised to 32 MiB for the cases of group 9, and keepalive pings are off.
"""
import asyncio
import sys

import websockets

OPTIONS = dict(max_size=32 * 2**20, max_queue=64, ping_interval=None,
               compression="deflate", open_timeout=10, close_timeout=5)


async def main():
    base = sys.argv[1].rstrip("/")
    agent = sys.argv[2] if len(sys.argv) > 2 else "python-websockets"
    async with websockets.connect(base + "/getCaseCount") as ws:
        count = int(await ws.recv())
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    last = int(sys.argv[4]) if len(sys.argv) > 4 else count
    for case in range(first, last + 1):
        url = "%s/runCase?case=%d&agent=%s" % (base, case, agent)
        try:
            async with websockets.connect(url, **OPTIONS) as ws:
                async for message in ws:
                    await ws.send(message)
        except (websockets.WebSocketException, OSError):
            pass
    async with websockets.connect("%s/updateReports?agent=%s" % (base, agent)) as ws:
        try:
            await ws.recv()
        except websockets.ConnectionClosed:
            pass


if __name__ == "__main__":
    asyncio.run(main())
