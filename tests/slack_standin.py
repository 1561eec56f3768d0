"""A stand-in for Slack on a loopback port: records every call the bot makes and answers like Slack.

It serves the Web API under /api/<method> (auth.test, chat.postMessage, reactions.add, files.info,
conversations.replies, files.getUploadURLExternal, files.completeUploadExternal,
apps.connections.open), private file downloads (/files-pri/...), the upload URLs it hands out,
slash command response URLs, raw documents for the URL allow-list, and a Socket Mode WebSocket
that sends queued envelopes and records the acks. Like Slack, it refuses messages over Slack's
Block Kit limits. Serve its `app` with servers.serve and set `url`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import queue
import threading
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

BOT_USER_ID, BOT_ID, TEAM_ID = "UBOT0001", "BBOT0001", "T0TEST01"

# Slack's limits (api.slack.com/reference/block-kit/blocks, chat.postMessage).
MAX_BLOCKS, MAX_SECTION_TEXT, MAX_HEADER_TEXT, MAX_CONTEXT_ELEMENTS, MAX_TEXT = 50, 3000, 150, 10, 40_000


def limit_problems(payload: dict) -> list[str]:
    """What Slack would reject in a message payload (empty when it is within every limit)."""
    blocks = payload.get("blocks") or []
    problems = [f"{len(blocks)} blocks"] if len(blocks) > MAX_BLOCKS else []
    if len(payload.get("text") or "") > MAX_TEXT:
        problems.append(f"text of {len(payload['text'])} characters")
    for n, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "")
        if block["type"] == "section" and len(text) > MAX_SECTION_TEXT:
            problems.append(f"block {n}: section text of {len(text)} characters")
        if block["type"] == "header" and len(text) > MAX_HEADER_TEXT:
            problems.append(f"block {n}: header text of {len(text)} characters")
        if block["type"] == "context" and not 1 <= len(block.get("elements", [])) <= MAX_CONTEXT_ELEMENTS:
            problems.append(f"block {n}: {len(block.get('elements', []))} context elements")
    return problems


def block_texts(payload: dict) -> str:
    """Every text of a message's blocks (and their elements), one per line."""
    out = []
    for block in payload["blocks"]:
        out.append((block.get("text") or {}).get("text", ""))
        out += [e.get("text", "") for e in block.get("elements", [])]
    return "\n".join(out)


@dataclass
class Call:
    """One request the bot made: a Web API method name, or download / upload / response_url / raw."""

    method: str
    path: str
    params: dict
    headers: dict
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)


class SlackStandIn:
    """The recording stand-in; `app` is its ASGI app, `url` is set once it is served."""

    def __init__(self, token: str, app_token: str = "xapp-test-token") -> None:
        self.token = token
        self.app_token = app_token
        self.envelopes: queue.Queue[dict] = queue.Queue()
        self.url = ""
        self.calls: list[Call] = []
        self.files: dict[str, dict] = {}
        self.contents: dict[str, bytes] = {}
        self.threads: dict[tuple[str, str], list[dict]] = {}
        self.raw: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/api/{method}", self.web_api, methods=["GET", "POST"]),
            Route("/files-pri/{key}/{name}", self.download, methods=["GET"]),
            Route("/upload/{file_id}", self.upload, methods=["POST"]),
            Route("/response/{key}", self.response_url, methods=["POST"]),
            Route("/raw/{name}", self.raw_document, methods=["GET"]),
            WebSocketRoute("/socket", self.socket),
        ])

    # ---- set-up by tests

    def add_file(self, name: str, content: str, channel: str, filetype: str = "markdown") -> dict:
        """A file shared in channel, as files.info describes it; its url_private_download is served here."""
        file_id = f"F{next(self._ids):07d}"
        private = f"{self.url}/files-pri/{TEAM_ID}-{file_id}/{name}"
        self.files[file_id] = {"id": file_id, "name": name, "title": name, "filetype": filetype,
                               "mimetype": "text/markdown" if filetype == "markdown" else "text/plain",
                               "size": len(content.encode()), "url_private": private,
                               "url_private_download": private + "?download=1",
                               "channels": [channel] if channel.startswith("C") else [],
                               "groups": [channel] if channel.startswith("G") else [],
                               "ims": [channel] if channel.startswith("D") else [],
                               "permalink": f"https://acme.slack.com/files/U0TEST01/{file_id}/{name}"}
        self.contents[file_id] = content.encode()
        return self.files[file_id]

    def add_thread(self, channel: str, ts: str, files: list[dict]) -> None:
        self.threads[(channel, ts)] = [{"type": "message", "user": "U0AUTHOR", "ts": ts, "text": "design",
                                        "files": files}]

    def add_raw(self, name: str, content: str, content_type: str = "text/markdown") -> str:
        self.raw[name] = (content.encode(), content_type)
        return f"{self.url}/raw/{name}"

    def response_url_for(self, key: str) -> str:
        """A slash command's response_url; its calls have path /response/<key>."""
        return f"{self.url}/response/{key}"

    # ---- what the bot did

    def calls_of(self, method: str, path: str | None = None, **where: object) -> list[Call]:
        """The calls of method (on path, when given) whose parameters include where."""
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if c.method == method and (path is None or c.path == path)
                and all(c.params.get(k) == v for k, v in where.items())]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30, path: str | None = None,
                 **where: object) -> list[Call]:
        """Poll (bounded) until count such calls were made; fail naming the calls seen otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_of(method, path, **where)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        seen = [(c.method, c.path, c.params.get("channel")) for c in self.calls]
        raise AssertionError(f"no {count} {method} call(s) with {where} within {timeout} s; calls: {seen}")

    def index_of(self, call: Call) -> int:
        return next(n for n, c in enumerate(self.calls) if c is call)

    # ---- the routes

    async def _record(self, method: str, request: Request) -> Call:
        params = dict(request.query_params)
        body = await request.body()
        kind = request.headers.get("content-type", "")
        if "json" in kind and body:
            params.update(json.loads(body))
        elif "form" in kind:
            params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
        call = Call(method, request.url.path, params, dict(request.headers), body)
        with self._lock:
            self.calls.append(call)
        return call

    async def web_api(self, request: Request) -> Response:
        method = request.path_params["method"]
        call = await self._record(method, request)
        token = self.app_token if method == "apps.connections.open" else self.token
        if request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        return JSONResponse(handler(call.params) if handler else {"ok": False, "error": "unknown_method"})

    def api_auth_test(self, params: dict) -> dict:
        return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "design-reviewer",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}

    def api_chat_postMessage(self, params: dict) -> dict:
        problems = limit_problems(params)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return {"ok": True, "channel": params.get("channel"), "ts": f"1800000000.{next(self._ids):06d}",
                "message": {"text": params.get("text"), "bot_id": BOT_ID}}

    def api_reactions_add(self, params: dict) -> dict:
        return {"ok": True}

    def api_files_info(self, params: dict) -> dict:
        file = self.files.get(params.get("file", ""))
        return {"ok": True, "file": file} if file else {"ok": False, "error": "file_not_found"}

    def api_conversations_replies(self, params: dict) -> dict:
        messages = self.threads.get((params.get("channel"), params.get("ts")))
        return {"ok": True, "messages": messages} if messages else {"ok": False, "error": "thread_not_found"}

    def api_files_getUploadURLExternal(self, params: dict) -> dict:
        file_id = f"F{next(self._ids):07d}"
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}

    def api_files_completeUploadExternal(self, params: dict) -> dict:
        files = json.loads(params.get("files", "[]"))
        if not all(f.get("id") in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def api_apps_connections_open(self, params: dict) -> dict:
        return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}

    async def socket(self, ws: WebSocket) -> None:
        """Socket Mode: hello, then every queued envelope; each ack the bot sends is recorded."""
        await ws.accept()
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"}})
        acks = asyncio.ensure_future(self._record_acks(ws))
        try:
            while not acks.done():
                try:
                    await ws.send_json(self.envelopes.get_nowait())
                except queue.Empty:
                    await asyncio.sleep(0.05)
        finally:
            acks.cancel()

    async def _record_acks(self, ws: WebSocket) -> None:
        try:
            while True:
                ack = await ws.receive_json()
                with self._lock:
                    self.calls.append(Call("socket_ack", "/socket", ack, {}))
        except WebSocketDisconnect:
            return

    async def download(self, request: Request) -> Response:
        await self._record("download", request)
        file_id = request.path_params["key"].split("-", 1)[-1]
        if request.headers.get("authorization") != f"Bearer {self.token}":
            # Slack answers a download without the token with its sign-in page.
            return Response("<html>sign in</html>", media_type="text/html")
        if file_id not in self.contents:
            return PlainTextResponse("not found", status_code=404)
        return Response(self.contents[file_id], media_type=self.files[file_id]["mimetype"])

    async def upload(self, request: Request) -> Response:
        call = await self._record("upload", request)
        self.uploads[request.path_params["file_id"]] = call.body
        return PlainTextResponse(f"OK - {len(call.body)}")

    async def response_url(self, request: Request) -> Response:
        call = await self._record("response_url", request)
        problems = limit_problems(call.params)
        return PlainTextResponse("invalid_blocks", status_code=400) if problems else PlainTextResponse("ok")

    async def raw_document(self, request: Request) -> Response:
        await self._record("raw", request)
        found = self.raw.get(request.path_params["name"])
        return Response(found[0], media_type=found[1]) if found else PlainTextResponse("not found", 404)
