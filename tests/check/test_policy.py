"""The check's policy (app/check/policy.py): the config file, its discovery, the command line over it,
and the ids it names checked against the rubric."""

from __future__ import annotations

import re

import pytest

from app.check.policy import ConfigFile, Policy, build_policy, find_config, load_config, validate_policy
from app.errors import UserError


def test_config_file_is_validated_with_clear_errors(tmp_path):
    good = tmp_path / "ok.toml"
    good.write_text('fail_under = 0.6\nfail_on = "warning"\n[stage_min]\nmetrics = 0.5\n'
                    '[weights]\n"deployment.canary" = 3\n[topics]\non = ["ranking"]\n')
    config = load_config(good)
    assert config.fail_under == 0.6 and config.stage_min == {"metrics": 0.5}
    assert config.topics.on == ["ranking"]
    cases = {'fail_undr = 0.6\n': "unknown key 'fail_undr'",
             '[topics]\nforced = ["nlp"]\n': "unknown key 'topics.forced'",
             'fail_on = "sometimes"\n': "fail_on",
             'fail_under = 1.5\n': "fail_under",
             'fail_under = \n': "not valid TOML"}
    for body, expected in cases.items():
        bad = tmp_path / "bad.toml"
        bad.write_text(body)
        with pytest.raises(UserError, match=re.escape(expected)):
            load_config(bad)
    with pytest.raises(UserError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_config_is_found_walking_up_and_the_command_line_wins(tmp_path):
    (tmp_path / ".design-review.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / ".design-review.toml"
    config = ConfigFile(fail_under=0.5, fail_on="warning", stage_min={"metrics": 0.4, "data": 0.3},
                        require_stages=["metrics"])
    policy = build_policy(config, None, deep, fail_under=0.7, stage_min={"metrics": 0.6},
                          require_stages=["deployment"])
    assert (policy.fail_under, policy.fail_on) == (0.7, "warning")
    assert policy.stage_min == {"metrics": 0.6, "data": 0.3}
    assert policy.require_stages == {"metrics", "deployment"}
    assert policy.root == deep


def test_unknown_ids_and_contradictions_are_refused(source):
    rubric = source.rubric
    validate_policy(Policy(stage_min={"metrics": 0.5}, disabled=frozenset({"deployment.bandits", "vision"}),
                           weights={"metrics.online": 3}), rubric)
    bad = [(Policy(stage_min={"metric": 0.5}), "unknown stage 'metric' (did you mean 'metrics'?)"),
           (Policy(require_items=frozenset({"deployment.canery"})), "unknown item 'deployment.canery'"),
           (Policy(disabled=frozenset({"everything"})), "disable: unknown item, stage, topic or pitfall"),
           (Policy(weights={"metrics": 2}), "weights: unknown item 'metrics'"),
           (Policy(topics_on=frozenset({"nlp"}), topics_off=frozenset({"nlp"})), "forced on and also off"),
           (Policy(stage_min={"data": 0.5}, disabled=frozenset({"data"})), "'data' has a minimum"),
           (Policy(require_items=frozenset({"data.target"}), disabled=frozenset({"data"})), "is required")]
    for policy, expected in bad:
        with pytest.raises(UserError, match=re.escape(expected)):
            validate_policy(policy, rubric)
