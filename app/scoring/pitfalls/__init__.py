"""Pitfall detection: known wrong decisions, found as the sentences that make them.

Each pitfall is modelled by meaning rather than by phrasing:

    the operation (a split, statistics fitted, a feature's source, how negatives are labelled,
    where serving features are computed, the headline metric)
  + what makes it wrong (time-ordered data, fitted over all rows, known only after the
    prediction, every non-interaction, two code paths, a rare positive class)
  - what excuses it (a time or grouped split, fitted on training data only, as-of joins,
    impressions only, one shared code path, a metric made for imbalance)
  - a rejection of the bad option ("we do not", "rather than", "would leak", "was dropped").

Detectors read one window (a sentence, bullet, table row or code block) in the context of the
whole document (is the data ordered in time anywhere? is the positive class rare? does the
document state one shared feature library?) and of its neighbours (a question that the window
answers, a correction that follows it). Rules are deterministic, need no model, and explain
themselves through the windows they return (at most three per finding).
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


_BOX = re.compile(r"[\u2500-\u259f\u25b2-\u25c4\u2190-\u21ff]")
_ASCII_BOX = re.compile(r"\+-{2,}|-{2,}\+|\|\s{2,}\||-{2,}>|<-{2,}")


_DIAGRAM_CODE = re.compile(
    r"^\W*(?:mermaid|plantuml|dot|graphviz)\b|^\W*(?:graph|flowchart) (?:TD|TB|LR|RL|BT)\b|^\W*sequenceDiagram\b", re.I)


def _is_diagram(text: str) -> bool:
    """An ASCII, box-drawing or mermaid diagram (boxes, lines and arrows), not prose that commits to anything."""
    return (len(_BOX.findall(text)) >= 8 or len(_ASCII_BOX.findall(text)) >= 4
            or bool(_DIAGRAM_CODE.match(text)))


class _Context:
    """The document's windows with their text computed once, plus whole-document facts."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.windows = doc.windows
        self.texts = [w.text for w in doc.windows]
        self.lower = [t.lower() for t in self.texts]
        self.full = "\n".join(self.texts)
        self._cache: dict[str, bool] = {}
        # box and ASCII diagrams draw components, they decide nothing: no detector reads them
        self.diagram = {k for k, t in enumerate(self.texts) if _is_diagram(t)}

    def having(self, keys: tuple[str, ...]) -> list[tuple[int, str]]:
        """(index, text) of the windows holding any of these lower-case substrings: a cheap gate."""
        return [(k, self.texts[k]) for k, low in enumerate(self.lower)
                if k not in self.diagram and any(key in low for key in keys)]

    def anywhere(self, key: str, pattern: re.Pattern) -> bool:
        if key not in self._cache:
            self._cache[key] = bool(pattern.search(self.full))
        return self._cache[key]

    def neighbours(self, k: int, before: int, after: int) -> list[int]:
        """Windows next to k in the same section (contiguous lines, no heading in between)."""
        out = []
        w = self.windows[k]
        for j in range(k - 1, max(-1, k - before - 1), -1):
            v = self.windows[j]
            if v.kind == "heading" or v.section != w.section:
                break
            out.append(j)
        for j in range(k + 1, min(len(self.windows), k + after + 1)):
            v = self.windows[j]
            if v.kind == "heading" or v.section != w.section:
                break
            out.append(j)
        return out


# A window that discusses the option only to reject it, or hypothetically.
_REJECTION = _rx(
    r"\b(?:we|they|it|this|that|which)?\s?(?:do|does|did|must|should|will|would|can|could)\s?n[o']t\b"
    r"|\b(?:never|instead of|rather than|avoid\w*|reject\w*|discard\w*|dropped|abandon\w*|"
    r"was tried|were tried|we tried|tried (?:that|this|it) first|would (?:leak|inflate|flatter|let|put|give|"
    r"mean|make|teach|punish|push|overstate|hide|mislead|be wrong)|is a mistake|was the mistake|"
    r"the mistake|anti-?pattern|misleading|meaningless|useless|tells us nothing)\b"
)
# A following sentence that corrects the one before ("Please fit the scaler on ... instead").
_CORRECTION = _rx(r"\b(?:please|let's|let us|should|instead|rather|must|fix|we will change|change (?:it|this) to)\b")


_DRAFT = _rx(r"\b(?:first draft|the draft|initially|originally|earlier version|v1|v1's|used to|previously|"
             r"early prototype|went this way|at first we)\b")

# ---------------------------------------------------------------------------------------------
# accuracy as the headline on a rare-positive problem

_ACCURACY = _rx(
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
    r"|\bright\b[^.;]{0,30}\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?\s?% (?:of \w+ )?right\b"
)
_ACCURACY_EXCUSED = _rx(
    r"\b(?:not|never|no longer|rather than|instead of|misleading|meaningless|useless|uninformative|"
    r"tells us nothing|only to illustrate|illustrat\w*|balanced|macro\w*|per[- ](?:class|intent|category)|"
    r"majority[- ]class|disabled|would|could|always|(?:approves|allows|passes|lets|flags|holds|predicts|calls) "
    r"(?:everything|nothing|no\b|every)|(?:flagging|alerting|holding) nothing|"
    r"all[- ]benign|never (?:alarm|alert|flag|hold)\w*|calls every|says nothing|"
    r"a (?:model|filter|classifier|score|predictor|rule) that)\b|n't\b"
)
_ACCURACY_COMMIT = _rx(
    r"\b(?:headline|primary|main|key|north[- ]star|success|target|optimi[sz]\w*|report\w*|ship\w*|"
    r"launch\w*|go-?live|release|bar|criteri\w*|accept\w*|gate\w*|select\w*|choos\w*|"
    r"pick\w*|beats?|beat|at least|proud|thrilled|recommend\w*|propos\w*|replace\w*|sweep|keep the one|"
    r"highest|compile|(?:number|figure|metric|score) (?:that )?(?:we|i|they) (?:follow|track|watch|report|use|"
    r"optimi[sz]e|care about|go by))\b|\d+(?:\.\d+)?\s?%|0\.\d+"
)
# the document says in so many words that the positive class is rare
_RARE_STATED = _rx(
    r"\b(?:(?:are|is|very|quite|extremely) rare|rare (?:class\w*|positives?|events?|cases?|outcomes?|labels?)|"
    r"imbalanced|imbalance|skewed classes|minority class|needle|(?:1|one) (?:[\w-]+ ){0,2}in \d[\d,]{1,}|"
    r"\d+ in \d{3,}|base rate|positive rate)\b"
    r"|(?<![\d.])(?:0?\.\d+|[0-4](?:\.\d+)?) ?(?:%|percent|per ?cent) (?:of|are|is)\b"
    r"|\b(?:less than|under|below|fewer than) (?:0?\.\d+|[1-4](?:\.\d+)?) ?(?:%|percent)"
    r"|\b\d+ (?:in|per|out of) (?:every )?\d[\d,]{2,}\b"
)
# a rare-positive domain: evidence only when it is what the document is about (its title, or more than
# one of its windows), not one passing word ("fault tolerance", "web-based attacks", "heart attacks")
_RARE_DOMAIN = _rx(
    r"\b(?:flaws?|fraud\w*|anomal\w*|defect\w*|faults?(?![- ]toleran)|"
    r"intrusion\w*|(?<!heart )(?<!web-based )attacks?|malware|malicious|phishing|spam\w*|bots?|abuse|seizures?|cancer|"
    r"tumou?rs?|injur\w*|chargebacks?|money laundering|aml|suspicious|cheat\w*|forg(?:ed|ery|eries)|"
    r"escalat\w*|subrogation|illegal|churn\w*|wake ?word|false (?:alarms|accepts)|"
    r"hazard\w*|incident\w*|violat\w*|toxic\w*)\b"
)
_BALANCED_DOC = _rx(
    r"\b(?:classes are (?:roughly |about |nearly )?balanced|balanced classes|(?:roughly|about|nearly) "
    r"balanced|balanced by (?:design|construction)|every class has the same weight)\b"
)
# the design names another metric as its headline: accuracy elsewhere is a secondary figure
_OTHER_HEADLINE = _rx(
    r"\b(?:primary|headline|main|north[- ]star|key|target|optimi[sz]ation|selection|success)\s+(?:metric|kpi|measure)s?"
    r"\s*(?:is|are|will be|:|=|-)?\s*(?:the\s+)?(?:weighted\s+|macro\s+|micro\s+)?"
    r"(?:f1|f-?score|f-?beta|recall|precision|pr-?auc|roc-?auc|auc|auprc|average precision|ap\b|map\b|mcc|"
    r"ndcg|mrr|balanced accuracy|cost|expected value|log-?loss)"
)
# accuracy named among other classification metrics, as a change to watch, or as one quality of many
_OTHER_METRICS = _rx(
    r"\b(?:precision|recall|f1|f-?score|auc|roc|pr-?auc|auprc|average precision|log[-_ ]?loss|"
    r"confusion matrix|sensitivity|specificity|mcc)\b"
)
_ACCURACY_CHANGE = _rx(
    r"\baccuracy[\s_]+(?:drop|degrad|declin|loss|regress|decay|fall)\w*|\b(?:drop|degrad|declin|loss|regress\w*|decay)\w*"
    r"\s+(?:in|of)\s+(?:model\s+)?accuracy\b|\b(?:minimal|small|little|no|some)\s+accuracy\s+(?:loss|cost|hit|drop)"
    r"|\baccuracy\s+(?:\w+\s+)?(?:drops|degrades|declines|falls)\b"
)
_QUALITIES = _rx(
    r"\b(?:speed|fast\w*|latency|interpretab\w*|explainab\w*|cost|throughput|training time|inference time|"
    r"scalab\w*|drift|cpu|memory|error rate|request rate|uptime|simplicity|maintainab\w*|tradeoff|trade-off)\b"
)
_ACCURACY_NUMBER = _rx(
    r"\baccura(?:cy|te)\b[^.;,()]{0,25}?\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?\s?%[^.;,()]{0,20}\baccura(?:cy|te)\b"
    r"|\baccuracy\b\W{0,4}(?:0?\.\d+|1\.0)\b"
)


def _rare_positive(ctx: _Context) -> bool:
    """The document says, or shows by its subject, that the positive class is rare."""
    if "rare" not in ctx._cache:
        rare = bool(_RARE_STATED.search(ctx.full))
        if not rare:
            hits = [k for k, t in enumerate(ctx.texts) if k not in ctx.diagram and _RARE_DOMAIN.search(t)]
            rare = len(hits) >= 2 or bool(_RARE_DOMAIN.search(ctx.doc.title or ""))
        ctx._cache["rare"] = rare
    return ctx._cache["rare"]


# an aim with no figure ("ensure the model's accuracy", "high accuracy and performance")
_ACCURACY_VAGUE = _rx(
    r"\b(?:ensur\w*|enhanc\w*|improv\w*|increas\w*|boost\w*|maximi[sz]\w*|maintain\w*|high|higher|good|great|"
    r"strong|better|lower|low|more|less|overall|prediction|recommendation)\s+(?:the\s+)?(?:\w+'s\s+)?(?:\w+\s+)?accura\w*"
)


def _secondary_accuracy(text: str) -> bool:
    """Accuracy reported next to other classification metrics, as a drop to watch, or as one quality among
    speed, latency and cost with no figure of its own: not the headline that picks or ships the model."""
    if _OTHER_METRICS.search(text) or _ACCURACY_CHANGE.search(text):
        return True
    if _ACCURACY_VAGUE.search(text) and not _ACCURACY_NUMBER.search(text):
        return True
    return len({m.group(0).lower() for m in _QUALITIES.finditer(text)}) >= 2 and not _ACCURACY_NUMBER.search(text)


def detect_accuracy(ctx: _Context) -> list[int]:
    if not _rare_positive(ctx) or ctx.anywhere("balanced", _BALANCED_DOC):
        return []
    if ctx.anywhere("other_headline", _OTHER_HEADLINE):
        return []
    out = []
    for k, text in ctx.having(("acc", "correct", "right", "agree", "misclass", "classification error", "pred", "same way", "of the time",
                             "wrong", "match")):
        if not _ACCURACY.search(text) or _ACCURACY_EXCUSED.search(text) or _REJECTION.search(text):
            continue
        if _secondary_accuracy(text):
            continue
        committed = _ACCURACY_COMMIT.search(text) or (
            ctx.windows[k].kind == "table_row"   # a table's header names the metric, its rows the numbers
            and any(_ACCURACY_COMMIT.search(ctx.texts[j]) for j in ctx.neighbours(k, 0, 4)
                    if ctx.windows[j].kind == "table_row"))
        if committed:
            out.append(k)
    return out


# ---------------------------------------------------------------------------------------------
# a random split on time-ordered data

_RANDOM = _rx(
    r"\bshuffl\w*|\brandom(?:ly|ised|ized)?\b|\bat random\b|\bcoin[- ]flip|\bpermutation\b|"
    r"\buniformly (?:drawn|sampled|at random)|\bshuffle\s*=\s*true|\btrain_test_split\b|"
    r"\.sample\(\s*frac\s*=\s*1|\bfarm_fingerprint|\bhash(?:ed)?[- _](?:split|bucket|of)|\bmod\(\s*abs\(|"
    r"\bmethod:\s*(?:random|shuffle)|\bkfold\(|\bdrawn (?:at random|randomly)|\brandom_split\b|\brandperm\b"
)
_SPLIT_CONTEXT = _rx(
    r"\b(?:split\w*|cut|divid\w*|partition\w*|train(?:ing)?(?: set| rows| data| part)?|test(?: set| days| rows)?|"
    r"valid(?:ation)?|tune|hold[- ]?out|held[- ]?out|folds?|cross[- ]validation|cv|evaluation set|eval set|"
    r"ratios|fractions)\b|\b\d{2}/\d{2}(?:/\d{2})?\b|\bkfold\("
)
_NOT_A_SPLIT = _rx(
    r"\b(?:random (?:forest|search|effects?|crops?|flips?|horizontal|erasing|negatives?|catalog\w*|"
    r"selection|seeds?\b(?!:))|permutation importance|annotat\w*|labell?ing (?:team|effort|budget)|to (?:be )?label\w*|negatives?|zeros|0s|a/b|ab test|randomi[sz]ed (?:by|within|to)|switchback|"
    r"alternat\w*|approved a random|"
    r"assign\w* users|control (?:group|and treatment)|treatment|traffic|audience|exposure|augment\w*|"
    r"jitter|exploration|propensit\w*|uplift)\b"
)
_IMPLIES_SPLIT = _rx(r"train_test_split|kfold|shuffle\s*=|method")
_STATIC_UNITS = _rx(r"\b(?:tiles|images|photos|pictures|scans|films|x-rays|specimens|sheets|spectra|compounds)\b")
_SPLIT_EXCUSED = _rx(
    r"\b(?:by (?:time|date|week|month|day|year|season|sale date|received date)|time split|chronolog\w*|out[- ]of[- ]time|"
    r"time[- ]based|time[- ]ordered|temporal|timeseriessplit|rolling|walk[- ]forward|backtest\w*|"
    r"group(?:ed)?\s?k[- ]?fold|groupkfold|by (?:patient|speaker|specimen|scaffold|user|customer|clinic|site)|"
    r"(?:patient|speaker|scaffold|group)[- ]level|kept together|stay together|scaffold|"
    r"no (?:meaningful )?time order\w*|not time[- ]ordered|carries no signal|no future|"
    r"within (?:the |each )?(?:train\w*|split|fold|window)|between epochs|mini-?batch\w*|epochs?|batch(?:es)?|"
    r"inside each training window|"
    r"would|flatter\w*|inflat\w*|overstat\w*|too good|peek\w*|leak\w*|wrong|instead|rather than|"
    r"avoid\w*|never|tried|not random|appropriate|is fine|by [\w ]{0,20}\bid\b|"
    r"no (?:random|shuffl\w*))\b|n[o']t\b(?:\W+\w+){0,3}?\W+(?:shuffl|random|at random)"
)
_TIME_DATA = _rx(
    r"\b(?:daily|weekly|monthly|nightly|hourly|snapshots?|time series|months?|weeks?|days?|years?|"
    r"seasons?|seasonal\w*|history|historical|20[12]\d|timestamps?|logs?|sessions?|transactions?|"
    r"over time|dates?|quarters?|trends?|demand|forecast\w*|prices?|orders?|bookings?|events?|logged|since|"
    r"trips|rides|visits|clicks|purchases|readings|sensors?|streams?|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|"
    r"apr(?:il)?|may(?= \d)|(?<=\d )may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|"
    r"dec(?:ember)?)\b(?<!in order)"
)
# what a document classifies when its records are not events in time
_STATIC_DOC_UNITS = _rx(
    r"\b(?:images?|photos?|pictures|scans|x-rays?|radiographs?|specimens|documents?|pdfs?|texts?|sentences?|"
    r"emails?|tweets?|(?:product|customer|user|app|hotel|restaurant|movie|book) reviews?|"
    r"(?:text|chat|sms|user|customer|support) messages?|patients?|tiles|spectra|compounds|molecules|"
    r"bert|distilbert|roberta|resnet|vit|cnn|nlp|ocr|text classification|image classification)\b"
)
_NO_TIME_DOC = _rx(
    r"\b(?:no (?:meaningful )?time order\w*|not time[- ]ordered|no time ordering|carries no signal|"
    r"no future to leak|one snapshot with no)\b"
)


def detect_random_split(ctx: _Context) -> list[int]:
    if ctx.anywhere("no_time", _NO_TIME_DOC):
        return []
    if len({m.group(0).lower() for m in _TIME_DATA.finditer(ctx.full)}) < 3:
        return []
    static_doc: bool | None = None
    out = []
    for k, text in ctx.having(("shuffl", "random", "coin", "permutation", "uniformly", "train_test_split", "frac", "fingerprint", "hash", "mod(", "method", "kfold", "drawn")):
        m = _RANDOM.search(text)
        if not m:
            continue
        if not _SPLIT_CONTEXT.search(text) and not _IMPLIES_SPLIT.search(m.group(0)):
            continue
        if _NOT_A_SPLIT.search(text):
            continue
        if _SPLIT_EXCUSED.search(text) or _DRAFT.search(text):
            continue
        if _STATIC_UNITS.search(text) and not _TIME_DATA.search(text):
            continue
        # the rows split must be time-ordered: said next to the split, or the document's data are records in
        # time rather than texts, images or patients
        if static_doc is None:
            static_doc = sum(1 for t in ctx.texts if _STATIC_DOC_UNITS.search(t)) >= 3
        if static_doc and not any(_TIME_DATA.search(ctx.texts[j]) for j in [k] + ctx.neighbours(k, 4, 4)):
            continue
        out.append(k)
    return out


# ---------------------------------------------------------------------------------------------
# statistics fitted on all data before the split

_STAT_FIT = _rx(
    r"\b(?:imput\w*|fill\w*|fillna|medians?|means?|averages?|avg|std|standard deviations?|variances?|"
    r"z[- ]?scor\w*|standardi[sz]\w*|normali[sz]\w*|\w*scaler|minmax\w*|min[- ]max|"
    r"(?:standard|feature|robust|z)[- ]scal\w*|scal(?:e|es|ed|ing)(?: to)? (?:the |all |every |each |its |their )?"
    r"(?:[\w-]+ ){0,2}?(?:features?|columns?|values|inputs?|variables|pixels?|spectra|numeric\w*|data)|"
    r"clip\w*|winsori[sz]\w*|percentiles?|percentile_cont|quantiles?(?! loss| regression)|deciles?|bins?|binned|binning|"
    r"pca|principal components?|svd|vocabular\w*|idf|tf-?idf|tfidfvectorizer|vectori[sz]er|"
    r"target[- ]encod\w*|mean label|encod\w*|smote|oversampl\w*|rebalanc\w*|undersampl\w*|"
    r"feature selection|selectkbest|mutual_info\w*|chi-?square|chi2|correlated with the label|"
    r"association with|retained|most correlated|popularity features?|statistics|stats|rate per|"
    r"dropout_rate|fit_transform|fit_scope|snv)\b"
)
_ALL_DATA = _rx(
    r"\b(?:whole|entire|full|complete|all)\s+(?:the\s+)?(?:[\w,.-]+\s+){0,3}(?:table|data ?set|data|rows|records|corpus|"
    r"collection|cohort|export|clips|tiles|rocks|baskets|clauses|samples|spectra|customer-bills|bills|"
    r"weeks|years|history|listings|examples|labell?ed|documents|texts|images|photos|transactions|"
    r"patients|users|customers|sessions|orders|events|observations|series|sensors|readings|log)\b"
    r"|\bincluding (?:the )?(?:test|validation|held[- ]out|evaluation|hold-?out)\b|\b(?:test|validation) \w+ included\b"
    r"|\b(?:afterwards?|only then|and then|later|subsequently)\b[^.;]{0,30}\b(?:split|separat\w*|partition\w*|carve|"
    r"hold out|divide|train and test|train/test)"
    r"|\b(?:across|over|on) (?:the )?(?:whole|entire|full)\b"
    r"|\ball \d[\d,.]*\s?[kmb]?\s(?!(?:features|columns|variables|models|intents|classes|types|clause types)\b)[\w-]+"
    r"|\bthe (?:dataset|table|data set|data)'s\b|\bthe table's\b|\bglobal (?:mean|statistics|std)"
    r"|\b(?:before|prior to|ahead of) (?:the |any |we make the |making the )?(?:split\w*|partition\w*|cross-validation|cv)"
    r"|\b(?:dataset|corpus|table|population)-wide\b|\bglobally\b"
    r"|\bthen (?:split|make the (?:train/test )?split|hold out|carve|divide|partition)\w*"
    r"|\bafter (?:that|this)\b[^.;]{0,40}\b(?:split|carve|hold out|divide|partition)"
    r"|\bfull_dataset|\brebalanced table\b|\bevery year\b"
    r"|\bthen (?:the )?(?:5|10)-fold|\bthen runs on\b"
)
_FIT_ON_TRAIN = _rx(
    r"\b(?:train(?:ing)? (?:split|set|window|data|period|portion|months?|years?|rows|folds?|clinics|"
    r"patients|comments|only)(?: only| alone)?|on the training|only on train|on train only|fit_on: train|"
    r"training folds?|each fold|every fold|per fold|inside (?:every|each|the) (?:fold|split|training)|"
    r"(?:sklearn |scikit-learn |imblearn'?s? )?pipeline|pipe\b|make_pipeline|fixed constants?|"
    r"fixed,? not fitted|imagenet|out of fold|out-of-fold|after the split|split first|"
    r"only ever sees|training pipeline|training clips only|from the training)\b"
)
# code: a fitting call over an object that is not the training part
_CODE_FIT = _rx(
    r"(?:imputer|scaler|pca|vectori[sz]er|encoder|smote|selectkbest|imp|sc|vec|enc)\w*\([^)]*\)\s*\.fit(?:_transform|_resample)?\(\s*(?P<a>[\w\[\]\"'.]+)"
    r"|\b(?P<b>\w+)\.fit(?:_transform|_resample)?\(\s*(?P<c>[\w\[\]\"'.]+)"
    r"|\.fillna\(\s*(?P<d>\w+)[\w\[\]\"'.]*\.(?:mean|median)\(\)"
    r"|\(\s*(?P<e>\w+)\.\w+\s*-\s*\w+\.\w+\.mean\(\)\s*\)\s*/\s*\w+\.\w+\.std\(\)"
    r"|\bmutual_info_\w+\(\s*(?P<f>\w+)|\bSelectKBest\("
)
_TRAIN_NAME = re.compile(r"(?:^|[^a-z])(?:x_?tr|tr|train\w*|fold\w*|fit_data)(?:$|[^a-z])", re.I)


def _code_fits_all(text: str) -> bool:
    for m in _CODE_FIT.finditer(text):
        target = next((m.group(g) for g in "acdef" if m.group(g)), "")
        if m.group("b") and not re.search(r"(?i)imput|scal|pca|vector|encod|smote|select|imp\b|sc\b",
                                          m.group("b")):
            continue
        if target and _TRAIN_NAME.search(target):
            continue
        return True
    return False


# words that name a fitted statistic only sometimes: "normalise the text", "fill with 0", "clip at 5", "encode as UTF-8"
_STATELESS_OK = _rx(r"^(?:normali[sz]\w*|fill\w*|clip\w*|encod\w*)$")
_STATELESS = _rx(
    r"\b(?:text|unicode|utf-?8|lower-?cas\w*|upper-?cas\w*|punctuation|whitespace|accents?|diacritics|"
    r"strings?|urls?|emojis?|html|tokeni[sz]\w*|spelling|characters?|base64|json|protobuf|zeros?|constants?|"
    r"fixed|hard-?coded)\b"
)


def _fits_statistics(text: str) -> bool:
    """The sentence fits preprocessing statistics over all data: a statistic or fitted transform (not a
    stateless cleaning step such as text normalisation) and a scope over every row."""
    stats = {m.group(0).lower() for m in _STAT_FIT.finditer(text)}
    if not stats or not _ALL_DATA.search(text):
        return False
    if all(_STATELESS_OK.match(w) for w in stats) and _STATELESS.search(text):
        return False
    return True


_OLD_VERSION = _rx(r"\b(?:v1|the old (?:model|pipeline)|previous version|used to|last year's (?:model|pipeline))\b")


_PREP_KEYS = ("whole", "entire", "full", "all ", "global", "'s ", "before", "then", "after", "once", "rebalanc",
              "every year", "fit", "fillna", "mean()", "mutual_info", "selectkbest", "across")


def detect_preprocessing(ctx: _Context) -> list[int]:
    out = []
    for k, text in ctx.having(_PREP_KEYS):
        w = ctx.windows[k]
        if w.kind == "code":
            hit = _code_fits_all(text) or _fits_statistics(text)
        else:
            hit = _fits_statistics(text) or (len(_STAT_FIT.findall(text)) >= 1 and _code_fits_all(text))
        if not hit or _FIT_ON_TRAIN.search(text) or _OLD_VERSION.search(text) or _DRAFT.search(text):
            continue
        if w.kind != "code" and _REJECTION.search(text):
            continue
        if _corrected(ctx, k, _FIT_ON_TRAIN):
            continue
        out.append(k)
    return out


def _corrected(ctx: _Context, k: int, excuse: re.Pattern) -> bool:
    """A following window in the same paragraph corrects this one ("Please fit ... on train")."""
    for j in ctx.neighbours(k, 0, 3):
        t = ctx.texts[j]
        if _CORRECTION.search(t) and excuse.search(t):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# a feature known only after the prediction time

_FEATURE_CONTEXT = _rx(
    r"\b(?:features?|inputs?|signals?|columns?|fields?|predictors?|variables?|attributes?)\b"
)
_FEATURE_SECTION = _rx(r"\b(?:features?|inputs?|signals?|columns?|predictors?|variables?)\b")
_AFTER = _rx(
    r"\b(?:post-(?:discharge|purchase|delivery|event|outcome|close|closure|treatment|visit|booking|sale|launch|"
    r"resolution|approval|funding|incident)|subsequent\w*|eventual(?! consisten)\w*|ultimately(?=\s+(?:\w+ed|paid|sold|won|lost|bought|went|became|got|left)\b))\b"
    r"|\b(?:during|over the course of|throughout) the (?:stay|call|trip|session|visit|admission|claim|loan|"
    r"ticket|episode|flight|shift|game|match|contract|subscription|case)\b"
    r"|\b(?:closed|resolved|cancell?ed|returned|refunded|completed|ended|settled|churned|delivered|"
    r"discharged|paid|approved|rejected|shipped)_(?:at|date|ts|time|flag|on|amount)\b"
    r"|\b(?:in|during|within|over) the \d+ (?:days?|weeks?|months?|hours?) after\b"
    r"|\b(?:in|during) the (?:month|week|day|year) after\b|\bafter (?:the )?(?:discharge|delivery|"
    r"open(?:ing)?|send|purchase|booking|show|departure|arrival|event|outcome|decision|prediction|"
    r"fact|claim closes|label|fraud|churn|cancellation|this push|the push|funding|close|completion)\b"
    r"|\b(?:at|during) (?:any point|the stay)|\bin_stay\b|\bduring the stay\b|\b\w+_after\w*|\bafter_\w+"
    r"|\b(?:once|after) (?:it|the \w+) (?:is |has been |was )?(?:closed|resolved|settled|completed|"
    r"ended|cancelled|churned|delivered|closes|ends|finished)\b"
)
_LATEST = _rx(
    r"\blatest (?:nightly |daily |monthly )?(?:snapshot|values?|file|refresh|record)|\bmost complete picture"
    r"|\bcurrent (?:state|status|value)\b|\bat extract time\b|\bclosed record\b|\bfinal (?:\w+ )?(?:record|value|"
    r"days_on_market|amount|price)\b"
    r"|\b(?:computed|calculated|aggregated) over (?:the )?(?:full|entire|whole)\b"
    r"|\bover the (?:full|entire|whole) [a-z_ ]*(?:table|history|data ?set|log)"
    r"|\bloaded alongside\b|\balongside the [\w-]+ outcome|\bonly the latest\b"
    r"|\brefreshed nightly[^.;]{0,40}latest|\bat day \d+\b|\bday[- ]\d+ (?:views|clicks)"
    r"|\ball (?:complaints|billing codes|notes|calls|tickets)\b|\bwithout (?:a )?time (?:filter|cut)"
)
_OUTCOME_FIELD = _rx(
    r"(?:_to_date|_charged|_outcome|_resolution|_final|_closed|_confirmed|_downloaded|"
    r"_referral\w*|_notice|_reached|_completed|_after\w*|_assessment)"
    r"|\b(?:days|time|hours|minutes|weeks)_(?:to|until|till)_(?:payment|pay|paid|churn\w*|clos\w*|resolution|"
    r"resolv\w*|default\w*|cancel\w*|return\w*|refund\w*|complet\w*|conver\w*|sale|sold|failure|fail\w*|"
    r"outcome|discharge|readmission|death|notice\w*|no_?show\w*)"
    r"|\b(?:disposition\w*|rework\w*|refund_\w+|from the (?:trip )?receipt|settle\w*|reserve[_ ]changes|"
    r"adjuster notes|handle time|escalat\w*|agent replies|customer replies|demo_held|proposal_sent\w*|"
    r"num_sales_activities|stage[- ]history|collections calls?|work_order\w*|parts_ordered\w*|"
    r"discharge (?:medications|assessment|summary|letter)|certificate\w*|offer_letter\w*|interview_stage\w*|"
    r"porting request|number porting|scans?_\w+|\w+_scans?|count_scans\w*|real driven|actual (?:distance|"
    r"duration|time|pushback|delivery|arrival|fare)|toll fees|messages the two have exchanged|exchanged in the|"
    r"cancellation_fee\w*|reminder_confirmed|no_show_rate|siu_referral\w*|days_claim_open|"
    r"total_paid\w*|reductions_count|days_on_market|picker_minutes|courier_wait\w*|at the door|"
    r"end-of-day audit|occupancy reached|gp letter|follow-up (?:call|treatment|visit)\w*|"
    r"support tickets?|dwell time of the (?:current|same)|chargebacks? (?:on|for) (?:the|this) "
    r"(?:transaction|purchase|order)|account_closed\w*|\w+_date is set)\b"
)
_KNOWN_AT_TIME = _rx(
    r"\b(?:known at|known (?:two|\d+) hours before|available at|available when|exists? when|as of|as it stood|"
    r"point[- ]in[- ]time|(?:only|solely) (?:to|for|as) (?:build|define|derive|create)?\s?(?:the )?label|"
    r"used only as (?:the )?label|prior \d+ days|before (?:the|each|that|this) |up to (?:yesterday|the)|"
    r"excluded|exclude|not used|never used|leave out|left out|removed|rejected|forbidden|dropped|"
    r"not (?:a )?features?|is not a feature|only historic|historic|cut at|window_end|event_ts <|"
    r"filtered on|never later|strictly before|before submission|at submission)\b"
)


# a count or total of events on the very case being predicted, with no cut-off in time
_ENTITY_AGG = _rx(
    r"\b(?:number|count|total|sum|num|n)\w*\s+of\s+[\w\s'-]{0,40}?\b(?:on|for|of|during|in|logged on|about)\s+"
    r"(?:the|this|that|each)\s+(?:same\s+)?(?:ticket|claim|order|loan|stay|wafer|parcel|case|application|trip|"
    r"booking|transaction|admission|policy|shipment|delivery|complaint|lead|invoice|reservation|incident)\b"
    r"|\b(?:logged|recorded|filed|received)\s+(?:on|for|against)\s+(?:the|this)\s+(?:ticket|claim|order|loan|stay|"
    r"wafer|parcel|case|application|trip|booking|transaction|admission|shipment|invoice|reservation)\b"
)
_TABLE_NAME = _rx(r"\b(?:from|join)\s+[\w.]*$")
_SQL = _rx(r"\bselect\b[^;]{0,400}\bfrom\b")
_NOT_FEATURE = _rx(r"^\W*(?:output|label|target|prediction|eval\w*|metric\w*)\s*:|\b(?:counter-?metric|we watch|guardrail)")


_LEAK_KEYS = (
    "after", "stay", "any point", "_", "latest", "complete picture", "current", "extract", "closed", "final",
    "over the", "alongside", "refresh", "all ", "without", "disposition", "rework", "refund", "receipt",
    "settle", "reserve", "adjuster", "handle time", "escalat", "repl", "stage", "collections", "discharge",
    "certificate", "porting", "scan", "real driven", "actual", "toll", "exchanged", "at the door",
    "end-of-day", "occupancy reached", "gp letter", "follow-up", "support ticket", "dwell time", "chargeback",
    "once", "is set", "during", "post-", "subsequent", "eventual", "ultimately", "throughout", "course of",
    "number", "count", "total", "sum", "logged", "recorded", "filed", "received")


# where outcomes are read on purpose: metrics, evaluation and monitoring are computed from what happened
_METRIC_SECTION = _rx(r"\b(?:metrics?|evaluation|monitoring|kpis?|success criteria|dashboards?|alert\w*)\b")
_METRIC_CODE = _rx(r"\bdef \w*(?:metric|score|evaluat|kpi)\w*\(")
# a data-flow line ("app -> Kafka -> MySQL -> ...") names stores and stages, not what a feature holds
_FLOW_ARROW = re.compile(r"→|->|=>|⇒")


def detect_label_leakage(ctx: _Context) -> list[int]:
    out = []
    for k, text in ctx.having(_LEAK_KEYS):
        w = ctx.windows[k]
        if w.kind == "heading":
            continue
        if _METRIC_SECTION.search(w.section or "") or _METRIC_CODE.search(text):
            continue
        if len(_FLOW_ARROW.findall(text)) >= 3:
            continue
        leak = _AFTER.search(text) or _LATEST.search(text) or _ENTITY_AGG.search(text) or next(
            (m for m in _OUTCOME_FIELD.finditer(text) if not _TABLE_NAME.search(text, max(0, m.start() - 40), m.start())),
            None)
        if not leak:
            continue
        if not (_FEATURE_CONTEXT.search(text) or _feature_list(ctx, k)):
            continue
        if _KNOWN_AT_TIME.search(text) or _REJECTION.search(text) or _NOT_FEATURE.search(text):
            continue
        if w.kind != "code" and len(_STAT_FIT.findall(text)) >= 2 and _ALL_DATA.search(text):
            continue
        if _excluded_list(ctx, k):
            continue
        out.append(k)
    return out


def _feature_list(ctx: _Context, k: int) -> bool:
    """The window is an item of a feature list: its section or lead-in sentence names features."""
    w = ctx.windows[k]
    if _FEATURE_SECTION.search(w.section or ""):
        return True
    if w.kind == "code" or _SQL.search(ctx.texts[k]):
        return True
    back = ctx.neighbours(k, 20, 0)
    for n, j in enumerate(back):
        if _FEATURE_CONTEXT.search(ctx.texts[j]):
            return True
        if ctx.windows[j].kind != w.kind and n >= 1:
            break
    return False


_EXCLUDED_LEAD = _rx(r"\b(?:excluded|not used|removed|rejected|forbidden|leave out|left out|dropped)\b\s*:?\s*$"
                     r"|\b(?:excluded|not used|forbidden)\s*:")


def _excluded_list(ctx: _Context, k: int) -> bool:
    """The window sits in a list introduced as excluded features."""
    for n, j in enumerate(ctx.neighbours(k, 3, 0)):
        if _EXCLUDED_LEAD.search(ctx.texts[j]):
            return True
        if n == 0 and _EXCLUSION.search(ctx.texts[j]):
            return True   # "We removed X and Y." followed by "These are written after ..."
    return False


_EXCLUSION = _rx(r"\b(?:excluded|we removed|are removed|rejected|leave out|left out|not used|forbidden)\b")


# ---------------------------------------------------------------------------------------------
# every non-interaction taken as a negative

_NEGATIVE_LABEL = _rx(
    r"\b0\s?=|\b(?:labell?ed|label) (?:0|zero) if\b|\b(?:label(?:l?ed|s)?\s?(?:0|zero|-1|negative)|negatives?|negative_\w+|neg\b|as 0\b|=\s?0\b|"
    r"labell?ed 0|is (?:a )?0\b|gets? (?:label )?0\b|get label 0|are 0\b|a 0\b|0s\b|zeros?\b|"
    r"y\s?=\s?0|\b0 otherwise|label(?:led)? irrelevant|irrelevant|rejections?|disliked|not interested|"
    r"don't want|doesn't want|did not want|decided against|put label 0|0\)\s*for\b|,\s*0\)|"
    r"as 0|AS label)\b"
)
_NON_INTERACTION = _rx(
    r"\b(?:every|all|any)\b(?: of)?(?: the)? (?:other|remaining|rest)\b|\bthe rest of the\b"
    r"|\b(?:every|all|any)\b(?: of)?(?: the)? ?(?:other|remaining|\d[\d,]* )?[^.;]{0,40}?\b(?:not|never|no)\b"
    r"(?! sampling)(?! correction)"
    r"|\bevery other\b|\ball (?:the )?other\b|\bany (?:\w+ )?in the (?:catalog(?:ue)?|collection|index)"
    r"|\b(?:catalog(?:ue)?|collection|index|menu)\b[^.;]{0,60}\b(?:not|never|n't)\b"
    r"|\b(?:not|never|n't)\b[^.;]{0,40}\b(?:in the )?(?:catalog(?:ue)?|collection|index)\b"
    r"|\bcatalog(?:ue)? minus\b|\bcatalog_complement\b|\ball_items\s*-|\bcross join\b|\bnot_bought\b"
    r"|\b(?:everything|anything|all) else\b|\bwithout (?:a |any )?(?:click|purchase|interaction|play|order|"
    r"engagement|install|booking|download|save|like|rating)s?\b|\bno (?:recorded |logged )?(?:interaction|click|"
    r"purchase|engagement|play)s?\b|\bunobserved (?:pairs|entries|cells|items)\b|\bunseen\b|\bmissing (?:pairs|entries|cells)\b"
    r"|\bnon[- ]?(?:click|interaction|purchase|install)s?\b|\bunpurchased|\bunbought|\bunclicked"
    r"|\b(?:has|have|had|did|does|do)\s?(?:not|n't)\s(?:yet\s)?(?:get\s)?(?:buy|bought|purchas\w*|click\w*|watch\w*|open\w*|install\w*|starr?\w*|stream\w*|borrow\w*|"
    r"appl(?:y|ied)|tune\w*|hired|interact\w*|engag\w*|read|listen\w*|play\w*|sav\w*|lik\w*|order\w*|book\w*|"
    r"select\w*|used?|download\w*|swip\w*|messag\w*|respond\w*|redeem\w*|visit\w*|sign\w*|join\w*|add\w*|"
    r"chose|choose|pick\w*)|\bnever\s(?:buy|bought|purchas\w*|click\w*|watch\w*|open\w*|install\w*|starr?\w*|stream\w*|borrow\w*|"
    r"appl(?:y|ied)|tune\w*|hired|interact\w*|engag\w*|read|listen\w*|play\w*|sav\w*|lik\w*|order\w*|book\w*|"
    r"select\w*|used?|download\w*|swip\w*|messag\w*|respond\w*|redeem\w*|visit\w*|sign\w*|join\w*|add\w*|"
    r"chose|choose|pick\w*)"
    r"|\b0 otherwise\b|\bevery candidate\b|\bevery \([\w, ]+\) pair\b"
)
_EXPOSED = _rx(
    r"\b(?:shown|impress\w+|rendered|displayed|exposed|served|seen|saw|viewed|scrolled past|"
    r"on screen|in view|viewport|visible|viewable|appeared|offered|skipped|skip-above|ranked above)\b"
)
_NOT_EXPOSED = _rx(r"\b(?:also when|even when|even if|whether|including|regardless|or not)\b")
_NEG_EXCUSED = _rx(
    r"\b(?:no label|not (?:a )?negatives?|not treated as|are not used as|is not the same|"
    r"confidence|weakly|log-?q|logq|(?<!no )sampling correction|corrected for|in-batch|in batch|we do not label|"
    r"do not build|get no label|gets no label|not (?:label|use)|never-\w+ is not|weighted by popularity|"
    r"popularity\s?\^|proportional to|impression-based|graded|ndcg|relevance grades?)\b"
)
# rejecting the option outright (not "never bought", which is the mistake's own wording)
_NEG_REJECTED = _rx(
    r"\b(?:we|they) (?:do|did) not (?:label|use|treat|build|count)|\bnot (?:treated|counted|used) as\b|"
    r"\brather than\b|\binstead of\b|\bwould (?:teach|punish|push|bias)\b|\bis not a negative\b"
)


def detect_non_interaction(ctx: _Context) -> list[int]:
    out = []
    for k, text in ctx.having(("not", "never", "n't", "other", "all", "any", "every", "minus", "complement", "cross join", "non", "un", "otherwise", "without", "no ", "else")):
        if not _NON_INTERACTION.search(text):
            continue
        labelled = _NEGATIVE_LABEL.search(text) or any(
            _NEGATIVE_LABEL.search(ctx.texts[j]) for j in ctx.neighbours(k, 1, 0))
        if not labelled:
            continue
        if _field_definition(ctx, k):
            continue
        if _NEG_EXCUSED.search(text) or _NEG_REJECTED.search(text) or _DRAFT.search(text):
            continue
        if _EXPOSED.search(text) and not _NOT_EXPOSED.search(text):
            continue
        if _corrected(ctx, k, _EXPOSED):
            continue
        out.append(k)
    return out


# "1 if ..., 0 otherwise" also defines a binary column: it is a label only where the window or its
# lead-in speaks of labels, targets or training examples
_LABEL_TALK = _rx(
    r"\b(?:labels?|labell?ed|labell?ing|targets?|y\s?=|negatives?|positives?|training (?:rows?|examples?|pairs?|"
    r"data|set)|ground truth|relevan\w*)\b"
)
_ZERO_OTHERWISE = _rx(r"\b1 if\b[^.;]{0,120}\b0 otherwise\b|\b0 otherwise\b")


def _field_definition(ctx: _Context, k: int) -> bool:
    """The window defines a binary field or feature column (a schema row), not how examples are labelled."""
    text = ctx.texts[k]
    if not _ZERO_OTHERWISE.search(text):
        return False
    return not (_LABEL_TALK.search(text) or any(_LABEL_TALK.search(ctx.texts[j]) for j in ctx.neighbours(k, 1, 0)
                                                if ctx.windows[j].kind != "table_row"))


# ---------------------------------------------------------------------------------------------
# features computed by separate code or data for training and serving

_TRAIN_SIDE = _rx(
    r"\b(?:offline|for training|in training|training (?:features?|set|job|data|rows|reads|uses|side|"
    r"pipeline|embeddings|pairs)|the training job|training_source|training-time|trained on|"
    r"notebook|warehouse|spark|hive|sql|batch job|nightly job|data science team|analytics team|"
    r"data team|ds notebook|backfill\w*|cleaned|daily snapshot|nightly snapshot|archive)\b"
)
_SERVE_SIDE = _rx(
    r"\b(?:online|at serving|for serving|serving|in production|production|at request time|request time|"
    r"live|redis|stream\w*|the service|service|api|client|on[- ]device|device|app|browser|extension|"
    r"in the shop|shop system|on the phone|the phone|serving_source|query path|platform team|bidder|"
    r"send time|at runtime)\b"
)
_OWN_STRONG = _rx(
    r"\b(?:re-?implement\w*|implements? (?:the \w+ |it |them )?again|implements? the (?:same|cleaning|features)|"
    r"ported|a port\b|port of|rewritten|rewrote|wrote (?:a|its|their) own|its own|their own|our own|"
    r"own (?:code|regex|tokeni[sz]er|synonym|calculation|rolling|normali[sz]er|crawler|implementation)|"
    r"by hand|keep in sync|written from the sql|himself|herself|themselves|re-?cod\w*|re-?deriv\w*|"
    r"translat\w* (?:the|it|them|each)|mirror\w*|duplicat\w*|copy of the (?:logic|code)|equivalent (?:logic|code)|"
    r"parallel implementation|hand-?written|manually (?:kept|ported|synced))\b|'s own\b"
    r"|\b(?:computes?|computed|calculates?|calculated|counts?) [^.;]{0,40}\bitself\b"
)
_COMPUTE = _rx(
    r"\b(?:comput\w*|calculat\w*|counts?|preprocess\w*|tokeni[sz]\w*|normali[sz]\w*|clean\w*|implement\w*|"
    r"scrap\w*|featur\w*|embed\w*|convert\w*|resiz\w*|lowercas\w*|pars\w*|sessioni[sz]\w*|deriv\w*|"
    r"module|code|function|crawler|synonym\w*|regex|tally|types?|logic|sql|queries)\b"
)
_METRIC_TALK = _rx(r"\b(?:recall|precision|ndcg|auc|tap rate|metrics?|a/b|accuracy|mae|rmse|fall(?:s)? back|fallback|shadow)\b")
_VERSIONED = _rx(r"\b(?:encoder|checkpoint|embedding model|tokeni[sz]er|model)\s+v(\d+)\b")
_TRAIN_MARK = _rx(
    r"\b(?:for training|in training|training (?:features?|set|job|rows|reads|uses|side|data|pipeline)|"
    r"training_source|offline\s*[:(]|training\s*[:(]|the training job|training-time|offline (?:features?|pipeline|job)|"
    r"historical features|for the training data|training data (?:is|are) built)"
)
_SERVE_MARK = _rx(
    r"\b(?:in production|at serving|for serving|at request time|at send time|at scoring time|serving\s*[:(]|"
    r"online\s*[:(]|serving_source|on[- ]device|in the shop|on the phone|in the browser|serving (?:reads|uses|side|path)|"
    r"the serving|at inference|inference time|at prediction time|on each request|per request|real[- ]time|"
    r"in the (?:live|online|production) (?:service|system|path|api))"
)
_SOURCE = _rx(
    r"\b(?:reads?|computes?|computed|comes? from|come from|from|counts?|calculat\w*|taken|source|scraped|"
    r"tokeni[sz]\w*|preprocess\w*|clean\w*|normali[sz]\w*|embedd?\w*|increments?|sessioni[sz]\w*|kept|keeps)\b"
)
_SHARED_FEATURIZER = _rx(
    r"\b(?:same (?:library|code|featuri[sz]er|transform\w*|feature code|function|functions|package|"
    r"definitions?|feature definitions|feature views?|artifact|graph|module|pipeline object)|"
    r"one (?:library|featuri[sz]er|code path|package|python module|c\+\+ function|tf\.transform graph|"
    r"computation)|share (?:one|the same) code path|shared (?:featuri[sz]er|library|feature code|transform\w*)|"
    r"log(?:ged|s)? (?:the )?(?:exact )?features? (?:vectors? )?(?:at|from) (?:serv\w*|request)|"
    r"features (?:are )?logged at (?:serv\w*|request)|logged at (?:serv\w*|request time)|"
    r"as logged at request time|compiles? to both|compiled into|point[- ]in[- ]time feature store|"
    r"defined once|exactly the same|exactly the code|exactly what it saw|no second)\b"
)


_SKEW_KEYS = ("serv", "online", "production", "live", "redis", "stream", "api", "client", "device", "app",
              "browser", "extension", "shop", "phone", "query path", "platform", "bidder", "send time",
              "runtime", "request", "_source")


def detect_skew(ctx: _Context) -> list[int]:
    if ctx.anywhere("shared", _SHARED_FEATURIZER):
        return []
    out: list[int] = []
    trains = [k for k, t in enumerate(ctx.texts)
              if _TRAIN_SIDE.search(t) or _TRAIN_SECTION.search(ctx.windows[k].section or "")]

    def add(*ks: int) -> None:
        for j in ks:
            if j not in out:
                out.append(j)

    for k, text in enumerate(ctx.texts):
        low = ctx.lower[k]
        if k in ctx.diagram:
            continue
        if ctx.windows[k].kind != "table_row" and not any(key in low for key in _SKEW_KEYS) and not (
                _SERVE_SIDE.search(ctx.windows[k].section or "")):
            continue
        if _REJECTION.search(text) or _DRAFT.search(text) or ctx.windows[k].kind == "heading":
            continue
        serving = _SERVE_SIDE.search(text) or _SERVE_SIDE.search(ctx.windows[k].section or "")
        # 1. the serving side computes the feature with code of its own, and training has its own path
        if (serving and _OWN_STRONG.search(text) and _COMPUTE.search(text) and trains
                and not _METRIC_TALK.search(text)):
            before = [j for j in trains if j < k and k - j <= 4]
            add(*(before[-1:] + [k]))
            continue
        # 2. "for training ... from A" next to "in production ... from B"
        code = ctx.windows[k].kind == "code"
        if _CODE_TWO_SOURCES.search(text):
            add(k)
            continue
        if _SERVE_MARK.search(text) and (_SOURCE.search(text) or code) and not _METRIC_TALK.search(text):
            if _TRAIN_MARK.search(text) and _same_store(text):
                continue
            pair = [k] if _TRAIN_MARK.search(text) else [
                j for j in ctx.neighbours(k, 3, 0)
                if _TRAIN_MARK.search(ctx.texts[j]) and not _DRAFT.search(ctx.texts[j])]
            if pair:
                add(*sorted(set(pair[:1] + [k])))
                continue
        # 3. one side on encoder vN, the other on vM
        if serving and _versions_differ(ctx, k):
            add(k)
            continue
        # 4. a table with a training column and a serving column whose cells differ
        if ctx.windows[k].kind == "table_row" and _table_differs(ctx, k):
            add(k)
    return sorted(out)


_TRAIN_SECTION = _rx(r"\b(?:training|offline|train)\b")
_CODE_TWO_SOURCES = _rx(r"\b(?:training|offline|train)_(?:source|path|table)\b[\s\S]*\b(?:serving|online|serve)_(?:source|path|table)\b")


_STORE_NAME = _rx(r"(?:\bfrom|\bjoin|\bread_\w+\(|\bload\w*\(|\btable)\s*['\"]?([\w./-]+)")


def _stores(text: str) -> set[str]:
    out = set()
    for m in _STORE_NAME.finditer(text):
        name = m.group(1).lower().rsplit("/", 1)[-1]
        name = re.sub(r"\.(?:parquet|csv|json|txt|tsv|avro|orc)$", "", name).rsplit(".", 1)[-1]
        if len(name) >= 3 and name not in {"the", "our", "its", "their", "each", "every", "a", "an"}:
            out.add(name)
    return out


def _same_store(text: str) -> bool:
    """Both sides of one window read the same stored features (a scan for training, a lookup when serving):
    two access paths to one table, not two computations."""
    m = _SERVE_MARK.search(text)
    t = _TRAIN_MARK.search(text)
    if not m or not t:
        return False
    cut = m.start() if t.start() < m.start() else t.start()
    first, second = _stores(text[:cut]), _stores(text[cut:])
    return bool(first & second)


def _versions_differ(ctx: _Context, k: int) -> bool:
    found = {m.group(1) for j in [k] + ctx.neighbours(k, 2, 0) for m in _VERSIONED.finditer(ctx.texts[j])}
    return len(found) >= 2


_COLUMN_TRAIN = _rx(r"\b(?:training|offline|train|batch)\b")
_COLUMN_SERVE = _rx(r"\b(?:serving|online|production|live|request)\b")


def _cells(line: str) -> list[str]:
    return [c.strip().lower() for c in line.strip().strip("|").split("|")]


def _table_differs(ctx: _Context, k: int) -> bool:
    """Row k of a table whose header has a training and a serving column, with different cells."""
    w = ctx.windows[k]
    j = k
    while j > 0 and ctx.windows[j - 1].kind == "table_row" and ctx.windows[j - 1].section == w.section:
        j -= 1
    if j == k:
        return False
    header = _cells(ctx.doc.lines[ctx.windows[j].start_line - 1])
    tcol = next((i for i, c in enumerate(header) if _COLUMN_TRAIN.search(c)), None)
    scol = next((i for i, c in enumerate(header) if _COLUMN_SERVE.search(c)), None)
    if tcol is None or scol is None or tcol == scol:
        return False
    row = _cells(ctx.doc.lines[w.start_line - 1])
    if max(tcol, scol) >= len(row):
        return False
    return row[tcol] != row[scol] and "same" not in row[scol]


# ---------------------------------------------------------------------------------------------

_DETECT: dict[str, Callable[[_Context], list[int]]] = {
    "pitfall.accuracy_on_imbalanced": detect_accuracy,
    "pitfall.random_split_time_data": detect_random_split,
    "pitfall.preprocessing_leakage": detect_preprocessing,
    "pitfall.label_leakage": detect_label_leakage,
    "pitfall.non_interaction_as_negative": detect_non_interaction,
    "pitfall.train_serve_skew": detect_skew,
}


def _on_document(detect: Callable[[_Context], list[int]]) -> Callable[[Document], list[int]]:
    def run(doc: Document) -> list[int]:
        return detect(_Context(doc))
    run.__name__ = detect.__name__
    run.__doc__ = detect.__doc__
    return run


DETECTORS: dict[str, Callable[[Document], list[int]]] = {
    pid: _on_document(fn) for pid, fn in _DETECT.items()}


def find_pitfalls(doc: Document, known: set[str]) -> list[Finding]:
    """Run every detector whose pitfall the rubric defines."""
    findings = []
    ctx = _Context(doc)
    for pitfall_id, detect in _DETECT.items():
        if pitfall_id not in known:
            continue
        windows = [k for k in detect(ctx) if doc.windows[k].kind != "heading" and k not in ctx.diagram]
        if windows:
            findings.append(Finding(pitfall_id, tuple(windows[:3]), 0.8 if len(windows) == 1 else 0.9))
    return findings
