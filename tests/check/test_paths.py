"""Which documents a check reads (app/check/paths.py): folders, globs, excludes."""

from __future__ import annotations

import pytest

from app.check.paths import collect_documents, matches
from app.check.policy import Policy
from app.errors import UserError


def test_paths_expand_folders_and_globs_and_drop_excluded(tmp_path):
    (tmp_path / "d" / "old").mkdir(parents=True)
    for name in ("d/a.md", "d/b.markdown", "d/notes.txt", "d/old/c.md"):
        (tmp_path / name).write_text("# x\n")
    policy = Policy(exclude=("d/old/**",), root=tmp_path)
    assert [d.display for d in collect_documents(["d"], policy, tmp_path)] == ["d/a.md", "d/b.markdown"]
    assert [d.display for d in collect_documents(["d/*.txt", "d/a.md"], Policy(root=tmp_path), tmp_path)] \
        == ["d/notes.txt", "d/a.md"]
    assert collect_documents(["d/notes.txt"], Policy(), tmp_path)[0].fmt == "text"
    with pytest.raises(UserError, match="no documents match"):
        collect_documents(["d/*.rst"], Policy(), tmp_path)
    with pytest.raises(UserError, match="nothing to check"):
        collect_documents([], Policy(), tmp_path)
    assert matches("docs/design/x.md", ("docs/**/*.md",)) and matches("x.md", ("**/*.md",))
    assert not matches("docs/design/x.md", ("docs/*.md",))
