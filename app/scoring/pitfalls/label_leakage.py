"""A feature known only after the prediction time: outcomes, later events, the latest snapshot."""

from __future__ import annotations

import re

from app.scoring.pitfalls.context import Context
from app.scoring.pitfalls.cues import DRAFT, REJECTION, compile_cue, without_asides
from app.scoring.pitfalls.preprocessing import names_statistics_over_all

_FEATURE_CONTEXT = compile_cue(
    r"\b(?:features?|inputs?|signals?|columns?|fields?|predictors?|variables?|attributes?)\b"
    r"|\b(?:fed|feed|passed|given) (?:in)?to the model\b|\bthe model (?:sees|gets|uses|takes)\b"
)
_FEATURE_SECTION = compile_cue(r"\b(?:features?|inputs?|signals?|columns?|predictors?|variables?)\b")
_AFTER = compile_cue(
    r"\b(?:post-(?:discharge|purchase|delivery|event|outcome|close|closure|treatment|visit|booking|sale|launch(?! review)|"
    r"resolution|approval|funding|incident)|subsequent\w*(?! (?:steps?|stages?|runs?|sections?|jobs?|tasks?))|eventual(?! consisten)\w*|ultimately(?=\s+(?:\w+ed|paid|sold|won|lost|bought|went|became|got|left)\b))\b"
    r"|\b(?:during|over the course of|throughout) the (?:stay|call|trip|session|visit|admission|claim|loan|"
    r"ticket|episode|flight|shift|game|match|contract|subscription|case)\b"
    r"|\b(?:closed|resolved|cancell?ed|returned|refunded|completed|ended|settled|churned|delivered|"
    r"discharged|paid|approved|rejected|shipped)_(?:at|date|ts|time|flag|on|amount)\b"
    r"|\b(?:in|during|within|over) the (?:first |next )?\d+ (?:days?|weeks?|months?|hours?) after\b"
    r"|\b(?:in|during) the (?:month|week|day|year) after\b|\bafter (?:the )?(?:discharge|delivery|"
    r"open(?:ing)?|send|purchase|booking|show|departure|arrival|event|outcome|decision|prediction|"
    r"fact|claim closes|label|fraud|churn|cancellation|this push|the push|funding|close|completion)\b"
    r"|\b(?:at|during) (?:any point|the stay)|\bin_stay\b|\bduring the stay\b|\b\w+_after\w*|\bafter_\w+"
    r"|\b(?:once|after) (?:it|the \w+) (?:is |has been |was )?(?:closed|resolved|settled|completed|"
    r"ended|cancelled|churned|delivered|closes|ends|finished)\b"
)
# known only once the predicted period or case has run its course: the window being predicted, what
# comes after the snapshot, the next event, the actual value, the case's life cycle to its close
_LATER_GENERIC = compile_cue(
    r"\b(?:prediction|target|label|outcome|forecast)\s+(?:[\w-]+\s+){0,2}window\b|"
    r"\bduring the (?:[\w-]+ ){0,2}(?:campaign|observation|treatment) window\b|"
    # read on the day the outcome is known ("trust signals from the snapshot on the seller's label date")
    r"\b(?:on|at) (?:the )?(?:[\w-]+'s )?(?:label|outcome|closure|close) date\b|\bsame\s+(?:[\w-]+\s+){0,2}window\s+as\b|\bwe are predicting\b|"
    r"\bbeing predicted\b|\b(?:window|period|days?|weeks?|months?|years?)\s+after\s+(?:the\s+)?(?:snapshot|cut-?off|"
    r"prediction|scor\w*|reference date|as-of date|index date|decision)\b|\bafter the (?:snapshot|cut-?off)\b|"
    r"\bnext (?:fixture|match|game|visit|order|session|shift|trip|flight|appointment|race|episode|billing cycle)\b|"
    r"\bactual_\w+|\bactual (?:departure|arrival|delay|hours|amount|cost|outcome|sale price|result)\b|"
    # (not a lead time: "days until check-in" is known from the booked dates)
    r"\b(?<!days )(?<!hours )(?<!weeks )(?<!time )(?:to|until|at) (?:closure|closing|resolution|settlement|"
    r"discharge(?! order| decision)|completion|check-?out|check-?in)\b|"
    r"\b(?:total )?amount paid\b|\blife ?cycle\b|\bcurrent_\w*(?:state|status|stage|balance)\w*|"
    r"\b\w*status_date\b|\blast_status\w*|"
    # read from the same record as the label ("same row as the churn flag")
    r"\bsame (?:row|record|snapshot row|line) as the (?:\w+ )?(?:label|target|flag|outcome)\b|"
    # events counted up to a point after the reference date: "event_ts <= DATEADD(day, 30, snapshot_date)"
    r"<=?\s*(?:dateadd|date_add|timestampadd)\(\s*\w+\s*,\s*\+?[1-9]\d*\s*,\s*[\w.]*(?:snapshot|as_?of|predict|scor|cut_?off|"
    r"reference|index)\w*|<=?\s*[\w.]*(?:snapshot|as_?of|predict|scor|cut_?off|reference|index)\w*_(?:date|ts|time)\s*\+\s*"
    r"(?:interval\s*)?'?[1-9]"
)
# the case's own record while it runs ("for this appeal", "of the session", "on the lot"): with a
# count, a total or a yes/no about it and no look-back, it is written as the outcome unfolds
_OWN_CASE = compile_cue(
    r"\b(?:for|on|of|in|during) (?:this|the(?: same)?) (?:session|appeal|lot|list|auction|sale|claim|stay|order|trip|"
    r"visit|ticket|call|application|case|loan|booking|shipment|match|game|episode|shift|pick list|month)\b"
)
_TALLY = compile_cue(r"\b(?:count|counts|total|number of|sum|whether|minutes|hours|length|channel|sent)\b|_count\b|_sent\b")


def _names_own_case_tally(text: str) -> bool:
    return any(_TALLY.search(c) and not _LOOKBACK.search(c) and not _KNOWN_AT_TIME.search(c)
               for c in (_clause(text, m.start(), m.end()) for m in _OWN_CASE.finditer(text))) \
        or bool(_OWN_CASE.search(text) and _TALLY.search(text) and not _LOOKBACK.search(text)
                and not _KNOWN_AT_TIME.search(text))


_LATEST = compile_cue(
    # (not the latest values pushed to the online store: that is serving)
    # (nor "latest value, time since last observation, slope": the last reading before the prediction)
    r"\blatest (?:nightly |daily |monthly )?(?:snapshot|values?|file|refresh|record)\b(?! (?:to|in|into) (?:the )?(?:online|serving|cache))"
    r"(?!,| and | or |\))|\bmost complete picture"
    r"|\bcurrent (?:state|status|value)\b|\bat extract time\b|"
    # taken as the source system holds them on the day the data was pulled, not at prediction time
    r"\bas of (?:the )?(?:data )?(?:extract\w*|export|pull|dump|download)(?: date| day| time)?\b|\bclosed record\b|\bfinal (?:\w+ )?(?:record|value|"
    r"days_on_market|amount|price)\b"
    r"|\b(?:computed|calculated|aggregated) over (?:the )?(?:full|entire|whole)\b"
    r"|\bover the (?:full|entire|whole) [a-z_ ]*(?:table|history|data ?set|log)"
    r"|\bloaded alongside\b|\balongside the [\w-]+ outcome|\bonly the latest\b"
    r"|\brefreshed nightly[^.;]{0,40}latest|\bat day \d+\b|\bday[- ]\d+ (?:views|clicks)"
    r"|\ball (?:complaints|billing codes|notes|calls|tickets)\b|\bwithout (?:a )?time (?:filter|cut)"
)
_OUTCOME_FIELD = compile_cue(
    r"(?:_to_date|_charged|_outcome|_resolution|_final|_closed|_confirmed|_downloaded|"
    r"_referral\w*|_notice|_reached|_completed|_after\w*|_assessment)"
    r"|\b(?:days|time|hours|minutes|weeks)_(?:to|until|till)_(?:payment|pay|paid|churn\w*|clos\w*|resolution|"
    r"resolv\w*|default\w*|cancel\w*|return\w*|refund\w*|complet\w*|conver\w*|sale|sold|failure|fail\w*|"
    r"outcome|discharge|readmission|death|notice\w*|no_?show\w*)"
    r"|\b(?:disposition\w*|rework\w*|refund_\w+|from the (?:trip )?receipt|settlement(?:_\w+| amounts?| dates?| values?| status)|settled[_ ](?:amount|value|date|sum)\w*|closing (?:record|report|statement|folio|balance)|reserve[_ ]changes|"
    r"adjuster notes|handle time|escalat\w*|agent replies|customer replies|demo_held|proposal_sent\w*|"
    r"num_sales_activities|stage[- ]history|collections calls?|work_order\w*|parts_ordered\w*|"
    r"discharge (?:medications|assessment|summary|letter)|certificate\w*|offer_letter\w*|interview_stage\w*|"
    r"porting request|number porting|messages? exchanged|close notes|closing notes|resolution notes|scans?_\w+|\w+_scans?|count_scans\w*|real driven|actual (?:distance|"
    r"duration|time|pushback|delivery|arrival|fare)|toll fees|messages the two have exchanged|exchanged in the|"
    r"cancellation_fee\w*|reminder_confirmed|no_show_rate|siu_referral\w*|days_claim_open|"
    r"total_paid\w*|reductions_count|days_on_market|picker_minutes|courier_wait\w*|at the door|"
    r"end-of-day audit|occupancy reached|gp letter|follow-up (?:call|treatment|visit)\w*|"
    r"dwell time of the (?:current|same)|chargebacks? (?:on|for) (?:the|this) "
    r"(?:transaction|purchase|order)|account_closed\w*|\w+_date is set)\b"
)
# records written by the process that handles the outcome once it is under way: a leaver's offboarding, a
# churner's port-out, a defaulter's collections, a chargeback's dispute. They exist for (almost) only the
# positive cases, and only after the outcome has begun.
_OUTCOME_PROCESS = compile_cue(
    r"\b(?:offboarding|exit interviews?|last working day|leaving date|resignation\w*|notice period|"
    r"port[-_ ]?outs?|porting|cancell?ation requests?|disconnect(?:ion)? requests?|termination (?:requests?|notices?)|"
    r"collections?[-_ ](?:agency|agencies|case|queue|status|stage|assigned|referral)\w*|(?:debt )?collectors?|"
    r"debt recovery|charge-?offs?|charged off|repossess\w*|foreclos\w*|"
    r"disputes?|disputed|dispute[-_]\w+)\b"
)
# a look-back window: the history before the prediction ("n_billing_disputes_90d", "in the last 12 months")
_LOOKBACK = compile_cue(
    r"_\d+\s?(?:d|w|m|y|h|days|weeks|months)\b|\b(?:in|over|during) the (?:last|past|previous|prior) \d+\b|"
    r"\bprior\b|\bprevious\b|\bpast\b|\bearlier\b|\bhistor\w*|\bbefore\b|\bso far\b|\buntil now\b|\bup to now\b"
)
# no end in time on the case itself: over the whole life of the loan, whether the account was ever ...
_UNBOUNDED = compile_cue(
    r"\bover the (?:whole |entire |full )?life(?:time)? of (?:the|this|each|its) \w+"
    r"|\b(?:the|this|each) (?:account|loan|customer|order|policy|claim|card|line|subscriber|patient|employee|case|"
    r"user|contract|member|device|ticket|application)s? (?:was|were|has|had|is|have) ever\b"
)
_KNOWN_AT_TIME = compile_cue(
    r"\b(?:known at|known (?:two|\d+) hours before|available at|available when|exists? when|as of|as it stood|"
    r"point[- ]in[- ]time|(?:only|solely) (?:to|for|as) (?:build|define|derive|create)?\s?(?:the )?label|"
    r"used only as (?:the )?label|prior \d+ days|before (?:the|each|that|this) |up to (?:yesterday|the)|"
    r"excluded|exclude|not used|never used|leave out|left out|removed|rejected|forbidden|dropped|"
    r"rules? out|ruled out|at or before|timestamped before|not allowed|we know|at the [\d:]+ prediction|"
    r"held at (?:time )?\*?t\b|"
    r"not (?:a )?features?|is not a feature|only historic|historic|cut at|window_end|event_ts <|"
    r"filtered on|never later|strictly before|before submission|at submission|at (?:the )?decision time|"
    r"at (?:the )?time of (?:the )?(?:decision|prediction|scoring|request|application|booking))\b"
)


# a count or total of events on the very case being predicted, with no cut-off in time
_ENTITY_AGG = compile_cue(
    r"\b(?:number|count|total|sum|num|n)\w*\s+of\s+[\w\s'-]{0,40}?\b(?:on|for|of|during|in|logged on|about)\s+"
    r"(?:the|this|that|each)\s+(?:same\s+)?(?:ticket|claim|order|loan|stay|wafer|parcel|case|application|trip|"
    r"booking|transaction|admission|policy|shipment|delivery|complaint|lead|invoice|reservation|incident)\b"
    r"|\b(?:logged|recorded|filed|received)\s+(?:on|for|against)\s+(?:the|this)\s+(?:ticket|claim|order|loan|stay|"
    r"wafer|parcel|case|application|trip|booking|transaction|admission|shipment|invoice|reservation)\b"
)
_TABLE_NAME = compile_cue(r"\b(?:from|join)\s+[\w.]*$")
_SQL = compile_cue(r"\bselect\b[^;]{0,400}\bfrom\b")
_NOT_FEATURE = compile_cue(
    r"^\W*(?:output|label|target|prediction|eval\w*|metric\w*)\s*:|\b(?:counter-?metric|we watch|guardrail)"
    # the model's life cycle (retraining, refreshes, archiving), not what a feature holds
    r"|\b(?:re-?train\w*|re-?fit\w*|refresh\w* the model|archiv\w*)\b"
    # what is done with the predictions once made ("If predicted quantiles cross, we sort them after prediction")
    r"|\bpredicted (?:quantiles|values|scores|probabilities)\b|\bpost-?process\w*"
    # a trend told as background ("escalations went from ~12 to ~30 per month")
    r"|\bwent (?:up |down )?from [~\d]"
    # labels or codes that drift over time are a risk told, not a feature
    r"|\b(?:codes?|labels?|taxonomy|mapping) drifts?\b")


_LEAK_KEYS = (
    "close note", "closing note", "resolution note", "after", "stay", "any point", "_", "latest", "complete picture", "current", "extract", "closed", "final",
    "over the", "alongside", "refresh", "all ", "without", "disposition", "rework", "refund", "receipt",
    "settle", "reserve", "adjuster", "handle time", "escalat", "repl", "stage", "collections", "discharge",
    "certificate", "porting", "scan", "real driven", "actual", "toll", "exchanged", "at the door",
    "end-of-day", "occupancy reached", "gp letter", "follow-up", "support ticket", "dwell time", "chargeback",
    "once", "is set", "during", "post-", "subsequent", "eventual", "ultimately", "throughout", "course of",
    "number", "count", "total", "sum", "logged", "recorded", "filed", "received", "offboard", "exit interview",
    "last working", "leaving date", "resign", "notice", "port", "cancel", "disconnect", "terminat", "collect",
    "recovery", "charge", "reposs", "foreclos", "disput", "life", "ever")


# where outcomes are read on purpose: metrics, evaluation and monitoring are computed from what happened
_METRIC_SECTION = compile_cue(r"\b(?:metrics?|evaluation|monitoring|kpis?|success criteria|dashboards?|alert\w*)\b")
_METRIC_CODE = compile_cue(r"\bdef \w*(?:metric|score|evaluat|kpi)\w*\(")
# a data-flow line ("app -> Kafka -> MySQL -> ...") names stores and stages, not what a feature holds
_FLOW_ARROW = re.compile(r"→|->|=>|⇒")


_EXCLUDED_LEAD = compile_cue(r"\b(?:excluded|not used|removed|rejected|forbidden|leave out|left out|dropped)\b\s*:?\s*$"
                             r"|\b(?:excluded|not used|forbidden)\s*:")
_EXCLUSION = compile_cue(r"\b(?:excluded|we removed|are removed|rejected|leave out|left out|not used|forbidden)\b")


_CLAUSE_END = re.compile(r"[,;:()\n]|\s-\s|\|")


def _clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: up to the nearest comma, semicolon, colon, bracket or cell border."""
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE_END.finditer(text, end)), len(text))
    return text[left:right]


def _names_outcome_process(text: str) -> bool:
    """A record of the outcome's own process (offboarding, port-out, collections), not a look-back count of it."""
    return any(not _LOOKBACK.search(_clause(text, m.start(), m.end())) for m in _OUTCOME_PROCESS.finditer(text))


def _names_later_fact(text: str, generic: bool = True) -> bool:
    """The text names something known only later: a later event, the latest snapshot, a count or an outcome.
    `generic`: also the general cues (the window being predicted, the next event, the case's own tally),
    read in prose and field lists, not in programs."""
    # an outcome field counts, a table of that name ("from claims_closed") does not
    return bool(_AFTER.search(text) or _LATEST.search(text) or _ENTITY_AGG.search(text) or _UNBOUNDED.search(text)
                or (generic and (_LATER_GENERIC.search(text) or _names_own_case_tally(text)))
                or _names_outcome_process(text) or any(
        not _TABLE_NAME.search(text, max(0, m.start() - 40), m.start()) for m in _OUTCOME_FIELD.finditer(text)))


# a field ranked among the model's inputs ("It's the top feature by far"): what the sentence before names is a feature
_IMPORTANCE = compile_cue(
    r"\b(?:top|most important|strongest|best|leading|dominant) (?:\w+ )?"
    r"(?:features?|inputs?|signals?|predictors?|variables?)\b|\bfeature importance\b")


_FED = compile_cue(r"\b(?:fed|feed|passed|given|joined) (?:\w+ ){0,4}(?:in)?to the model\b|\bfed to the model\b")


def _in_feature_list(ctx: Context, k: int) -> bool:
    """The window is an item of a feature list: its section or lead-in sentence names features, or the next
    sentence of its paragraph ranks it among the model's inputs."""
    w = ctx.windows[k]
    if _FEATURE_SECTION.search(w.section or ""):
        return True
    if any(ctx.windows[j].kind == w.kind == "paragraph" and _IMPORTANCE.search(ctx.texts[j])
           for j in ctx.neighbours(k, 0, 1)):
        return True
    # the next sentence says the fields above go into the model ("These columns are fed to the model")
    if any(_FED.search(ctx.texts[j]) for j in ctx.neighbours(k, 0, 1)):
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


def _in_excluded_list(ctx: Context, k: int) -> bool:
    """The window sits in a list introduced as excluded features."""
    for n, j in enumerate(ctx.neighbours(k, 3, 0)):
        if _EXCLUDED_LEAD.search(ctx.texts[j]):
            return True
        if n == 0 and _EXCLUSION.search(ctx.texts[j]):
            return True   # "We removed X and Y." followed by "These are written after ..."
    return False


_FIELD_LINE = re.compile(r"^\s*(?:-\s*)?[\w.\"'-]+\s*(?::|#|,|$)")


def _is_field_list(ctx: Context, k: int) -> bool:
    """A config or schema block (YAML keys, a list of fields), not a program: most lines are one field."""
    lines = _code_lines(ctx, k)
    return len(lines) >= 2 and sum(bool(_FIELD_LINE.match(ln)) for ln in lines) >= 0.6 * len(lines)


def _code_lines(ctx: Context, k: int) -> list[str]:
    """A code or config window's lines, each with its own comment: a line is a field of its own."""
    w = ctx.windows[k]
    return [ln for ln in ctx.doc.lines[w.start_line - 1:w.end_line] if ln.strip()]


_SQL_VALUE = re.compile(r"(?:=|<>|!=|\bin\s*\()\s*'[^'\n]*'", re.I)
_AS_LABEL = re.compile(r"[\w.]+\s+AS\s+(?:label|target|y|outcome)\b", re.I)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{5,}", text.lower())}


def _without_subject(subject: set[str], text: str) -> str:
    """The text without the outcome records that are the document's own subject (the stems of its title):
    a model of dispute outcomes reads the dispute's fields at prediction time, they are not records of a
    later process."""
    if not subject:
        return text

    def keep(m: re.Match) -> str:
        stems = _stems(m.group(0))
        return " " if stems and stems <= subject else m.group(0)
    return _OUTCOME_FIELD.sub(keep, _OUTCOME_PROCESS.sub(keep, text))


def detect_label_leakage(ctx: Context) -> list[int]:
    """Windows that use as a feature what is known only after the prediction time."""
    out = []
    subject = _stems(ctx.doc.title or "")
    for k, text in ctx.having(_LEAK_KEYS):
        text = _without_subject(subject, text)
        w = ctx.windows[k]
        if w.kind == "code":  # the column selected as the label is no feature ("h.final_doc_type AS label"),
            text = _SQL_VALUE.sub(" ", _AS_LABEL.sub(" ", text))  # nor a value compared ("= 'TYPE_CONFIRMED'")
        if w.kind == "code" and _is_field_list(ctx, k) and (_KNOWN_AT_TIME.search(text) or REJECTION.search(text)):
            # a config whose other lines say "known at" or "as of": read each field's own line
            lines = [ln for ln in _code_lines(ctx, k) if _names_later_fact(ln) and not _KNOWN_AT_TIME.search(ln)
                     and not REJECTION.search(ln) and not _NOT_FEATURE.search(ln)
                     and not re.match(r"\s*label\s*:", ln)]
            if lines and not _METRIC_SECTION.search(w.section or ""):
                out.append(k)
            continue
        if w.kind == "heading":
            continue
        if _METRIC_SECTION.search(w.section or "") or _METRIC_CODE.search(text):
            continue
        if len(_FLOW_ARROW.findall(text)) >= 3:
            continue
        if not _names_later_fact(text, w.kind != "code" or _is_field_list(ctx, k)):
            continue
        if not (_FEATURE_CONTEXT.search(text) or _in_feature_list(ctx, k)):
            continue
        # a bracket describes a field's values ("empty when the buyer never opened a dispute"): no rejection there
        if _KNOWN_AT_TIME.search(text) or REJECTION.search(without_asides(text)) or _NOT_FEATURE.search(text):
            continue
        if w.kind != "code" and names_statistics_over_all(text):
            continue
        if _in_excluded_list(ctx, k) or ctx.rejected_next(k) or DRAFT.search(text):
            continue
        out.append(k)
    return out
