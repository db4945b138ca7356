"""wskit interop peer on Autobahn|Python (Debian python3-autobahn), asyncio.

  ab_peer.py server [OPTIONS]      echo server on 127.0.0.1, prints "listening PORT"
  ab_peer.py client URL [OPTIONS]  echo client

Either role echoes every message (same type, same bytes); the text message
"close-me" makes it close with 4002 "peer-bye". After the opening handshake
it prints "agreed EXTENSION" (autobahn's view of it, or "agreed none"), and when a connection ends
"closed CODE REASON".

Without --compress, permessage-deflate is neither offered nor accepted.
With it, the client offers autobahn's PerMessageDeflateOffer and the server
accepts any such offer with PerMessageDeflateOfferAccept; by default both
use autobahn's defaults, which for the client is the offer
"permessage-deflate; client_no_context_takeover; client_max_window_bits".
These change that:

  --offer-plain           client: offer neither client_no_context_takeover
                          nor client_max_window_bits (accept_* = False)
  --request-no-context    client: request server_no_context_takeover;
                          server: impose client_no_context_takeover, when the
                          offer says the client accepts it
  --request-window N      client: request server_max_window_bits=N;
                          server: impose client_max_window_bits=N, when the
                          offer says the client accepts it
  --no-context            either: compress without context takeover,
                          unannounced
  --window N              either: compress with a window of 2^N bytes,
                          unannounced (no more than the peer allows)
"""
import asyncio
import os
import sys

from autobahn.asyncio.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.compress import (
    PerMessageDeflateOffer,
    PerMessageDeflateOfferAccept,
    PerMessageDeflateResponse,
    PerMessageDeflateResponseAccept,
)

args = sys.argv[1:]


def flag(name):
    return name in args


def value(name):
    if name not in args:
        return 0
    return int(args[args.index(name) + 1])


def own():
    """The options that set how this side compresses, unannounced."""
    o = {}
    if flag("--no-context"):
        o["no_context_takeover"] = True
    if value("--window"):
        o["window_bits"] = value("--window")
    return o


def accept_offer(offers):
    """The server's choice among the client's offers."""
    for offer in offers:
        if not isinstance(offer, PerMessageDeflateOffer):
            continue
        o = own()
        if flag("--request-no-context") and offer.accept_no_context_takeover:
            o["request_no_context_takeover"] = True
        if value("--request-window") and offer.accept_max_window_bits:
            o["request_max_window_bits"] = value("--request-window")
        if offer.request_max_window_bits and o.get("window_bits", 15) > offer.request_max_window_bits:
            o["window_bits"] = offer.request_max_window_bits
        return PerMessageDeflateOfferAccept(offer, **o)
    return None


def client_offer():
    o = dict(
        request_no_context_takeover=flag("--request-no-context"),
        request_max_window_bits=value("--request-window"),
    )
    if flag("--offer-plain"):
        o.update(accept_no_context_takeover=False, accept_max_window_bits=False)
    return PerMessageDeflateOffer(**o)


def accept_response(response):
    """The client's check of the server's response."""
    if not isinstance(response, PerMessageDeflateResponse):
        return None
    o = own()
    if response.client_max_window_bits and o.get("window_bits", 15) > response.client_max_window_bits:
        o["window_bits"] = response.client_max_window_bits
    return PerMessageDeflateResponseAccept(response, **o)


class Echo:
    """What both roles do once the connection is open."""

    def onOpen(self):
        exts = self.websocket_extensions_in_use
        print("agreed", ", ".join(repr(e) for e in exts) if exts else "none", flush=True)

    def onMessage(self, payload, isBinary):
        if not isBinary and payload == b"close-me":
            self.sendClose(4002, "peer-bye")
            return
        self.sendMessage(payload, isBinary)

    def onClose(self, wasClean, code, reason):
        print("closed", code, reason, flush=True)
        done = getattr(self.factory, "done", None)
        if done is not None and not done.done():
            done.set_result(None)


class ServerProtocol(Echo, WebSocketServerProtocol):
    pass


class ClientProtocol(Echo, WebSocketClientProtocol):
    pass


def options():
    # 0 is no limit: the interop tests send 1 MiB messages. The handshakes
    # may take as long as the Go test has left (WSKIT_WAIT_MS): the
    # defaults of 1 s for the closing handshake and for the server's drop
    # of TCP (a client's wait) were exceeded on a loaded machine.
    wait = int(os.environ.get("WSKIT_WAIT_MS", "60000")) / 1000
    o = dict(maxFramePayloadSize=0, maxMessagePayloadSize=0,
             openHandshakeTimeout=wait, closeHandshakeTimeout=wait)
    if args[0] == "client":
        o["serverConnectionDropTimeout"] = wait
    if not flag("--compress"):
        return o
    if args[0] == "server":
        o["perMessageCompressionAccept"] = accept_offer
    else:
        o["perMessageCompressionOffers"] = [client_offer()]
        o["perMessageCompressionAccept"] = accept_response
    return o


async def main():
    loop = asyncio.get_running_loop()
    if args[0] == "server":
        factory = WebSocketServerFactory()
        factory.protocol = ServerProtocol
        factory.setProtocolOptions(**options())
        server = await loop.create_server(factory, "127.0.0.1", 0)
        print("listening", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
    else:
        url = args[1]
        factory = WebSocketClientFactory(url)
        factory.protocol = ClientProtocol
        factory.setProtocolOptions(**options())
        factory.done = loop.create_future()
        await loop.create_connection(factory, factory.host, factory.port)
        await factory.done


asyncio.run(main())
