"""The documentation's examples hold on a fresh clone.

Every ```sh block of README.md and docs/*.md names only repository paths that exist, uses only
real `design-review` subcommands with options the command line accepts, and only `make` targets the
Makefile defines; every markdown link to a local file (and its #anchor) resolves.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import subprocess
from functools import lru_cache
from pathlib import Path, PurePosixPath

import pytest

from app.check.paths import matches
from app.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = {"sh", "bash", "shell", "console"}
# A word with one of these suffixes (or a slash) names a file.
PATH_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".py", ".yml", ".yaml", ".json", ".toml",
                 ".sh", ".cfg", ".ini", ".lock"}
# Not the repository's files: local state, the virtual environment.
SKIPPED_DIRS = {".venv", ".design-review", ".git"}
PLACEHOLDER = re.compile(r"<[A-Za-z0-9_.:/-]+>")
SENTINEL = "PLACEHOLDER"
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
OPERATORS = {"|", "||", "&&", ";", "&", "(", ")", "|&"}
REDIRECTS = {"<", ">", ">>", "<<", "&>"}
# Options whose value is not a path of this repository (a git ref).
NOT_PATH_OPTIONS = {"--baseline"}
# design-review options whose FORMAT=PATH values are files the command writes.
OUTPUT_OPTIONS = {"--format", "--output"}
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


# ---- the repository as a fresh clone has it

@lru_cache(maxsize=1)
def repo_files() -> frozenset[str]:
    """Files a clone has (tracked, or new and not ignored); the working tree when git is absent."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        files = {f for f in out.decode("utf-8").split("\0") if f}
    except (OSError, subprocess.SubprocessError):
        files = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                 if p.is_file() and not SKIPPED_DIRS & set(p.relative_to(ROOT).parts)}
    return frozenset(f for f in files if (ROOT / f).exists())  # deleted but not yet staged: gone


@lru_cache(maxsize=1)
def repo_dirs() -> frozenset[str]:
    return frozenset(str(parent) for f in repo_files() for parent in PurePosixPath(f).parents
                     if str(parent) != ".")


def in_repo(path: str) -> bool:
    """A file or folder of the repository; a glob that matches at least one of its files."""
    path = path.rstrip("/")
    if any(c in path for c in "*?["):
        return any(matches(f, (path,)) for f in repo_files())
    return path in repo_files() or path in repo_dirs()


# ---- shell blocks

def fenced_blocks(text: str) -> list[tuple[str, int, str]]:
    """(language, first line number, body) of every fenced code block."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = len(m.group(1)), m.group(2), m.group(3).lower()
        body, j = [], i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j].lstrip())
            j += 1
        blocks.append((lang, i + 2, "\n".join(body)))
        i = j + 1
    return blocks


def shell_lines(body: str, first: int) -> list[tuple[int, str]]:
    """Logical lines of a shell block (backslash continuations joined), with their line numbers."""
    out, pending, start = [], "", first
    for k, line in enumerate(body.splitlines()):
        if not pending:
            start = first + k
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def tokens(line: str) -> list[str]:
    """Shell words and operators; comments dropped, placeholders such as <id> made one marker."""
    lexer = shlex.shlex(PLACEHOLDER.sub(SENTINEL, line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def simple_commands(words: list[str]) -> list[list[str]]:
    commands, current = [], []
    for word in words:
        if word in OPERATORS:
            commands.append(current)
            current = []
        else:
            current.append(word)
    commands.append(current)
    return [c for c in commands if c]


def outside(path: str) -> bool:
    """A path that is not the repository's to have: absolute (/tmp/...), a variable, a placeholder,
    a URL or host:port, local state (.design-review/) or the virtual environment."""
    return (path.startswith(("/", "~", "@", "{")) or any(c in path for c in "$:") or SENTINEL in path
            or PurePosixPath(path).parts[:1] in {(d,) for d in SKIPPED_DIRS})


def path_of(word: str) -> str | None:
    """The repository path a shell word names, or None when it names none."""
    if word.startswith("-"):
        if "=" not in word:
            return None
        word = word.split("=", 1)[1]
    word = word.removeprefix("./")
    if not word or any(c.isspace() for c in word) or ASSIGNMENT.match(word) or outside(word):
        return None
    if "/" in word or PurePosixPath(word).suffix.lower() in PATH_SUFFIXES:
        return word
    return None


@lru_cache(maxsize=1)
def cli_parser() -> tuple[argparse.ArgumentParser, frozenset[str]]:
    parser = _parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, frozenset(subparsers.choices)


@lru_cache(maxsize=1)
def make_targets() -> frozenset[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return frozenset(t for m in re.finditer(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", text, re.M)
                     for t in m.group(1).split())


def check_design_review(args: list[str]) -> tuple[str | None, list[str]]:
    """Why `design-review ARGS` would not parse (or None), and the files it reads."""
    parser, subcommands = cli_parser()
    if args and not args[0].startswith("-") and args[0] not in subcommands:
        return (f"`design-review {args[0]}` is not a subcommand "
                f"(there are: {', '.join(sorted(subcommands))})"), []
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            parsed = parser.parse_args(args)
    except SystemExit as exc:
        if exc.code in (0, None):  # --help
            return None, []
        said = err.getvalue().strip().splitlines() or [f"exit status {exc.code}"]
        return f"`design-review {' '.join(args)}` does not parse: {said[-1]}", []
    reads = [*(getattr(parsed, "paths", None) or []), getattr(parsed, "path", None),
             getattr(parsed, "config", None), getattr(parsed, "baseline_file", None)]
    reads = [str(r).removeprefix("./") for r in reads if r is not None]
    return None, [r for r in reads if r != "-" and not outside(r)]


def shell_problems(doc: Path) -> list[str]:
    """Every problem of the shell blocks of one document, as 'file:line: what'."""
    problems, produced = [], set()
    name = doc.relative_to(ROOT).as_posix()
    for lang, first, body in fenced_blocks(doc.read_text(encoding="utf-8")):
        if lang not in SHELL_LANGS:
            continue
        for lineno, line in shell_lines(body, first):
            where = f"{name}:{lineno}"
            try:
                words = tokens(line)
            except ValueError as exc:  # an unbalanced quote: the example cannot run as written
                problems.append(f"{where}: cannot be read as a shell line ({exc})")
                continue
            for command in simple_commands(words):
                problems += [f"{where}: {p}" for p in command_problems(command, produced)]
    return problems


def command_problems(command: list[str], produced: set[str]) -> list[str]:
    problems, k = [], 0
    while k < len(command) and ASSIGNMENT.match(command[k]):  # VAR=value before the command
        k += 1
    words = command[k:]
    if not words or words[0] == "export":
        return []
    program = PurePosixPath(words[0]).name
    inputs, previous = [], None
    args = []
    skip_next = False
    for word in words[1:]:
        if skip_next:  # the value of an option that takes no path: parsed, not looked for
            skip_next = False
            args.append(word)
            previous = word
            continue
        if word in REDIRECTS:
            previous = word
            continue
        if previous in (">", ">>", "&>"):
            produced.add(word.removeprefix("./"))
        elif previous in ("<", "<<"):
            inputs.append(word)
        else:
            args.append(word)
            if program == "design-review" and previous in OUTPUT_OPTIONS and "=" in word:
                produced.add(word.split("=", 1)[1].removeprefix("./"))
            if word in NOT_PATH_OPTIONS:
                skip_next = True
            else:
                inputs.append(word)
        previous = word
    if program == "design-review":
        why, reads = check_design_review(args)
        if why:
            problems.append(why)
        for path in reads:  # documents, folders, globs, --config, --baseline-file: paths, whatever they look like
            if path not in produced and not in_repo(path):
                problems.append(f"{path} is not in the repository")
    if program == "make":
        for target in (a for a in args if not a.startswith("-") and "=" not in a):
            if target not in make_targets():
                problems.append(f"`make {target}`: the Makefile has no such target")
    for word in inputs:
        path = path_of(word)
        if path and path not in produced and not in_repo(path):
            problems.append(f"{path} is not in the repository")
    return list(dict.fromkeys(problems))  # a path both named and read by design-review: once


# ---- links

def without_code(text: str, inline: bool = True) -> str:
    """The text with fenced blocks blanked (line numbers kept) and, with `inline`, code spans removed."""
    lines = text.splitlines()
    for lang, first, body in fenced_blocks(text):
        for k in range(first - 2, min(first + len(body.splitlines()), len(lines))):
            lines[k] = ""
    text = "\n".join(lines)
    return re.sub(r"(`+)(.+?)\1", "", text, flags=re.S) if inline else text


def anchors(doc: Path) -> set[str]:
    """GitHub's anchors for the headings of a markdown file."""
    seen: dict[str, int] = {}
    out = set()
    for line in without_code(doc.read_text(encoding="utf-8"), inline=False).splitlines():
        m = HEADING.match(line)
        if not m:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(2))  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def link_problems(doc: Path) -> list[str]:
    problems = []
    name = doc.relative_to(ROOT).as_posix()
    text = without_code(doc.read_text(encoding="utf-8"))
    targets = [m.group(1) for m in LINK.finditer(text)] + [m.group(1) for m in REFERENCE.finditer(text)]
    for target in targets:
        if SCHEME.match(target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        try:
            rel = file.relative_to(ROOT).as_posix() if file != ROOT else "."
        except ValueError:
            problems.append(f"{name}: link {target} leaves the repository")
            continue
        if rel != "." and not in_repo(rel):
            problems.append(f"{name}: link {target} names {rel}, which is not in the repository")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            problems.append(f"{name}: link {target}: {rel} has no heading with the anchor #{anchor}")
    return problems


# ---- the tests

@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_shell_examples_name_real_files_and_commands(doc):
    problems = shell_problems(doc)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_local_links_resolve(doc):
    problems = link_problems(doc)
    assert not problems, "\n".join(problems)


def test_the_docs_have_shell_examples_to_check():
    """The checks above find what they look for: the README's first review is among them."""
    readme = ROOT / "README.md"
    lines = [line for lang, first, body in fenced_blocks(readme.read_text(encoding="utf-8"))
             if lang in SHELL_LANGS for _, line in shell_lines(body, first)]
    assert any(line.startswith("make demo") for line in lines)
    assert any("design-review review examples/recsys_design.md" in line for line in lines)


def test_readme_is_a_guide():
    """README.md stays a short guide; the reference lives under docs/."""
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150


def test_the_checker_catches_what_it_should():
    """Broken examples are reported: a missing file, an unknown subcommand or option, a missing target."""
    assert command_problems(["design-review", "review", "docs/design/ranking.md"], set())
    assert command_problems(["design-review", "lint", "examples/recsys_design.md"], set())
    assert command_problems(["design-review", "review", "examples/recsys_design.md", "--fmt", "json"], set())
    assert command_problems(["make", "deploy"], set())
    assert not command_problems(["design-review", "review", "examples/recsys_design.md"], set())
    assert not command_problems(["design-review", "check", "examples/*.md", "--baseline", "origin/main"], set())
    assert not command_problems(["design-review", "check", "tests/**/*.md"], set())
    assert command_problems(["design-review", "check", "designs"], set())
    assert command_problems(["design-review", "check", "docs/design/**/*.md"], set())
    assert not command_problems(["curl", "-s", f"localhost:8000/v1/reviews/{SENTINEL}"], set())
    assert not command_problems(["DESIGN_REVIEW_STORE_PATH=/tmp/x", "design-review", "ingest"], set())
    assert not command_problems([".venv/bin/design-review", "check", ".design-review/x.md"], set())
    produced: set[str] = set()
    assert not command_problems(["design-review", "check", "examples", "--format", "json=r.json"], produced)
    assert not command_problems(["design-review", "check", "examples", "--baseline-file", "r.json"], produced)
