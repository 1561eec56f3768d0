"""The wheel carries what an installed reviewer needs: corpus, prompts, the scorer's weights and
the embedding model (checksum checked), and the review page's files (app/api/templates, static).

Builds the wheel, installs it without dependencies into a fresh virtual environment that sees this
environment's packages, and loads the prompt, the corpus and the weights from there, away from the
checkout (what the pre-commit hook's environment or `pipx install` gets).
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import app, sys
from pathlib import Path
from app.config import default_corpus_dir
from app.llm.prompts import PROMPTS_DIR, load_prompt
from app.knowledge.loader import load_knowledge
from app.scoring.local import WEIGHTS_FILE, ScorerModel
from app.embedding.onnx import shipped_model
assert REPO not in Path(app.__file__).resolve().parents, app.__file__
assert Path(sys.prefix) in PROMPTS_DIR.parents, PROMPTS_DIR
assert Path(sys.prefix) in default_corpus_dir().parents, default_corpus_dir()
load_prompt("review")
knowledge = load_knowledge(default_corpus_dir())
assert len(knowledge.rubric.stages) == 10
ScorerModel.load(WEIGHTS_FILE)
model = shipped_model()
assert REPO not in model.model_file.resolve().parents, model.model_file
from app.api.pages import HERE  # the review page and the offline API docs
for name in ("templates/page.html", "static/page.js", "static/charts.js", "static/page.css",
             "static/favicon.svg", "static/vendor/VENDORED.md", "static/vendor/swagger-ui/swagger-ui-bundle.js",
             "static/vendor/swagger-ui/swagger-ui.css", "static/vendor/swagger-ui/LICENSE",
             "static/vendor/redoc/redoc.standalone.js", "static/vendor/redoc/LICENSE"):
    assert (HERE / name).is_file(), name
print("ok", PROMPTS_DIR)
"""


def test_an_installed_wheel_loads_prompts_corpus_weights_and_model(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(REPO)], check=True, cwd=tmp_path)
    wheel = next(dist.glob("design_reviewer-*.whl"))
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The project's dependencies come from this environment, after the new one's own packages.
    Path(site, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(wheel)], check=True, cwd=tmp_path)
    done = subprocess.run([str(python), "-c", f"REPO = __import__('pathlib').Path({str(REPO)!r})\n" + PROBE],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")
