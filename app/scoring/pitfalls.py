"""Pitfall detection: known wrong decisions, found as the sentences that make them.

Each detector is a rule over one sentence (a window) in the context of the whole document: a cue
that the decision is made, the context that makes it wrong, and the near-misses that make it
right (a reasoned exception, a rejection of the bad option). Rules are deterministic and explain
themselves through the lines they return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from app.document.parse import Document


def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


@dataclass(frozen=True)
class Finding:
    """A pitfall found in the document, at these windows."""

    pitfall: str
    windows: tuple[int, ...]
    confidence: float


# accuracy as the headline on a rare-positive problem
_ACCURACY_HEADLINE = _rx(
    r"(?:headline|primary|main|key|north[- ]star|success|target|optimi[sz]e|report)\w*[^.]{0,40}\baccuracy\b"
    r"|(?:target|reach|achiev|goal|must|aim|at least|requir)\w*[^.]{0,40}\b\d+(?:\.\d+)? ?% "
    r"(?:overall |test |top-1 )?accuracy\b"
    r"|\baccuracy\b[^.]{0,40}(?:headline|primary|main metric|above \d|of \d|>=? ?\d|\d+(?:\.\d+)? ?%)"
)
_ACCURACY_REJECTED = _rx(
    r"\b(?:not|never|rather than|instead of|misleading|meaningless|useless|uninformative|"
    r"balanced (?:classes|test|evaluation|set)|deliberately balanced|classes are balanced|"
    r"balanced by design|balanced on purpose|macro|per[- ]class|would (?:hide|mislead|look|be))\b"
)
_RARE_RATE = _rx(
    r"(?:\b0?\.\d+ ?%|\b[0-4](?:\.\d+)? ?%)[^.]{0,60}\b(?:fraud|positive|churn|click|default|"
    r"conversion|claims?|spam|of (?:all )?(?:claims|transactions|users|accounts|logins|bookings)|base rate|rate)\b"
    r"|\b(?:fraud|positives?|churn|base rate|rate)\b[^.]{0,40}(?:\b0?\.\d+ ?%|\b[0-4](?:\.\d+)? ?%)"
    r"|(?<![\d.])(?:0?\.\d+|[0-4](?:\.\d+)?) ?% of (?:all |the )?\w+"
    r"|\b(?:rare|highly imbalanced|heavily imbalanced|class imbalance)\b"
)

# a random split on time-ordered data
_RANDOM_SPLIT = _rx(
    r"\b(?:shuffl\w+|random(?:ly)?|stratified)\b[^.]{0,80}\b(?:split|cut|divide|partition|train|test|"
    r"validation|hold[- ]?out|\d+/\d+)"
    r"|\b(?:split|cut|divide|partition)\w*\b[^.]{0,60}\b(?:randomly|at random|shuffl\w+)"
)
_SPLIT_EXCUSED = _rx(
    r"\b(?:by time|by date|by week|by month|by day|chronolog\w*|out[- ]of[- ]time|time[- ]based|"
    r"temporal|grouped by|group(?:ed)? k[- ]?fold|independent|no time order|not time[- ]ordered|"
    r"earlier|later period|before the|after the|would|inflat\w*|overstat\w*|wrong|leak\w*|instead|"
    r"rather than|not|avoid\w*|never)\b"
)
_TIME_DATA = _rx(
    r"\b(?:daily|weekly|monthly|nightly|snapshots?|time series|months?|weeks?|seasonal\w*|"
    r"history|historical|20[12]\d|timestamp\w*|logs?|sessions?|transactions?|over time)\b"
)

# statistics fitted on all data before the split
_STAT_FIT = _rx(
    r"\b(?:impute\w*|imputation|fill\w*|median|mean|z[- ]?scor\w*|standardi[sz]\w*|normali[sz]\w*|"
    r"scal(?:e|es|ed|ing|er)|clip\w*|percentiles?|min[- ]max|fit\w*|vocabulary|idf|target encod\w*)\b"
)
_ALL_DATA = _rx(
    r"\b(?:whole|entire|full|all (?:the )?(?:data|rows|records|examples))\b[^.]{0,30}\b(?:table|data ?set|data|"
    r"rows|records|corpus)?|\bthe table'?s\b|\bbefore (?:the )?split\w*|\bthen split|\bafter that\b[^.]{0,40}split"
)
_FIT_ON_TRAIN = _rx(
    r"\b(?:train(?:ing)? (?:split|set|window|data|period|portion)(?: only)?|on the training|"
    r"only on train|fixed constants?|fixed,? not fitted|precomputed from imagenet|imagenet (?:mean|statistics|normali[sz]ation))\b"
)

# a feature known only after the prediction time
_FEATURE_CONTEXT = _rx(r"\b(?:features?|inputs?|signals?|columns?|fields?|guest|customer|user|claim|account)\b")
_FUTURE_VALUE = _rx(
    r"\blatest (?:nightly |daily )?snapshot|\bmost complete picture|\bcurrent (?:state|status) of the"
    r"|\b(?:computed|calculated|aggregated) over (?:the )?(?:full|entire|whole)\b"
    r"|\bover the (?:full|entire|whole) [a-z_ ]*(?:table|history|data ?set|log)"
    r"|`?\w*(?:_to_date|_charged|_outcome|_resolution|_final|_closed)`?"
    r"|\b(?:after|once) the (?:outcome|claim (?:closes|is closed)|event|fact|label is known)\b"
    r"|\b(?:after|once) (?:it|the \w+) (?:is |has been |was )?(?:closed|resolved|settled|completed|"
    r"ended|cancelled|churned|delivered|closes|ends)\b"
)
_KNOWN_AT_TIME = _rx(
    r"\b(?:known at (?:decision|prediction|scoring|score|request|send) time|point[- ]in[- ]time|as of the|"
    r"(?:only|solely) (?:to|for|as) (?:build|define|derive|create)?\s?(?:the )?label|used only as (?:the )?label|"
    r"prior \d+ days|before the (?:booking|prediction|request|score)|excluded from (?:the )?features)\b"
)

# every non-interaction taken as a negative
_NEGATIVE_LABEL = _rx(r"\b(?:label(?:l?ed)? (?:0|zero|negative)|negatives?|as 0\b|= ?0\b|labell?ed 0|is 0\b)")
_NON_INTERACTION = _rx(
    r"\b(?:did not|didn't|never|not|no)\b[^.]{0,30}\b(?:buy|bought|purchase\w*|click\w*|watch\w*|"
    r"interact\w*|open\w*|book\w*|engag\w*|read)\b|\bnon[- ]?(?:click|interaction|purchase)s?\b"
    r"|\bevery (?:other )?(?:title|item|product|video|book)\b[^.]{0,40}\bnot\b"
)
_EXPOSED = _rx(
    r"\b(?:shown|impress\w+|rendered|displayed|exposed|served|delivered|seen|saw|viewed|scrolled past|"
    r"on screen|in view)\b"
)

# features computed by separate code for training and serving
_OFFLINE_FEATURES = _rx(
    r"\b(?:offline|for training|training features?)\b[^.]{0,120}\b(?:spark|sql|batch job|nightly job|"
    r"warehouse|notebook|pandas|hive|airflow|dbt|extract)\b"
)
_ONLINE_FEATURES = _rx(
    r"\b(?:online|at serving|at request time|serving path|in production|live)\b[^.]{0,200}\b(?:itself|"
    r"its own|re-?implement\w*|ported|rewritten|recomput\w*|(?:calculates|computes) the same)\b"
)
_REIMPLEMENTED = _rx(
    r"\b(?:re-?implement\w*|ported to|rewritten in|duplicated? (?:logic|code)|separate (?:code|implementation)s?)\b"
)
_SHARED_FEATURIZER = _rx(
    r"\b(?:same (?:library|code|featurizer|transform\w*|feature code|function)|one (?:library|featurizer|code path)|"
    r"shared (?:featurizer|library|feature code|transform\w*)|log(?:ged|s)? (?:the )?features (?:at|from) serv\w*|"
    r"features (?:are )?logged at serv\w*|logged at serv\w*|compiles? to both|point[- ]in[- ]time feature store)\b"
)


def _any(doc: Document, pattern: re.Pattern) -> bool:
    return any(pattern.search(w.text) for w in doc.windows)


def detect_accuracy(doc: Document) -> list[int]:
    if not _any(doc, _RARE_RATE):
        return []
    return [k for k, w in enumerate(doc.windows)
            if _ACCURACY_HEADLINE.search(w.text) and not _ACCURACY_REJECTED.search(w.text)]


def detect_random_split(doc: Document) -> list[int]:
    if len({m.group(0).lower() for w in doc.windows for m in _TIME_DATA.finditer(w.text)}) < 3:
        return []
    return [k for k, w in enumerate(doc.windows)
            if _RANDOM_SPLIT.search(w.text) and not _SPLIT_EXCUSED.search(w.text)]


def detect_preprocessing(doc: Document) -> list[int]:
    return [k for k, w in enumerate(doc.windows)
            if _fits_statistics(w.text) and not _FIT_ON_TRAIN.search(w.text)]


def _fits_statistics(text: str) -> bool:
    """The sentence fits preprocessing statistics over all data: that is the other pitfall."""
    return len(_STAT_FIT.findall(text)) >= 2 and bool(_ALL_DATA.search(text))


def detect_label_leakage(doc: Document) -> list[int]:
    return [k for k, w in enumerate(doc.windows)
            if _FEATURE_CONTEXT.search(w.text) and _FUTURE_VALUE.search(w.text)
            and not _KNOWN_AT_TIME.search(w.text) and not _fits_statistics(w.text)
            and w.kind != "heading"]


def detect_non_interaction(doc: Document) -> list[int]:
    return [k for k, w in enumerate(doc.windows)
            if _NEGATIVE_LABEL.search(w.text) and _NON_INTERACTION.search(w.text)
            and not _EXPOSED.search(w.text)]


def detect_skew(doc: Document) -> list[int]:
    if _any(doc, _SHARED_FEATURIZER):
        return []
    offline = [k for k, w in enumerate(doc.windows) if _OFFLINE_FEATURES.search(w.text)]
    online = [k for k, w in enumerate(doc.windows) if _ONLINE_FEATURES.search(w.text)]
    explicit = [k for k, w in enumerate(doc.windows) if _REIMPLEMENTED.search(w.text)]
    if offline and online:
        return offline[:1] + explicit
    return explicit


DETECTORS: dict[str, Callable[[Document], list[int]]] = {
    "pitfall.accuracy_on_imbalanced": detect_accuracy,
    "pitfall.random_split_time_data": detect_random_split,
    "pitfall.preprocessing_leakage": detect_preprocessing,
    "pitfall.label_leakage": detect_label_leakage,
    "pitfall.non_interaction_as_negative": detect_non_interaction,
    "pitfall.train_serve_skew": detect_skew,
}


def find_pitfalls(doc: Document, known: set[str]) -> list[Finding]:
    """Run every detector whose pitfall the rubric defines."""
    findings = []
    for pitfall_id, detect in DETECTORS.items():
        if pitfall_id not in known:
            continue
        windows = [k for k in detect(doc) if doc.windows[k].kind != "heading"]
        if windows:
            findings.append(Finding(pitfall_id, tuple(windows[:3]), 0.8 if len(windows) == 1 else 0.9))
    return findings

