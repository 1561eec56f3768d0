"""`design-review check`: review many designs against a repository's policy, for CI and hooks.

The policy (`policy.py`) merges `.design-review.toml` with the command line; `findings.py` turns
each review into findings that pass or fail; `baseline.py` marks the findings an earlier version
already had; `runner.py` ties them together and `formats.py` renders the result.
"""
