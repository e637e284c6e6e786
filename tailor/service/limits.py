"""The request size limit, as ASGI middleware: a body over the limit is refused with 413 (H101)
before it is read into memory, whether its length is declared or it arrives in chunks."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.diagnostics import error
from tailor.service.models import ErrorBody


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def _refuse(self, send: Send) -> None:
        body = ErrorBody(status=413, diagnostics=(error(
            "H101", f"the request body is larger than {self.limit:,} bytes", None,
            "send fewer or smaller files, or start the service with a larger --max-body"),))
        data = body.model_dump_json(by_alias=True).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        received = 0
        refused = False

        async def counted() -> Message:
            # Past the limit the body ends here (the app sees it cut short), and its answer is replaced
            # by 413 below: raising instead would reach FastAPI's body parser, which answers 400.
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def sending(message: dict[str, Any]) -> None:
            if not refused:
                await send(message)
            elif message["type"] == "http.response.start":
                await self._refuse(send)

        await self.app(scope, counted, sending)
