"""A random split of records that are ordered in time."""

from __future__ import annotations

import re

from app.scoring.pitfalls.context import Context
from app.scoring.pitfalls.cues import DRAFT, REJECTION, compile_cue

_RANDOM = compile_cue(
    # no boundary before "shuffl": class names such as StratifiedShuffleSplit and GroupShuffleSplit
    r"shuffl\w*|\brandom(?:ly|ised|ized)?\b|\bat random\b|\bcoin[- ]flip|\bpermutation\b|"
    r"\buniformly (?:drawn|sampled|at random)|\bshuffle\s*=\s*true|\btrain_test_split\b|"
    r"\.sample\(\s*frac\s*=\s*1|\brand\(\)|\bfarm_fingerprint|\bhash(?:ed)?[- _](?:split|bucket|of)|\bmod\(\s*abs\(|"
    r"\bhash\w*\([^()]*\)\)?\s*(?:%|\bmod\b)|"
    r"\bmethod:\s*(?:random|shuffle)|\bkfold\(|\bdrawn (?:at random|randomly)|\brandom_split\b|\brandperm\b"
    # rows pooled across the whole period when cut: "split: all rows mixed together, 90/10", "every fold has a mix
    # of days from the whole period" (only beside a split proper: "mixed together" alone is not a split)
    r"|\bmix(?:ed|es|ing)? (?:together|up)\b(?=[^.]*\b(?:split|test|hold[- ]?out|folds?|\d{2}/\d{2})\b)"
    r"|\b(?:split|test|hold[- ]?out|folds?|\d{2}/\d{2})\b[^.]*\bmix(?:ed|es|ing)? (?:together|up)\b"
    r"|\b(?:split|folds?)\b[^.]*\ba mix of\b[^.;]{0,60}\bfrom (?:the )?(?:whole|entire|full|all)\b"
    # a seed fixes a random draw: a split stated with its seed is a random split ("90/10 (seed 42)")
    r"|\b(?:split\w*|\d{2}/\d{2})\b[^.;=]{0,25}\bseed\b|\bseed\b[^.;=]{0,25}\b(?:split\w*|\d{2}/\d{2})\b"
)
_SPLIT_CONTEXT = compile_cue(
    r"\b(?:split\w*|cut|divid\w*|partition\w*|train(?:ing)?(?: set| rows| data| part)?|test(?: set| days| rows)?|"
    r"valid(?:ation)?|tune|hold[- ]?out|held[- ]?out|folds?|cross[- ]validation|cv|evaluation set|eval set|"
    r"ratios|fractions)\b|\b\d{2}/\d{2}(?:/\d{2})?\b|\bkfold\("
)
_NOT_A_SPLIT = compile_cue(
    r"\b(?:random (?:forest|search|effects?|crops?|flips?|horizontal|erasing|negatives?|catalog\w*|"
    r"selection|seeds?\b(?!:)|audits?|inspections?|spot[- ]checks?|checks?)|permutation importance|annotat\w*|labell?ing (?:team|effort|budget)|to (?:be )?label\w*|negatives?|zeros|0s|a/b|ab test|randomi[sz]ed (?:by|within|to|subjects?|patients?|participants?|trials?|controlled)|switchback|"
    r"alternat\w*|approved a random|"
    r"assign\w* users|control (?:group|and treatment)|treatment|audience|exposure|augment\w*|"
    # live traffic divided between arms ("10% of traffic", "split the traffic"), not a traffic figure
    r"traffic (?:split\w*|allocation|assign\w*|bucket\w*)|(?:split\w*|route\w*|divert\w*|send\w*|assign\w*) "
    r"(?:\w+ ){0,2}traffic|% of (?:the |live |user )?traffic|"
    r"jitter|exploration|propensit\w*|uplift|randomi[sz]ed[- ]order|randomi[sz]ed[- ]\w+ bucket|"
    # an online experiment's randomised slice, and feature hashing ("rare IDs share a hash bucket")
    r"randomi[sz]ed (?:slice|experiment|swaps?|arms?|positions?|rankings?|pilot|trial|study|rollout|test)|"
    r"\d-arm|"
    # a random sample drawn to be labelled (an unbiased estimate of prevalence), not a cut of the rows
    r"(?:the|a|our) random[- ]sample\b(?! of (?:the )?(?:rows|data|records|examples|dataset))(?! split)|"
    # a randomised treatment (a random send hour, price or offer), not a cut of the rows
    r"randomi?[sz]?e?d? (?:[\w-]+ )?(?:hours?|times?|slots?|prices?|offers?|discounts?|doses?)\b|"
    # an exposure holdout (rows not shown to planners) and one item held out of a basket, not a split
    r"not shown|minus one|leave[- ]one[- ](?:item|out)|"
    # an online holdout kept on the old policy or without the treatment, not a cut of the training rows
    r"random(?:i[sz]ed)? holdouts? (?:gets?|receives?|keeps?|stays?|of (?:users|members|customers|traffic))|"
    r"randomi[sz]ed holdouts?|random-allow|"
    r"random (?:\d+ ?% )?holdouts?\b[^.;]{0,40}\b(?:with no|without|untreated|not contacted|not shown)|"
    r"(?:campaign|treatment|uplift|coupon|policy)[^.]{0,60}\brandom(?:i[sz]ed)? holdouts?|"
    r"(?:share|shares|into|same|one) (?:a |the )?hash(?:ed)?[- ]buckets?|feature hashing|hashing trick|"
    # the order of a data loader's batches within training, not a split
    r"batch_size|dataloader|data_loader|shuffle_buffer|buffer_size)\b"
)
_IMPLIES_SPLIT = compile_cue(r"train_test_split|kfold|shuffle\s*=|method")
_STATIC_UNITS = compile_cue(r"\b(?:tiles|images|photos|pictures|scans|films|x-rays|specimens|sheets|spectra|compounds)\b")
_SPLIT_EXCUSED = compile_cue(
    r"\b(?:by (?:time|date|week|month|day|year|season|sale date|received date)|time split|chronolog\w*|out[- ]of[- ]time|"
    r"time[- ]based|time[- ]ordered|temporal|timeseriessplit|rolling|walk[- ]forward|backtest\w*|"
    r"group(?:ed)?\s?k[- ]?fold|groupkfold|groupshufflesplit|grouped by|as the group|optimistic|"
    r"by (?:patient|speaker|specimen|scaffold|user|customer|clinic|site)|"
    r"(?:patient|speaker|scaffold|group)[- ]level|kept together|stay together|scaffold|"
    r"no (?:meaningful )?time order\w*|not time[- ]ordered|carries no signal|carries no information|"
    r"not forecasting|no future|"
    r"within (?:the |each )?(?:train\w*|split|fold|window)|between epochs|mini-?batch\w*|epochs?|batch(?:es)?|"
    r"inside each training window|"
    # split along an entity ("split by seller"), not by rows
    r"split (?:\w+ )?by (?!(?:row|record|event|sample|example|transaction|line|random|chance|hash)s?\b)[a-z]+|"
    # rows kept together by an entity ("random at contract level"), not one row at a time
    r"(?:at|on) (?:the )?(?!row|record|event|sample|example|transaction|line|item)[a-z]+[- ]level|"
    # the latest period held out ("the last 2 months of the sample are the final test set")
    r"(?:last|latest|most recent|final) \d+ (?:days|weeks|months|quarters|years)\b[^.;]{0,40}\b(?:test|hold[- ]?out|"
    r"validation|evaluation)|(?:test|hold[- ]?out|validation|evaluation)\b[^.;]{0,40}\b(?:last|latest|most recent|final) "
    r"\d+ (?:days|weeks|months|quarters|years)|"
    r"would|flatter\w*|inflat\w*|overstat\w*|too good|peek\w*|leak\w*|wrong|instead|rather than|"
    r"avoid\w*|never|tried|not random|appropriate|is fine|too easy|(?:will|would) make|"
    r"nothing (?:is |was |gets )?(?:shuffl\w*|random\w*|mixed)|"
    # the evaluation parts named by their periods ("validate on 2022, test on 2023")
    r"(?:validat\w*|test\w*|hold[- ]?out|evaluat\w*|is for)\s+(?:\w+\s+){0,2}?(?:on|in|with|=|:)?\s*(?:the\s+)?"
    r"(?:year\s+|season\s+)?(?:20[12]\d|q[1-4])|"
    # by an entity's id (a grouped split), not by a row's id (a random one)
    r"by (?![\w ]{0,20}\b(?:row|record|example|sample|line|event|observation|transaction)[ _]?(?:id|index)\b)[\w ]{0,20}\bid\b|"
    r"no (?:[\w-]+ ){0,2}?(?:random\w*|shuffl\w*)|why not (?:\w+ )?(?:shuffl\w*|random\w*)|memori[sz]\w*|near[- ]duplicates?|on both sides|"
    # the parts named by their periods in other words ("by send week", "from January 2024 onwards")
    r"by (?:[\w-]+ )?(?:week|month|day|date|quarter|year)|everything (?:\w+ )?before (?:that|then|it)|"
    # a later period as the test part ("test: from January 2024 onwards"), not the data's whole range
    r"(?:test\w*|hold[- ]?out|validat\w*|evaluat\w*)\b[^.;]{0,40}\bonwards?)\b"
    r"|n[o']t\b(?:\W+\w+){0,3}?\W+(?:shuffl|random|at random)"
)
_TIME_DATA = compile_cue(
    r"\b(?:daily|weekly|monthly|nightly|hourly|snapshots?|time series|months?|weeks?|days?|years?|"
    r"seasons?|seasonal\w*|history|historical|20[12]\d|timestamps?|logs?|sessions?|transactions?|"
    r"over time|dates?|quarters?|trends?|demand|forecast\w*|prices?|orders?|bookings?|events?|logged|since|"
    r"trips|rides|visits|clicks|purchases|readings|sensors?|streams?|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|"
    r"apr(?:il)?|may(?= \d)|(?<=\d )may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|"
    r"dec(?:ember)?)\b(?<!in order)"
)
# what a document classifies when its records are not events in time
_STATIC_DOC_UNITS = compile_cue(
    r"\b(?:images?|photos?|pictures|scans|x-rays?|radiographs?|specimens|documents?|pdfs?|texts?|sentences?|"
    r"emails?|tweets?|(?:product|customer|user|app|hotel|restaurant|movie|book) reviews?|"
    r"(?:text|chat|sms|user|customer|support) messages?|patients?|tiles|spectra|compounds|molecules|"
    r"bert|distilbert|roberta|resnet|vit|cnn|nlp|ocr|text classification|image classification)\b"
)
_NO_TIME_DOC = compile_cue(
    r"\b(?:no (?:meaningful )?time order\w*|not time[- ]ordered|no time ordering|carries no signal|"
    r"no future to leak|one snapshot with no)\b"
)


# A split given only as proportions ("Split: 80% train / 20% valid", "70% will be used for training")
# divides rows at random unless something says along which axis: on time-ordered records, that is a
# random split too, when the document never says the split follows time or groups.
_PROPORTION = compile_cue(
    r"\b\d{2}\s*%?\s*/\s*\d{2}\s*%?(?:\s*/\s*\d{2}\s*%?)?(?!\s*/)\b|"
    r"\b\d{2}\s*%\s*(?:of (?:the )?\w+\s+)?(?:will be |is |are )?(?:used )?(?:for |as )?(?:the )?"
    r"(?:train\w*|valid\w*|test\w*|hold[- ]?out)\b|"
    r"\b(?:train\w*|valid\w*|test\w*)\s*(?:set\s*)?[:=(]?\s*\d{2}\s*%"
)
_AXIS = compile_cue(
    r"\b(?:by (?:time|date|week|month|day|year|season|user|customer|patient|account|merchant|driver|store|"
    r"session|query|group|cohort)|chronolog\w*|temporal\w*|out[- ]of[- ]time|time[- ](?:based|ordered|wise|split)|"
    r"timeseriessplit|rolling|walk[- ]forward|backtest\w*|forward[- ]chain\w*|group(?:ed)?\s?k[- ]?fold|"
    r"last \d+ (?:days|weeks|months|years)|(?:latest|most recent|final|later|last) (?:days?|weeks?|months?|"
    r"quarters?|years?|period|cohorts?|seasons?|releases?|batch(?:es)?)|earlier|older|newer|future|past|before|after|until|cut[- ]?off|"
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|20[12]\d|q[1-4])\b"
)


def _axis_anywhere(ctx: Context) -> bool:
    """Some window says along which axis the data is split (time, period, or a group)."""
    return ctx.fact("split_axis", lambda: any(
        _SPLIT_CONTEXT.search(t) and (_AXIS.search(t) or _SPLIT_EXCUSED.search(t)) for t in ctx.texts))


def _proportions_only(ctx: Context, k: int) -> bool:
    """Window k splits the data by proportions alone, with no axis anywhere in the document."""
    text = ctx.texts[k]
    return bool(_PROPORTION.search(text) and _SPLIT_CONTEXT.search(text) and not _AXIS.search(text)
                and not _NOT_A_SPLIT.search(text) and not _SPLIT_EXCUSED.search(text) and not DRAFT.search(text)
                and not _axis_anywhere(ctx))


def _is_static_doc(ctx: Context) -> bool:
    """The document's records are texts, images or patients rather than events in time."""
    return ctx.fact("static_doc", lambda: sum(1 for t in ctx.texts if _STATIC_DOC_UNITS.search(t)) >= 3)


def _is_time_data(ctx: Context) -> bool:
    """The document names at least three kinds of time-ordered data."""
    return len({m.group(0).lower() for m in _TIME_DATA.finditer(ctx.full)}) >= 3


_SPLIT_KEYS = ("shuffl", "random", "coin", "permutation", "uniformly", "train_test_split", "frac", "fingerprint",
               "hash", "mod(", "method", "kfold", "drawn", "mix", "seed")


def _clause(text: str, at: str) -> str:
    """The clause of the text that holds `at` (between semicolons and sentence ends)."""
    for part in re.split(r";|\.\s", text):
        if at.lower() in part.lower():
            return part
    return text


def detect_random_split(ctx: Context) -> list[int]:
    """Windows that split time-ordered records at random."""
    if ctx.anywhere("no_time", _NO_TIME_DOC) or not _is_time_data(ctx):
        return []
    out = []
    for k, text in ctx.having(_SPLIT_KEYS):
        m = _RANDOM.search(text)
        if not m:
            continue
        whole, text = text, ctx.own_line(k, m.group(0))
        # a code block splits across lines (shuffle, then cut): its split is read from the whole block,
        # its excuses from the line itself
        if not _SPLIT_CONTEXT.search(whole if ctx.windows[k].kind == "code" else text) \
                and not _IMPLIES_SPLIT.search(m.group(0)):
            continue
        if _NOT_A_SPLIT.search(text):
            continue
        if _SPLIT_EXCUSED.search(text) or DRAFT.search(text) or REJECTION.search(_clause(text, m.group(0))):
            continue
        if ctx.windows[k].kind != "code" and ctx.rejected_next(k):  # "ML Eng proposed ... Agronomy objected: ..."
            continue
        if _STATIC_UNITS.search(text) and not _TIME_DATA.search(text):
            continue
        # the rows split must be time-ordered: said next to the split, or the document's data are records in
        # time rather than texts, images or patients
        if _is_static_doc(ctx) and not any(_TIME_DATA.search(ctx.texts[j]) for j in [k] + ctx.neighbours(k, 4, 4)):
            continue
        out.append(k)
    if not out and not _is_static_doc(ctx):
        out = [k for k, w in enumerate(ctx.windows) if w.kind != "heading" and k not in ctx.diagram
               and _proportions_only(ctx, k)][:1]
    return out
