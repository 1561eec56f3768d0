"""Accuracy as the headline metric of a problem whose positive class is rare."""

from __future__ import annotations

from app.scoring.pitfalls.context import Context
from app.scoring.pitfalls.cues import REJECTION, compile_cue, without_asides

_ACCURACY = compile_cue(
    r"\baccuracy\b|\d+(?:\.\d+)?\s?%\s+accurate\b|\baccurate\s+(?:on\s+|in\s+)?\d+(?:\.\d+)?\s?%|\bval_acc\w*|[\"']acc[\"']|\bval acc\b|\bacc\s*[=:]"
    r"|\bcorrect(?:ly)? (?:classified|classifies|labell?ed|labeled|predicted|identified|assigned)"
    r"|\bclassif\w* [^.;]{0,40}\bcorrect(?:ly)?\b|\bcorrect class\b|\bin the right class\b"
    r"|\b(?:right|correct)\b [^.;]{0,12}\d+(?:\.\d+)?\s?% of the time"
    r"|\d+(?:\.\d+)?\s?%\s+of\s+(?:the\s+)?[\w'-]+(?:\s[\w'-]+)?\s+(?:right|correct(?:ly)?|the same way)\b"
    r"|\b(?:model|it|classifier|detector|filter|network)\b[^.;]{0,20}\bagree\w* with [^.;]{0,60}\d+(?:\.\d+)?\s?%"
    r"|\b(?:model|it|classifier|detector|filter|network)\b[^.;]{0,20}\b(?:is wrong|gets wrong|matches)\b[^.;]{0,40}\d+(?:\.\d+)?\s?%"
    r"|\bmis-?classification rate|\bclassification error\b|\bhit rate \(correct|\bcorrect\s*/\s*all\b"
    r"|\b(?:share|fraction|proportion|percentage) of [^.;]{0,40}\bcorrect(?:ly)?\b"
    r"|\bpred\w*\s*==?\s*(?:y_?true|label|actual|had_\w+|is_\w+|y)\b"
    r"|\bright\b[^.;]{0,30}\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?\s?% (?:of \w+ )?(?:right|correct)\b"
)
_ACCURACY_EXCUSED = compile_cue(
    # a forecast's or a regression's accuracy, stated as an error measure, is no classification accuracy
    r"\b(?:mape|smape|wape|mae|rmse|mse|mase|r2|forecast accuracy|forecasting accuracy)\b|"
    r"\b(?:not|never|no longer|rather than|instead of|misleading|meaningless|useless|uninformative|"
    r"tells us nothing|only to illustrate|illustrat\w*|balanced|macro\w*|per[- ](?:class|intent|category)|"
    r"majority[- ]class|disabled|would|could|always|(?:approves|allows|passes|lets|flags|holds|predicts|calls) "
    r"(?:everything|nothing|no\b|every)|(?:flagging|alerting|holding) nothing|"
    r"all[- ]benign|never (?:alarm|alert|flag|hold)\w*|calls every|says nothing|"
    r"a (?:model|filter|classifier|score|predictor|rule) that|"
    # the labels' quality, not the model's: annotators checked against a gold set
    r"annotat\w*|labell?ers?|raters?|inter-?rater|gold (?:set|standard labels)|"
    # what calibration means ("a well-calibrated model that says 0.2 is right 20% of the time")
    r"calibrat\w*)\b|n't\b"
)
_ACCURACY_COMMIT = compile_cue(
    r"\b(?:headline|primary|main|key|north[- ]star|success|target|optimi[sz]\w*|report\w*|ship\w*|"
    r"launch\w*|go-?live|release|bar|criteri\w*|accept\w*|gate\w*|select\w*|choos\w*|"
    r"pick\w*|beats?|beat|at least|proud|thrilled|recommend\w*|propos\w*|replace\w*|sweep|keep the one|"
    r"judged on|maximi[sz]\w*|"
    r"highest|compile|(?:number|figure|metric|score) (?:that )?(?:we|i|they) (?:follow|track|watch|report|use|"
    r"optimi[sz]e|care about|go by))\b|\d+(?:\.\d+)?\s?%|0\.\d+"
)
# the document says in so many words that the positive class is rare
_RARE_STATED = compile_cue(
    r"\b(?:(?:are|is|very|quite|extremely) rare|rare (?:class\w*|positives?|events?|cases?|outcomes?|labels?)|"
    r"imbalanced|(?<!book )(?<!load )(?<!demand )(?<!supply )imbalance(?! penalt)|skewed classes|minority class|needle|(?:1|one) (?:[\w-]+ ){0,2}in \d[\d,]{1,}|"
    r"\d+ in \d{3,}|base rate|positive rate)\b"
    # an event rate stated as a small share ("annualised failure rate is around 1.4%")
    r"|\b(?:failure|fraud|positive|event|default|churn|conversion|click|incident|defect|error) rates? "
    r"(?:is |of |are |was )?(?:around |about |~|roughly |only |just |under |below )?(?:0?\.\d+|[0-4](?:\.\d+)?)\s?%"
    r"|(?<![\d.])(?:0?\.\d+|[0-4](?:\.\d+)?) ?(?:%|percent|per ?cent) (?:of|are|is|were|was|have|had|become|became|"
    r"convert\w*|turn into|end up|reach|get)\b"
    # a count of cases followed by its small share ("about 4,000 (0.02%)")
    r"|\d[\d,]*\s*\(\s*(?:about |~|≈)?(?:0?\.\d+|[0-4](?:\.\d+)?)\s?%\s*\)"
    r"|\b(?:less than|under|below|fewer than) (?:0?\.\d+|[1-4](?:\.\d+)?) ?(?:%|percent)"
    r"|\b\d+ (?:in|per|out of) (?:every )?\d[\d,]{2,}\b"
    # "1 bag in ~200", "one in about 5,000"
    r"|\b(?:1|one) (?:[\w-]+ ){0,2}in (?:~|about |≈|roughly |around )\s?\d[\d,]{1,}"
    # a label and its small share ("misconnected: ~0.5%"), a count and its small share in the next cell
    r"|:\s*(?:~|about |≈)?\s?(?:0?\.\d+|[0-4](?:\.\d+)?)\s?%"
    r"|\b\d{1,3}(?:,\d{3})+\s+(?:~|about |≈)?(?:0?\.\d+|[0-4]\.\d+)\s?%"
)
# a rare-positive domain: evidence only when it is what the document is about (its title, or more than
# one of its windows), not one passing word ("fault tolerance", "web-based attacks", "heart attacks")
_RARE_DOMAIN = compile_cue(
    r"\b(?:flaws?|fraud\w*|anomal\w*|defect\w*|faults?(?![- ]toleran)|"
    r"intrusion\w*|(?<!heart )(?<!web-based )attacks?|malware|malicious|phishing|spam\w*|bots?|abuse|seizures?|cancer|"
    r"tumou?rs?|injur\w*|chargebacks?|money laundering|aml|suspicious|cheat\w*|forg(?:ed|ery|eries)|"
    r"escalat\w*|subrogation|illegal|churn\w*|wake ?word|false (?:alarms|accepts)|"
    r"hazard\w*|incident\w*|violat\w*|toxic\w*)\b"
)
_BALANCED_DOC = compile_cue(
    r"\b(?:classes are (?:roughly |about |nearly )?balanced|balanced classes|(?:roughly|about|nearly) "
    r"balanced|balanced by (?:design|construction)|every class has the same weight)\b"
)
# the design names another metric as its headline: accuracy elsewhere is a secondary figure
_OTHER_HEADLINE = compile_cue(
    r"\b(?:primary|headline|main|north[- ]star|key|target|optimi[sz]ation|selection|success)\s+(?:metric|kpi|measure)s?"
    r"\s*(?:is|are|will be|:|=|-)?\s*(?:the\s+)?(?:weighted\s+|macro\s+|micro\s+)?"
    r"(?:f1|f-?score|f-?beta|recall|precision|pr-?auc|roc-?auc|auc|auprc|average precision|ap\b|map\b|mcc|"
    r"ndcg|mrr|balanced accuracy|cost|expected value|log-?loss)"
    # the objective stated as another metric ("Maximize macro-averaged F1 across languages, not accuracy")
    r"|\b(?:maximi[sz]e|optimi[sz]e|objective\W+maximi[sz]e)\s+(?:the\s+)?(?:(?:macro|micro|weighted)[- ]?(?:averaged\s+)?)?"
    r"(?:f1|f-?score|f-?beta|recall|pr-?auc|auprc|average precision|mcc)\b"
    r"|\b(?:not|rather than|instead of|over) (?:plain |raw |overall |simple )?accuracy\b"
)
# accuracy named among other classification metrics, as a change to watch, or as one quality of many
_OTHER_METRICS = compile_cue(
    r"\b(?:precision|recall|f1|f-?score|auc|roc|pr-?auc|auprc|average precision|log[-_ ]?loss|"
    r"confusion matrix|sensitivity|specificity|mcc)\b"
)
_ACCURACY_CHANGE = compile_cue(
    r"\baccuracy[\s_]+(?:drop|degrad|declin|loss|regress|decay|fall)\w*|\b(?:drop|degrad|declin|loss|regress\w*|decay)\w*"
    r"\s+(?:in|of)\s+(?:model\s+)?accuracy\b|\b(?:minimal|small|little|no|some)\s+accuracy\s+(?:loss|cost|hit|drop)"
    r"|\baccuracy\s+(?:\w+\s+)?(?:drops|degrades|declines|falls)\b"
)
_QUALITIES = compile_cue(
    r"\b(?:speed|fast\w*|latency|interpretab\w*|explainab\w*|cost|throughput|training time|inference time|"
    r"scalab\w*|drift|cpu|memory|error rate|request rate|uptime|simplicity|maintainab\w*|tradeoff|trade-off)\b"
)
_ACCURACY_NUMBER = compile_cue(
    r"\baccura(?:cy|te)\b[^.;,()]{0,25}?\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?\s?%[^.;,()]{0,20}\baccura(?:cy|te)\b"
    r"|\baccuracy\b\W{0,4}(?:0?\.\d+|1\.0)\b"
)
# an aim with no figure ("ensure the model's accuracy", "high accuracy and performance")
_ACCURACY_VAGUE = compile_cue(
    r"\b(?:ensur\w*|enhanc\w*|improv\w*|increas\w*|boost\w*|maximi[sz]\w*|maintain\w*|high|higher|good|great|"
    r"strong|better|lower|low|more|less|overall|prediction|recommendation)\s+(?:the\s+)?(?:\w+'s\s+)?(?:\w+\s+)?accura\w*"
)


def _is_rare_positive(ctx: Context) -> bool:
    """The document says, or shows by its subject, that the positive class is rare."""
    return ctx.fact("rare", lambda: bool(_RARE_STATED.search(ctx.full)) or _is_rare_domain(ctx))


def _is_rare_domain(ctx: Context) -> bool:
    """The document's title, or more than one of its windows, names a rare-positive domain."""
    hits = [k for k, t in enumerate(ctx.texts) if k not in ctx.diagram and _RARE_DOMAIN.search(t)]
    return len(hits) >= 2 or bool(_RARE_DOMAIN.search(ctx.doc.title or ""))


# accuracy as the gate a model passes ("judged on accuracy", "the threshold chosen to maximise accuracy")
_ACCURACY_GATE = compile_cue(
    r"\b(?:judged|selected|promoted|gated|signed off) on (?:\w+ )?accuracy\b|"
    r"\b(?:chosen|selected|tuned|set|picked) to maximi[sz]e (?:\w+ )?accuracy\b")


def _is_secondary(text: str) -> bool:
    """Accuracy as a secondary figure: beside other classification metrics, a drop to watch, or a vague quality."""
    if _ACCURACY_GATE.search(text) and not _OTHER_METRICS.search(text):
        return False
    # accuracy among speed, latency and cost with no figure of its own is not the headline that ships the model
    if _OTHER_METRICS.search(text) or _ACCURACY_CHANGE.search(text):
        return True
    if _ACCURACY_NUMBER.search(text) or any(any(c.isdigit() for c in m.group(0)) for m in _ACCURACY.finditer(text)):
        return False
    return bool(_ACCURACY_VAGUE.search(text)) or len({m.group(0).lower() for m in _QUALITIES.finditer(text)}) >= 2


def _makes_headline(ctx: Context, k: int) -> bool:
    """The window makes the figure a headline, or is a table row under a header that does."""
    if _ACCURACY_COMMIT.search(ctx.texts[k]):
        return True
    # a table's header names the metric, its rows the numbers
    return ctx.windows[k].kind == "table_row" and any(
        _ACCURACY_COMMIT.search(ctx.texts[j]) for j in ctx.neighbours(k, 0, 4) if ctx.windows[j].kind == "table_row")


_ACCURACY_KEYS = ("acc", "correct", "right", "agree", "misclass", "classification error", "pred", "same way",
                  "of the time", "wrong", "match")


# what a report showed before, not what this design reports ("Last time we showed accuracy and ...")
_PAST = compile_cue(r"\b(?:last time|in the (?:old|previous|last) report|previously (?:we )?(?:showed|reported|used))\b")


def detect_accuracy(ctx: Context) -> list[int]:
    """Windows that make accuracy the headline metric of a problem whose positive class is rare."""
    if not _is_rare_positive(ctx) or ctx.anywhere("balanced", _BALANCED_DOC):
        return []
    if ctx.anywhere("other_headline", _OTHER_HEADLINE):
        return []
    out = []
    for k, text in ctx.having(_ACCURACY_KEYS):
        said = without_asides(text)
        if not _ACCURACY.search(text) or _ACCURACY_EXCUSED.search(said) or REJECTION.search(said) or _PAST.search(text):
            continue
        if not _is_secondary(text) and _makes_headline(ctx, k):
            out.append(k)
    return out
