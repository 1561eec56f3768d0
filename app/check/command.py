"""The `design-review check` command: its arguments, and a run from arguments to exit code."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from app.errors import DesignReviewError, UserError

FORMAT_NAMES = "text, json, markdown, github, sarif, junit, rdjsonl"


def _score(value: str) -> float:
    try:
        score = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= score <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return score


def _stage_min(value: str) -> dict[str, float]:
    out = {}
    for part in (p for p in value.split(",") if p.strip()):
        stage, sep, score = part.partition("=")
        if not sep or not stage.strip():
            raise argparse.ArgumentTypeError(f"{part!r}: write STAGE=SCORE, for example metrics=0.5")
        out[stage.strip()] = _score(score.strip())
    return out


def _ids(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The check's options, on the subcommand parser the CLI gives it."""
    parser.add_argument("paths", nargs="*", help="documents, folders or globs (default: include globs of "
                                                 "the config)")
    parser.add_argument("--config", type=Path, help="config file (default: the nearest .design-review.toml)")
    parser.add_argument("--fail-under", type=_score, help="fail when the overall score is under this")
    parser.add_argument("--fail-on", choices=["critical", "warning", "none"],
                        help="fail on gaps and pitfalls of this severity or worse (default critical)")
    parser.add_argument("--stage-min", type=_stage_min, action="append", default=[], metavar="STAGE=SCORE",
                        help="minimum score of a stage; repeatable")
    parser.add_argument("--require-stage", action="append", default=[], metavar="STAGES",
                        help="stages that must cover at least one item (comma-separated; repeatable)")
    parser.add_argument("--require-item", action="append", default=[], metavar="ITEMS",
                        help="items that must be covered (comma-separated; repeatable)")
    parser.add_argument("--format", action="append", default=[], metavar="FORMAT",
                        help=f"{FORMAT_NAMES}; repeatable; FORMAT=PATH writes it to a file (default text)")
    parser.add_argument("--output", action="append", default=[], metavar="FORMAT=PATH",
                        help="write a format to a file instead of stdout; repeatable")
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--baseline", metavar="REF", help="fail only on findings new since this git ref")
    base.add_argument("--baseline-file", type=Path, metavar="JSON",
                      help="fail only on findings new since a previous `check --format json` report")
    parser.add_argument("--max-drop", type=_score, help="with a baseline, the largest allowed fall of "
                                                        "the overall score (default 0.05)")
    parser.add_argument("--server", metavar="URL", help="review with a running design-reviewer API")
    parser.add_argument("--api-key", help="bearer token for --server")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per API request")
    parser.add_argument("--allow-outside-repo", action="store_true",
                        help="also review documents that resolve outside the git repository (symlinks, "
                             "absolute paths, include globs); refused by default")
    parser.add_argument("--github-comment", action="store_true",
                        help="post the short view as one pull-request comment, edited in place on the next "
                             "run (GITHUB_TOKEN with pull-requests: write; never fails the check)")
    parser.add_argument("--gitlab-note", action="store_true",
                        help="post the short view as one merge-request note, edited in place on the next run "
                             "(DESIGN_REVIEW_GITLAB_TOKEN or GITLAB_TOKEN; never fails the check)")
    parser.add_argument("--no-exit", action="store_true",
                        help="exit 0 whatever the findings (report only); a usage error still exits 2")
    parser.add_argument("--backend", choices=["auto", "local", "llm"], default=None,
                        help="scorer: local, llm, or auto (the LLM scorer when OPENAI_API_KEY is set)")


def _policy(args: argparse.Namespace, cwd: Path):
    from app.check.policy import ConfigFile, build_policy, find_config, load_config

    path = (cwd / args.config) if args.config else find_config(cwd)
    config = load_config(path) if path else ConfigFile()
    stage_min = {k: v for mapping in args.stage_min for k, v in mapping.items()}
    return build_policy(config, path, cwd, fail_under=args.fail_under, fail_on=args.fail_on,
                        max_drop=args.max_drop, stage_min=stage_min,
                        require_stages=_ids(args.require_stage), require_items=_ids(args.require_item))


def _source(args: argparse.Namespace):
    from app.check.sources import LocalSource, ServerSource

    if args.server:
        return ServerSource(args.server, args.api_key, args.timeout, backend=getattr(args, "backend", None))
    from app.config import get_settings

    return LocalSource(get_settings(), backend=getattr(args, "backend", None))


def _baseline(args: argparse.Namespace, cwd: Path):
    from app.check.baseline import FileBaseline, GitBaseline

    if args.baseline:
        return GitBaseline(args.baseline, cwd)
    if args.baseline_file:
        return FileBaseline(cwd / args.baseline_file)
    return None


def _prepare(args: argparse.Namespace, cwd: Path):
    """Outputs, policy, source and baseline, each checked before any document is reviewed."""
    from app.check.formats import plan_outputs
    from app.check.policy import validate_policy

    plan = plan_outputs(args.format, args.output)
    policy = _policy(args, cwd)
    source = _source(args)
    validate_policy(policy, source.rubric)
    if args.server and policy.topics_on:
        raise UserError("topics forced on (topics.on) need the in-process reviewer: "
                        "the API reviews with topic detection only; drop --server or topics.on")
    return plan, policy, source, _baseline(args, cwd)


def _refuse(args: argparse.Namespace, message: str, stdout) -> int:
    """A run that could not check: say why (as an annotation too under --format github); exit 2."""
    print(f"design-review: {message}", file=sys.stderr)
    if any("github" in f for f in args.format):
        from app.check.annotations import workflow_command

        print(workflow_command("error", message, title="design-review check"), file=stdout)
    return 0 if args.no_exit else 2


def _publish(args: argparse.Namespace, report, environ) -> None:
    """Post or edit the pull-request comment and the merge-request note; a problem is one log line."""
    from app.check.comment import render_comment
    from app.check.forges import CommentSkipped, github_thread, gitlab_thread, post_comment

    for wanted, thread_for, what in ((args.github_comment, github_thread, "pull-request comment"),
                                     (args.gitlab_note, gitlab_thread, "merge-request note")):
        if not wanted:
            continue
        try:
            thread = thread_for(environ)
            done = post_comment(thread, render_comment(report))
        except CommentSkipped as exc:
            print(f"design-review: no {what} posted: {exc}", file=sys.stderr)
            continue
        print(f"design-review: {done} the {what} on {thread.name}", file=sys.stderr)


def run(args: argparse.Namespace, stdout=None, environ=None) -> int:
    """Run a check from parsed arguments; 0 pass, 1 fail, 2 error (0 always with --no-exit)."""
    from app.check.formats import emit
    from app.check.reports import counts, outcome
    from app.check.runner import run_check

    stdout = stdout or sys.stdout
    environ = os.environ if environ is None else environ
    cwd = Path.cwd()
    try:
        plan, policy, source, baseline = _prepare(args, cwd)
    except UserError as exc:  # a usage or configuration error: 2 whatever the flags
        _refuse(args, str(exc), stdout)
        return 2
    except DesignReviewError as exc:
        return _refuse(args, str(exc), stdout)
    try:
        from app.check.runner import Reading
        from app.config import get_settings

        reading = Reading(cwd, get_settings().max_document_bytes, args.allow_outside_repo)
        report = run_check(args.paths, source, policy, cwd, baseline, reading)
        emit(report, plan, stdout, environ)
    except DesignReviewError as exc:
        return _refuse(args, str(exc), stdout)
    except Exception:  # a bug must not pass a check
        traceback.print_exc()
        return _refuse(args, "internal error during the check (traceback above)", stdout)
    if None not in plan.values():  # nothing on stdout: one line on stderr says how it went
        print(f"design-review check {outcome(report)}: {counts(report)}", file=sys.stderr)
    for d in report.errors:
        print(f"design-review: {d.path} could not be reviewed: {d.error}", file=sys.stderr)
    _publish(args, report, environ)
    return 0 if args.no_exit else report.exit_code
