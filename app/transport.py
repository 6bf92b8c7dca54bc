"""The HTTP protocol `python -m app` runs uvicorn with: h11 with TCP_NODELAY on every
connection.

asyncio only sets TCP_NODELAY on sockets whose protocol number is IPPROTO_TCP. With
`--workers N` uvicorn binds the listening socket itself with protocol 0, so accepted
connections keep Nagle's algorithm, and a response written in two parts waits for the
client's delayed ACK: about 40 ms per request at low concurrency. Setting the option per
connection removes the stall whatever the worker count.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)  # type: ignore[arg-type]
