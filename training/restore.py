#!/usr/bin/env python3
"""Restore the texts of training/real/ (public design documents, labelled here), byte for byte.

Labels and pointers only are kept in the project (the texts belong to their authors). For each label file, fetch its repo
with the search tool's `fetch` (source `github:OWNER/NAME`); fetch answers with the path of a git
directory. Then run, from anywhere:

  python3 restore.py --git OWNER/NAME=GIT_DIR [--git OWNER/NAME=GIT_DIR ...] --out DIR

or, when every fetched mirror sits under one folder as <owner>+<name>/repo (fetch's layout):

  python3 restore.py --mirrors FOLDER --out DIR

Each text is `git show COMMIT:PATH`, written to DIR/<label stem>.md and checked against the label's
sha256; a mismatch or a missing repo is reported and the exit status is 1.
"""
import argparse
import hashlib
import json
import pathlib
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--git", action="append", default=[], help="OWNER/NAME=GIT_DIR")
ap.add_argument("--mirrors", help="folder holding <owner>+<name>/repo git dirs")
ap.add_argument("--out", required=True)
a = ap.parse_args()
dirs = dict(g.split("=", 1) for g in a.git)
out = pathlib.Path(a.out)
out.mkdir(parents=True, exist_ok=True)
bad = 0
for label in sorted(pathlib.Path(__file__).resolve().parent.joinpath("real").glob("*.json")):
    d = json.loads(label.read_text())
    git = dirs.get(d["repo"]) or (a.mirrors and f"{a.mirrors}/{d['repo'].replace('/', '+')}/repo")
    if not git:
        print(f"{label.stem}: no git dir for {d['repo']} (fetch github:{d['repo']})"); bad += 1; continue
    for g in (git, f"{git}/.git"):  # a bare mirror, or a work tree with .git inside
        r = subprocess.run(["git", "--git-dir", g, "show", f"{d['commit']}:{d['path']}"], capture_output=True)
        if r.returncode == 0:
            break
    if r.returncode != 0 or hashlib.sha256(r.stdout).hexdigest() != d["sha256"]:
        print(f"{label.stem}: could not restore {d['repo']}:{d['path']} at {d['commit'][:10]}"); bad += 1; continue
    (out / f"{label.stem}.md").write_bytes(r.stdout)
    print(f"{label.stem}: ok ({d['words']} words)")
sys.exit(1 if bad else 0)
