"""Preprocessing statistics (imputation, scaling, vocabularies, resampling) fitted on all data before the split."""

from __future__ import annotations

import re

from app.scoring.pitfalls.context import Context
from app.scoring.pitfalls.cues import DRAFT, REJECTION, compile_cue, without_asides

_STAT_FIT = compile_cue(
    r"\b(?:imput\w*|fill\w*|fillna|medians?|means?|averages?|avg|std|standard deviations?|variances?|"
    r"z[- ]?scor\w*|standardi[sz]\w*|normali[sz]\w*|\w*scaler|minmax\w*|min[- ]max|"
    r"(?:standard|feature|robust|z)[- ]scal\w*|scal(?:e|es|ed|ing)(?: to)? (?:the |all |every |each |its |their )?"
    r"(?:[\w-]+ ){0,2}?(?:features?|columns?|values|inputs?|variables|pixels?|spectra|numeric\w*|data)|"
    # clipping values, not audio or video clips
    r"clip(?:ped|ping|_\w+)|clip (?:the |all |values|outliers|at|to|them|it)|winsori[sz]\w*|percentiles?|percentile_cont|quantiles?(?! loss| regression| objectives?| models?)|deciles?|bins?|binned|binning|"
    r"pca|principal components?|svd|vocabular\w*|idf|tf-?idf|tfidfvectorizer|vectori[sz]er|"
    r"target[- ]encod\w*|mean label|encod\w*|\w+encoder|min/max|smote|oversampl\w*|rebalanc\w*|undersampl\w*|"
    r"feature selection|selectkbest|mutual_info\w*|chi-?square|chi2|correlated with the label|"
    r"association with|retained|most correlated|popularity features?|statistics|stats|rate per|"
    r"dropout_rate|fit_transform|fit_scope|snv|"
    # supervised feature selection: each attribute scored against the label, the best kept
    r"information[_ ]values?|weight[_ ]of[_ ]evidence|woe|keep_top|top_k_features|select_k_best)\b"
)
_ALL_DATA = compile_cue(
    r"\b(?:whole|entire|full|complete|all)\s+(?!features?\b|columns?\b|metrics?\b|models?\b)(?:the\s+)?(?:[\w,.\u2013-]+\s+){0,3}(?:table|data ?set|data|rows|records|corpus|"
    r"collection|cohort|export|clips|tiles|rocks|baskets|clauses|samples|spectra|customer-bills|bills|"
    r"weeks|years|history|listings|examples|labell?ed|documents|texts|images|photos|transactions|"
    r"patients|users|customers|sessions|orders|events|observations|series|sensors|readings|log|"
    r"csv|files?|extract|frame|dataframe|df|dump|parquet)\b"
    # the parts put back together before anything is fitted
    r"|\b(?:concatenated|combined|merged|stacked|pooled|unioned|appended)\s+(?:[\w-]+\s+)?(?:frame|dataframe|df|data ?set|"
    r"data|table|rows|set|csv|file|corpus)\b"
    # a config's fitting scope that is not the training part ("fit_on: full", "fitOn: all_rows", "fit_rows": "all")
    r"|\bfit[_ ]?(?:on|rows|scope|data)[\"']?\s*[:=]\s*[\"']?(?!train)\w+"
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
_FIT_ON_TRAIN = compile_cue(
    r"\b(?:train(?:ing)? (?:split|set|window|data|period|portion|months?|years?|rows|folds?|clinics|"
    r"patients|comments|only)(?: only| alone)?|on the training|only on train|on train only|"
    r"fit[_ ]?(?:on|rows|scope|data)[\"']?\s*[:=]\s*[\"']?train|"
    r"training folds?|each fold|every fold|per fold|inside (?:every|each|the) (?:fold|split|training)|"
    # (a scikit-learn pipeline fitted per fold, not "the first step of the (data) pipeline")
    r"(?:sklearn |scikit-learn |imblearn'?s? )?pipeline(?!\s*:)(?<!step of the pipeline)(?<!steps of the pipeline)"
    r"(?<!whole pipeline)(?<!entire pipeline)|"
    r"pipe\b|make_pipeline|fixed constants?|"
    r"fixed,? not fitted|imagenet|out of fold|out-of-fold|after the split|split first|"
    r"only ever sees|training pipeline|training clips only|from the training)\b"
    # fitted on the training period named by its end ("fitted on transactions up to the end of June")
    r"|\bfit(?:ted)? on [^.;]{0,40}\b(?:up to|until|through|before) (?:the end of )?(?:\w+ )?(?:20[12]\d|jan|feb|mar|apr|may|"
    r"jun|jul|aug|sep|oct|nov|dec|q[1-4]|the cut-?off|the split)"
)
# code: a fitting call over an object that is not the training part
_CODE_FIT = compile_cue(
    r"(?:imputer|scaler|pca|vectori[sz]er|encoder|smote|selectkbest|imp|sc|vec|enc)\w*\([^)]*\)\s*\.fit(?:_transform|_resample)?\(\s*(?P<a>[\w\[\]\"'.]+)"
    r"|\b(?P<b>\w+)\.fit(?:_transform|_resample)?\(\s*(?P<c>[\w\[\]\"'.]+)"
    r"|\.fillna\(\s*(?P<d>\w+)[\w\[\]\"'.]*\.(?:mean|median)\(\)"
    r"|\(\s*(?P<e>\w+)\.\w+\s*-\s*\w+\.\w+\.mean\(\)\s*\)\s*/\s*\w+\.\w+\.std\(\)"
    r"|\bmutual_info_\w+\(\s*(?P<f>\w+)|\bSelectKBest\("
)
_TRAIN_NAME = compile_cue(r"(?:^|[^a-z])(?:x_?tr|tr|train\w*|fold\w*|fit_data)(?:$|[^a-z])")
# the object fitted is a preprocessing step, not the model
_FITTER = re.compile(r"(?i)imput|scal|pca|vector|encod|smote|select|tfidf|imp\b|sc\b|vec\b|enc\b|prep|pipe")


def _code_fits_all(text: str) -> bool:
    """The code fits a preprocessing step on something not named as the training part."""
    for m in _CODE_FIT.finditer(text):
        target = next((m.group(g) for g in "acdef" if m.group(g)), "")
        if m.group("b") and not _FITTER.search(m.group("b")):
            continue
        if target and _TRAIN_NAME.search(target):
            continue
        return True
    return False


# words that name a fitted statistic only sometimes: "normalise the text", "fill with 0", "clip at 5", "encode as UTF-8"
_STATELESS_OK = compile_cue(r"^(?:normali[sz]\w*|fill\w*|clip\w*|encod\w*)$")
_STATELESS = compile_cue(
    r"\b(?:text|unicode|utf-?8|lower-?cas\w*|upper-?cas\w*|punctuation|whitespace|accents?|diacritics|"
    r"strings?|urls?|emojis?|html|tokeni[sz]\w*|spelling|characters?|base64|json|protobuf|zeros?|constants?|"
    r"fixed|hard-?coded)\b"
)


_METRIC_AVERAGE = compile_cue(r"\b(?:metrics?|scores?|results?|precision|recall|f1|accuracy|errors?|losses)\b")


def _fits_statistics(text: str) -> bool:
    """The sentence fits preprocessing statistics over all data: a statistic and a scope over every row."""
    # a fitted statistic or transform, not a stateless cleaning step such as text normalisation
    stats = {m.group(0).lower() for m in _STAT_FIT.finditer(text)}
    if not stats or not _ALL_DATA.search(text):
        return False
    if all(_STATELESS_OK.match(w) for w in stats) and _STATELESS.search(text):
        return False
    # averaging evaluation results ("the average metrics over all documents") fits nothing
    if stats <= {"average", "averaged", "mean"} and _METRIC_AVERAGE.search(text):
        return False
    # an average over a handful of one case's records ("the average of all 6 assignments") is a
    # feature of that case, not a statistic of the data set
    if stats <= {"average", "averaged", "mean", "avg"} and not any(
            m.group(0) for m in _ALL_DATA.finditer(_FEW.sub(" ", text))):
        return False
    return True


_FEW = re.compile(r"(?i)\ball (?:[1-9]|[1-9]\d) [a-z-]+")


def names_statistics_over_all(text: str) -> bool:
    """The sentence names two or more fitted statistics and a scope over all data: a preprocessing step."""
    return len(_STAT_FIT.findall(text)) >= 2 and bool(_ALL_DATA.search(text))


# code that computes a statistic on a frame and only later cuts that frame into train and test
_SPLIT_LINE = re.compile(
    # a train/test name ("train", "X_train", "test_df", "val2"), not a word that starts alike ("values")
    r"^\s*(?:[xy]_?)?(?:train|test|val|valid|validation|tr|te|dev)(?:_\w*|\d+)?\s*(?:,\s*\w+\s*)*=\s*(?P<a>\w+)\s*[\[.]"
    r"|\btrain_test_split\(\s*(?P<b>\w+)", re.I)
_FRAME_STAT = r"\b{f}\b[^#\n]*\.(?:mean|median|std|var|quantile|min|max|agg|transform)\(" \
              r"|\.fit(?:_transform|_resample)?\(\s*{f}\b"
# per-row windows over the past (rolling, expanding, shift) are not statistics of the whole frame
_PAST_ONLY = re.compile(r"\.(?:rolling|expanding|shift|ewm|cumsum|cumcount|diff)\(")
# a statistic kept (assigned), not one printed or asserted while exploring the data
_KEPT = re.compile(r"^\s*(?P<lhs>[\w\[\]\"'., ]+?)\s*(?<![=!<>])=(?!=)")
_SHOWN = re.compile(r"^\s*(?:print|log\w*|assert|display)\b")


def _code_stat_before_split(lines: list[str]) -> bool:
    """A statistic computed on a frame (a groupby mean, a fitted transform) and kept, before the line that cuts
    the same frame into train and test: the statistic saw the test rows."""
    code = [ln.split("#", 1)[0] for ln in lines]
    for n, line in enumerate(code):
        m = _SPLIT_LINE.search(line)
        if not m:
            continue
        frame = m.group("a") or m.group("b")
        stat = re.compile(_FRAME_STAT.format(f=re.escape(frame)))
        for ln in code[:n]:
            kept = _KEPT.match(ln)
            if not stat.search(ln) or _PAST_ONLY.search(ln) or _SHOWN.match(ln) or not kept:
                continue
            # a cut-off computed from the data ("cutoff = df.date.max() - 30 days") is the split's boundary
            name = re.match(r"\w+", kept.group("lhs").strip())
            if name and any(re.search(rf"\b{name.group(0)}\b", later) for later in code[n:n + 3]):
                continue
            return True
        return False
    return False


_ALIAS = re.compile(r"^\s*(?P<new>\w+)\s*=\s*(?P<old>\w+)\s*[\[.]")


def _stat_before_later_split(ctx: Context, k: int) -> bool:
    """A code window keeps a statistic of a frame that a later code window of the document cuts
    into train and test (directly, or through a frame taken from it: "X = frame[[...]]")."""
    w = ctx.windows[k]
    later = [ln.split("#", 1)[0] for j, v in enumerate(ctx.windows) if j > k and v.kind == "code"
             for ln in ctx.doc.lines[v.start_line - 1:v.end_line]]
    split = next((m for m in map(_SPLIT_LINE.search, later) if m), None)
    if split is None:
        return False
    frames = {split.group("a") or split.group("b")}
    for ln in later:
        alias = _ALIAS.match(ln)
        if alias and alias.group("new") in frames:
            frames.add(alias.group("old"))
    own = [ln.split("#", 1)[0] for ln in ctx.doc.lines[w.start_line - 1:w.end_line]]
    for frame in frames:
        stat = re.compile(_FRAME_STAT.format(f=re.escape(frame)))
        if any(stat.search(ln) and _KEPT.match(ln) and not _PAST_ONLY.search(ln) and not _SHOWN.match(ln)
               for ln in own):
            return True
    return False


# config written as "key: value" pairs (YAML and the like), whose comment lines parse as headings
_CONFIG = re.compile(r"(?:^|\s)[a-z_]+:\s+\S+(?:\s+\S+)?\s+[a-z_]+:\s", re.I)


def _comment_scope(ctx: Context, k: int) -> str:
    """The comment line right above a config block (parsed as a heading) says what the block runs on."""
    if k > 0 and ctx.windows[k - 1].kind == "heading" and _CONFIG.search(ctx.texts[k]):
        return ctx.texts[k - 1]
    return ""


_OLD_VERSION = compile_cue(r"\b(?:v1|the old (?:model|pipeline)|previous version|used to|last year's (?:model|pipeline))\b")


_PREP_KEYS = ("whole", "entire", "full", "all ", "global", "'s ", "before", "then", "after", "once", "rebalanc",
              "every year", "fit", "fillna", "mean()", "mutual_info", "selectkbest", "across")


# the job reads the whole table and fits on it: a scikit-learn pipeline named beside that is fitted there too
_FULL_FIT = compile_cue(r"\b(?:loads?|reads?|fits?|fitted|computes?|computed) (?:on |over )?the (?:full|whole|entire)\b")


def _excused(text: str, code: bool = False) -> bool:
    """The text says the statistics are fitted on the training part only (a pipeline alone does not,
    when the same sentence loads the full table to fit it, or the code fits it on all rows)."""
    found = [m.group(0).lower() for m in _FIT_ON_TRAIN.finditer(text)]
    if not found:
        return False
    return not (all("pipe" in f for f in found) and (_FULL_FIT.search(text) or (code and _code_fits_all(text))))


def detect_preprocessing(ctx: Context) -> list[int]:
    """Windows that fit preprocessing statistics on all data, test rows included."""
    out = []
    candidates = dict(ctx.having(_PREP_KEYS))
    for k, w in enumerate(ctx.windows):
        if w.kind == "code" and k not in ctx.diagram:
            candidates.setdefault(k, ctx.texts[k])
        elif k not in candidates and k not in ctx.diagram and _comment_scope(ctx, k):
            candidates[k] = ctx.texts[k]
    for k in sorted(candidates):
        w, text = ctx.windows[k], candidates[k]
        if w.kind == "code":
            hit = (_code_fits_all(text) or _fits_statistics(text)
                   or _code_stat_before_split(ctx.doc.lines[w.start_line - 1:w.end_line])
                   or _stat_before_later_split(ctx, k))
        else:
            hit = _fits_statistics(text) or (len(_STAT_FIT.findall(text)) >= 1 and _code_fits_all(text))
            scope = _comment_scope(ctx, k)
            if not hit and scope and _STAT_FIT.search(text):
                # the block fits a statistic, its comment says over what ("run once on the full table")
                text = scope + ". " + text
                hit = _fits_statistics(text)
        if not hit or _excused(text, w.kind == "code") or _OLD_VERSION.search(text) or DRAFT.search(text):
            continue
        if w.kind != "code" and (REJECTION.search(without_asides(text)) or text.rstrip(" *_").endswith("?")):
            continue  # rejected, or asked about: the design does not do it here
        if ctx.corrected(k, _FIT_ON_TRAIN):
            continue
        out.append(k)
    return out
