"""Prompt files from prompts/: a system and a user part, rendered with strict undefined variables."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict

from app.config import shipped_dir
from app.errors import CorpusError

PROMPTS_DIR = shipped_dir("prompts")  # the checkout's prompts/, or the copy a wheel installs
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
                          trim_blocks=True, lstrip_blocks=True)


class PromptFile(BaseModel):
    """The two parts of a prompt file; any other key is refused."""

    model_config = ConfigDict(extra="forbid")

    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt and its version (the hash of its file)."""

    name: str
    system: jinja2.Template
    user: jinja2.Template
    version: str

    def render(self, **variables: object) -> list[dict[str, str]]:
        """Chat messages; a variable the template names but the caller leaves out raises."""
        try:
            return [{"role": "system", "content": self.system.render(**variables).strip()},
                    {"role": "user", "content": self.user.render(**variables).strip()}]
        except jinja2.UndefinedError as exc:
            raise CorpusError(f"prompt {self.name}: {exc}") from exc


def load_prompt(name: str, folder: Path = PROMPTS_DIR) -> Prompt:
    """Read prompts/<name>.yaml."""
    path = folder / f"{name}.yaml"
    raw = path.read_bytes()
    try:
        parts = PromptFile.model_validate(yaml.safe_load(raw))
    except Exception as exc:
        raise CorpusError(f"{path}: not a prompt file with 'system' and 'user' parts: {exc}") from exc
    return Prompt(name, _ENV.from_string(parts.system), _ENV.from_string(parts.user),
                  hashlib.sha256(raw).hexdigest()[:12])
