"""The command line: `design-review ingest | review | check | serve | worker | slack`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from app.check.command import add_arguments as add_check_arguments
from app.document.formats import FORMATS, format_for_name
from app.errors import DesignReviewError, UserError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="design-review",
                                     description="Review ML system design documents.")
    sub = parser.add_subparsers(dest="command", required=True)
    ing = sub.add_parser("ingest", help="embed corpus/ into the Chroma store")
    ing.add_argument("--quiet", action="store_true", help="no progress bar")
    rev = sub.add_parser("review", help="review one design: markdown, text, Word (.docx), PDF or HTML "
                                        "('-' reads standard input)")
    rev.add_argument("path")
    rev.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    rev.add_argument("--doc-format", choices=list(FORMATS), default=None,
                     help="how to read the document (default: by file extension; a PDF or Word file's own "
                          "bytes always decide)")
    rev.add_argument("--title", default=None)
    rev.add_argument("--backend", choices=["auto", "local", "llm"], default=None,
                     help="scorer: local, llm, or auto (the LLM scorer when OPENAI_API_KEY is set; default)")
    rev.add_argument("--repeat", type=int, default=0, metavar="N",
                     help="run N uncached reviews and report how often each item got the same status")
    chk = sub.add_parser("check", help="review many designs against the repository's policy (CI, hooks)")
    add_check_arguments(chk)
    srv = sub.add_parser("serve", help="start the REST API")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    wrk = sub.add_parser("worker", help="run review jobs from the queue (needs DESIGN_REVIEW_REDIS_URL)")
    wrk.add_argument("--burst", action="store_true", help="stop once the queue is empty")
    wrk.add_argument("--name", default=None, help="the worker's name (default: host and process id)")
    slk = sub.add_parser("slack", help="run the Slack bot in Socket Mode (no public URL needed)")
    slk.add_argument("--socket", action="store_true",
                     help="Socket Mode (the default here; HTTP mode is part of `design-review serve`)")
    key = sub.add_parser("hash-key", help="print the sha256:<hex> form of an API key for DESIGN_REVIEW_API_KEYS")
    key.add_argument("key", nargs="?", default=None,
                     help="the key ('-' reads standard input; none: make a new random key)")
    return parser


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if file.is_dir():
        raise UserError(f"{path} is a folder: give one design file (`design-review check {path}` reviews many)")
    if not file.is_file():
        raise UserError(f"no such file: {path}")
    return file.read_bytes()


def cmd_ingest(args: argparse.Namespace) -> int:
    from app.config import get_settings
    from app.review.build import ingest

    report = ingest(get_settings(), progress=not args.quiet)
    print(report.summary())
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from app.config import get_settings
    from app.review.render import render_markdown, render_text
    from app.review.service import ReviewRequest, local_service

    if args.repeat and args.repeat < 2:
        raise UserError("--repeat needs at least 2 runs to compare")
    data = _read(args.path)
    service = local_service(get_settings())
    request = ReviewRequest(document=data, title=args.title,
                            format=args.doc_format or format_for_name(args.path),  # else the bytes decide
                            backend=args.backend, fresh=bool(args.repeat))
    if args.repeat:
        from app.llm.agreement import agreement, render_agreement

        runs = [service.review_now(request).review for _ in range(args.repeat)]
        report = agreement(runs)
        print(json.dumps(report, indent=2) if args.format == "json" else render_agreement(report))
        return 0
    review = service.review_now(request).review
    if args.format == "json":
        print(json.dumps(review.model_dump(mode="json"), indent=2))
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(review))
    else:
        sys.stdout.write(render_text(review))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from app.check.command import run

    return run(args)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings

    proxies = get_settings().forwarded_allow_ips  # forwarded headers only from these addresses
    uvicorn.run("app.main:app", host=args.host, port=args.port, access_log=False,  # ours is JSON
                proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies) or None)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.api.logs import configure_logging
    from app.config import get_settings
    from app.jobs.worker import run_worker

    settings = get_settings()
    configure_logging(settings.log_format)
    return run_worker(settings, burst=args.burst, name=args.name)


def cmd_slack(args: argparse.Namespace) -> int:
    from app.slack.socket_mode import run

    return run(args)


def cmd_hash_key(args: argparse.Namespace) -> int:
    from app.keys import hash_key, new_key

    if args.key is None:
        key = new_key()
        print(f"key:  {key}  (give it to the client; it is not stored anywhere)")
        print(f"hash: {hash_key(key)}  (put this in DESIGN_REVIEW_API_KEYS)")
        return 0
    key = sys.stdin.readline().strip() if args.key == "-" else args.key
    if not key:
        raise UserError("the key is empty")
    print(hash_key(key))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a command; exit 0 on success, 2 on a usage, input or dependency error."""
    args = _parser().parse_args(argv)
    handler = {"ingest": cmd_ingest, "review": cmd_review, "check": cmd_check,
               "serve": cmd_serve, "worker": cmd_worker, "slack": cmd_slack, "hash-key": cmd_hash_key}[args.command]
    try:
        return handler(args)
    except DesignReviewError as exc:  # the caller's input, a missing dependency, a bad corpus
        print(f"design-review: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's final flush does not raise again
        return 0


if __name__ == "__main__":
    sys.exit(main())
