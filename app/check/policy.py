"""The check policy: `.design-review.toml` overrides merged with the command line, checked against the rubric."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import UserError
from app.review.model import SEVERITY_RANK
from app.knowledge.rubric import Rubric

CONFIG_NAME = ".design-review.toml"
Score = Annotated[float, Field(ge=0, le=1)]


class TopicSwitches(BaseModel):
    """Topic checklists forced on or off, whatever detection says."""

    model_config = ConfigDict(extra="forbid")
    on: list[str] = []
    off: list[str] = []


class ConfigFile(BaseModel):
    """What `.design-review.toml` may hold: overrides only, every key optional, no other key."""

    model_config = ConfigDict(extra="forbid")
    fail_under: Score | None = None
    fail_on: Literal["critical", "warning", "none"] | None = None
    max_drop: Score | None = None
    stage_min: dict[str, Score] = {}
    require_stages: list[str] = []
    require_items: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    disable: list[str] = []
    weights: dict[str, Annotated[float, Field(gt=0)]] = {}
    topics: TopicSwitches = TopicSwitches()


@dataclass(frozen=True)
class Policy:
    """Everything that decides whether a document passes."""

    fail_under: float = 0.0
    fail_on: str = "critical"
    max_drop: float = 0.05
    stage_min: Mapping[str, float] = field(default_factory=dict)
    require_stages: frozenset[str] = frozenset()
    require_items: frozenset[str] = frozenset()
    disabled: frozenset[str] = frozenset()
    weights: Mapping[str, float] = field(default_factory=dict)
    topics_on: frozenset[str] = frozenset()
    topics_off: frozenset[str] = frozenset()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    root: Path = Path(".")
    config_path: Path | None = None

    def fails_on(self, severity: str) -> bool:
        """Whether a gap or pitfall of this severity fails the run."""
        return self.fail_on != "none" and SEVERITY_RANK[severity] >= SEVERITY_RANK[self.fail_on]

    def summary(self) -> dict:
        """The policy as plain data, for the reports."""
        return {"fail_under": self.fail_under, "fail_on": self.fail_on, "max_drop": self.max_drop,
                "stage_min": dict(self.stage_min), "require_stages": sorted(self.require_stages),
                "require_items": sorted(self.require_items), "disabled": sorted(self.disabled),
                "weights": dict(self.weights), "topics_on": sorted(self.topics_on),
                "topics_off": sorted(self.topics_off),
                "config": str(self.config_path) if self.config_path else None}


def find_config(start: Path) -> Path | None:
    """The nearest `.design-review.toml` in `start` or a folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _explain(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            known = ", ".join(ConfigFile.model_fields if len(err["loc"]) == 1 else TopicSwitches.model_fields)
            problems.append(f"unknown key '{where}' (known keys: {known})")
        else:
            problems.append(f"{where}: {err['msg']}")
    return "; ".join(problems)


def load_config(path: Path) -> ConfigFile:
    """Read and validate a config file; every problem is a UserError that names the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise UserError(f"{path}: {_explain(exc)}") from None


def build_policy(config: ConfigFile, config_path: Path | None, cwd: Path, *,
                 fail_under: float | None = None, fail_on: str | None = None,
                 max_drop: float | None = None, stage_min: Mapping[str, float] | None = None,
                 require_stages: list[str] = (), require_items: list[str] = ()) -> Policy:
    """The file's overrides with the command line's on top (minimums merge, lists add up)."""
    def pick(cli, from_file, default):
        return cli if cli is not None else (from_file if from_file is not None else default)

    return Policy(
        fail_under=pick(fail_under, config.fail_under, 0.0),
        fail_on=pick(fail_on, config.fail_on, "critical"),
        max_drop=pick(max_drop, config.max_drop, 0.05),
        stage_min={**config.stage_min, **(stage_min or {})},
        require_stages=frozenset(config.require_stages) | frozenset(require_stages),
        require_items=frozenset(config.require_items) | frozenset(require_items),
        disabled=frozenset(config.disable), weights=dict(config.weights),
        topics_on=frozenset(config.topics.on), topics_off=frozenset(config.topics.off),
        include=tuple(config.include), exclude=tuple(config.exclude),
        root=config_path.parent if config_path else cwd, config_path=config_path)


def _unknown(kind: str, where: str, value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{where}: unknown {kind} '{value}'{hint}"


def validate_policy(policy: Policy, rubric: Rubric) -> None:
    """Refuse ids the rubric does not define and settings that contradict each other."""
    stages = [g.id for g in rubric.stages]
    topics = [g.id for g in rubric.topics]
    items = [i.id for i in rubric.items()]
    pitfalls = [p.id for p in rubric.pitfalls]
    problems = []

    def check(kind: str, where: str, values, known: list[str]) -> None:
        problems.extend(_unknown(kind, where, v, known) for v in sorted(values) if v not in known)

    check("stage", "stage_min", policy.stage_min, stages)
    check("stage", "require_stages", policy.require_stages, stages)
    check("item", "require_items", policy.require_items, items)
    check("item, stage, topic or pitfall", "disable", policy.disabled, items + stages + topics + pitfalls)
    check("item", "weights", policy.weights, items)
    check("topic", "topics.on", policy.topics_on, topics)
    check("topic", "topics.off", policy.topics_off, topics)
    for topic in sorted(policy.topics_on & (policy.topics_off | policy.disabled)):
        problems.append(f"topic '{topic}' is forced on and also off or disabled")
    for stage in sorted((set(policy.stage_min) | policy.require_stages) & policy.disabled):
        problems.append(f"stage '{stage}' has a minimum or is required, but it is disabled")
    for item in sorted(policy.require_items & set(items)):
        group = rubric.item(item).group
        if item in policy.disabled or group in policy.disabled or group in policy.topics_off:
            problems.append(f"item '{item}' is required, but it or its {group} checklist is disabled")
    if problems:
        source = f" in {policy.config_path} or the command line" if policy.config_path else ""
        raise UserError(f"invalid check configuration{source}: " + "; ".join(problems))
