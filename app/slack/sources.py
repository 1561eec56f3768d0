"""Where a design to review comes from: pasted text, a Slack file, or a raw URL on the allow-list."""

from __future__ import annotations

import asyncio
import html
import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

import httpx

from app.document.formats import FORMATS, format_for_type, is_document_name
from app.errors import DocumentTooLarge, UserError

SourceKind = Literal["help", "text", "slack_file", "url"]
READ_FILETYPES = {"markdown", "text", "docx", "pdf", "html"}  # Slack's filetype names of what we read
_LINK = re.compile(r"^<?(https?://[^\s|>]+)(?:\|[^>]*)?>?$")
# A Slack file's permalink (https://team.slack.com/files/U123/F456/name.md) or private URL
# (https://files.slack.com/files-pri/T123-F456/name.md).
_SLACK_FILE_PATH = re.compile(r"^/(?:files/[A-Z0-9]+/(F[A-Z0-9]+)|files-pri/[A-Z0-9]+-(F[A-Z0-9]+))(?:/|$)")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Source:
    """What a request asks to review: kind and its value (the text, a file id or a URL)."""

    kind: SourceKind
    value: str = ""


@dataclass(frozen=True)
class Design:
    """A fetched design, ready for the reviewer."""

    data: bytes | str
    fmt: str


def parse_source(text: str) -> Source:
    """A slash command's (or a mention's) text: 'help', one link, or a pasted design."""
    text = _MENTION.sub("", text or "").strip()
    if text.lower() in ("", "help", "-h", "--help", "?"):
        return Source("help")
    link = _LINK.match(text)
    if link:
        url = html.unescape(link.group(1))
        file_id = slack_file_id(url)
        return Source("slack_file", file_id) if file_id else Source("url", url)
    # Slack escapes &, < and > in the text it sends.
    return Source("text", html.unescape(text))


def is_slack_host(host: str) -> bool:
    return host == "slack.com" or host.endswith(".slack.com")


def slack_file_id(url: str) -> str | None:
    """The file id in a Slack file link, or None when the URL is not one (or not a URL at all)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    match = _SLACK_FILE_PATH.match(parts.path) if is_slack_host(parts.hostname or "") else None
    return (match.group(1) or match.group(2)) if match else None


DEFAULT_PORTS = {"http": 80, "https": 443}


def host_allowed(url: str, allowed: list[str]) -> bool:
    """Whether an http(s) URL's host and port are on the allow-list: an entry `host` allows the
    scheme's default port only, `host:port` that port only. A malformed URL (a port that is not a
    number, a bracketed host that is not an address) is not allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return host in allowed or f"{host}:{DEFAULT_PORTS[parts.scheme]}" in allowed
    return f"{host}:{port}" in allowed


def is_address(host: str) -> bool:
    """Whether a host is an IP literal (an allow-list entry naming an address allows it explicitly)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def refuse_private(url: str) -> None:
    """Refuse a host name that resolves to a private, loopback, link-local or reserved address:
    an allow-listed name must not become a way into the service's own network. An allow-list entry
    that is itself an address is taken as meant."""
    host = urlsplit(url).hostname or ""
    if is_address(host):
        return
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UserError(f"could not resolve {host}: {exc.strerror or exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise UserError(f"{host} resolves to {address}, a private or local address: not fetched")


def refusal(source: Source, allowed: list[str]) -> str | None:
    """Why a URL source will not be fetched, or None when it may be."""
    if source.kind != "url" or host_allowed(source.value, allowed):
        return None
    try:
        host = urlsplit(source.value).netloc or source.value
    except ValueError:
        host = source.value
    listed = ", ".join(f"`{h}`" for h in allowed) or "none are configured"
    return (f":no_entry: I only fetch raw text or markdown from allow-listed hosts, and `{host}` is not "
            f"one of them (allowed: {listed}). Paste the design, attach it as a file, or link a Slack file.")


def is_text_file(file: dict) -> bool:
    """Whether a Slack file object is a design the reviewer reads: markdown, text, Word, PDF or HTML."""
    name = file.get("name") or file.get("title") or ""
    return (file.get("filetype") in READ_FILETYPES or is_document_name(name)
            or format_for_type(file.get("mimetype")) in FORMATS)


def name_of(url: str) -> str:
    try:
        return PurePosixPath(urlsplit(url).path).name or "design.md"
    except ValueError:
        return "design.md"


async def download(url: str, max_bytes: int, headers: dict[str, str] | None = None,
                   public_only: bool = False) -> bytes:
    """GET a text document, refusing redirects, web pages and bodies over max_bytes; with
    `public_only`, a host name that resolves to a private or local address too."""
    if public_only:
        await asyncio.to_thread(refuse_private, url)
    try:
        async with httpx.AsyncClient(timeout=20, follow_redirects=False) as http:
            async with http.stream("GET", url, headers=headers or {}) as response:
                _check_response(response, url)
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise DocumentTooLarge(f"the document at {url} is over the {max_bytes}-byte limit")
                return bytes(body)
    except httpx.HTTPError as exc:
        raise UserError(f"could not fetch {url}: {exc.__class__.__name__}") from exc


def _check_response(response: httpx.Response, url: str) -> None:
    if response.is_redirect:
        raise UserError(f"{url} redirects elsewhere ({response.status_code}); link the raw document itself")
    if response.status_code != 200:
        raise UserError(f"could not fetch {url}: HTTP {response.status_code}")
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "text/html":
        raise UserError(f"{url} is a web page, not raw text or markdown; link the raw file")
