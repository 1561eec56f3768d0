"""Every non-interaction (item not clicked, bought or watched) taken as a negative label."""

from __future__ import annotations

from app.scoring.pitfalls.context import Context
from app.scoring.pitfalls.cues import DRAFT, REJECTS_PREVIOUS, compile_cue

# "1 if the member booked that session and 0 if they did not": a label and a non-interaction at once
_ZERO_IF_NOT = r"\b0 if (?:\w+ ){0,3}(?:did|do|does|has|have|had)\s?(?:not|n't)\b"
_NEGATIVE_LABEL = compile_cue(
    r"\b0\s?=|\b(?:labell?ed|label) (?:0|zero) if\b|\b(?:label(?:l?ed|s)?[\s-]?(?:0|zero|-1|negative)|negatives?|negative_\w+|neg\b|as 0\b|"
    r"labell?ed 0|is (?:a )?0\b|gets? (?:label )?0\b|get label 0|are 0\b|a 0\b|0s\b|zeros?\b|"
    r"y\s?=\s?0|\b0 otherwise|label(?:led)? irrelevant|irrelevant|rejections?|disliked|not interested|"
    r"don't want|doesn't want|did not want|decided against|put label 0|0\)\s*for\b|,\s*0\)|"
    r"as 0|AS label|label is whether)\b"
    r"|" + _ZERO_IF_NOT +
    # "label them 0", "labelled each as negative"
    r"|\blabel(?:l?ed|s)? (?:them|it|those|these|each|every \w+)(?: as)? (?:0|zero|negatives?)\b"
    # "= 0" after a label or a condition ("enrolled = 1; ... not enrolled in = 0"), "0 for every other item"
    r"|(?<![=!<>])=\s?0\b(?![.,]\d)|\b0 for (?:every|each|all|any|the|that|this|those|other)\b"
    # a label column whose missing values (no positive joined) become 0: fillna(0), coalesce(label, 0)
    r"|\blabel\w*[\"'\]]*\s*\)?\s*\.fillna\(\s*0|\bcoalesce\([^,()]*label[^,()]*,\s*0"
)
# what a user does to an item: not doing it is a non-interaction ("has not bought", "never clicked")
_ACTED = (
    r"(?:buy|bought|purchas\w*|click\w*|watch\w*|open\w*|install\w*|starr?\w*|stream\w*|borrow\w*|"
    r"appl(?:y|ied)|tune\w*|hired|interact\w*|engag\w*|read|listen\w*|play\w*|sav\w*|lik\w*|order\w*|book\w*|"
    r"select\w*|used?|download\w*|swip\w*|messag\w*|respond\w*|redeem\w*|visit\w*|sign\w*|join\w*|add\w*|"
    r"chose|choose|pick\w*|connect\w*|follow\w*|accept\w*|attend\w*|enrol\w*|subscrib\w*)"
)
_NON_INTERACTION = compile_cue(
    r"\b(?:every|all|any)\b(?: of)?(?: the)? (?:other|remaining|rest)\b|\bthe rest of the\b"
    r"|\b(?:every|(?<!\bat )all|any)\b(?: of)?(?: the)? ?(?:other|remaining|\d[\d,]* )?[^.;]{0,40}?\b(?:not|never|no)\b"
    r"(?! sampling)(?! correction)"
    r"|\bevery other\b|\ball (?:the )?other\b|\bany (?:\w+ )?in the (?:catalog(?:ue)?|collection|index)"
    r"|\b(?:catalog(?:ue)?|collection|index|menu)\b[^.;]{0,60}\b(?:not|never|n't)\b"
    r"|\b(?:not|never|n't)\b[^.;]{0,40}\b(?:in the )?(?:catalog(?:ue)?|collection|index)\b"
    r"|\bcatalog(?:ue)? minus\b|\bcatalog_complement\b|\ball_items\s*-|\bcross join\b|\bnot_bought\b"
    # every user paired with every item in stock, the label whether they bought it
    r"|\bpair\w* (?:them |it |each \w+ )?with (?:every|all|each) \w+"
    r"|\b(?:everything|anything|all) else\b|\bwithout (?:a |any )?(?:click|purchase|interaction|play|order|"
    r"engagement|install|booking|download|save|like|rating)s?\b|\bno (?:recorded |logged )?(?:interaction|click|"
    r"purchase|engagement|play)s?\b|\bunobserved (?:pairs|entries|cells|items)\b|\bunseen\b|\bmissing (?:pairs|entries|cells)\b"
    r"|\bnon[- ]?(?:click|interaction|purchase|install)s?\b|\bunpurchased|\bunbought|\bunclicked"
    r"|\b(?:has|have|had|did|does|do)\s?(?:not|n't)\s(?:yet\s)?(?:get\s)?" + _ACTED + r"|\bnever\s" + _ACTED +
    # "1 if bought, 0 otherwise": a 0 for every item not acted on (not "1 if the loan pays off, 0 otherwise":
    # an event of the case itself, not a user's action on an item)
    r"|\b1 if\b(?: the| a| an)? (?:\w+ ){0,2}?(?:has |have |had |did )?" + _ACTED + r"\b[^.;]{0,80}?\b0 otherwise\b"
    r"|\b" + _ACTED + r"(?: it| them| the \w+)? and 0 otherwise\b|\bevery candidate\b|\bevery \([\w, ]+\) pair\b"
    r"|" + _ZERO_IF_NOT +
    # the action's negation as one word ("every unsaved recipe", "unwatched titles")
    # (not "unused", "unread", "unopened", "unsigned", "unordered", "unselected", "unplayed-out": states of
    # things, not a user's non-action)
    r"|\bun(?!used\b|read\b|opened\b|signed\b|ordered\b|selected\b|like\w*|added\b|subscrib\w*|follow\w*|"
    r"install\w*)" + _ACTED + r"\b"
    # no action of any kind ("no right-swipe", "no booking")
    r"|\bno (?:[\w]+-)?" + _ACTED + r"\b"
    # not acting means a negative ("not booked = not relevant", "no click -> negative")
    r"|\b(?:not|no|never)\s(?:[\w-]+\s)?" + _ACTED + r"\s*(?:=|->|→|means|implies|counts as)"
    # a left join of the positives, the missing rows filled with 0: every pair without a positive is a 0
    r"|\blabel\w*[\"'\]]*\s*\)?\s*\.fillna\(\s*0|\bcoalesce\([^,()]*label[^,()]*,\s*0"
)
_EXPOSED = compile_cue(
    r"\b(?:shown|impress\w+|rendered|displayed|exposed|served|seen|saw|viewed|scrolled past|received and opened|"
    r"on screen|in view|viewport|visible|viewable|appeared|offered|skipped|skip-above|ranked above)\b"
    # the one thing shown: "does not click the ad within t seconds" labels an impression
    r"|\b(?:click|open|tap|engage with)\w* (?:on )?the (?:ad|notification|email|push|impression|banner|card|result)\b"
)
_NOT_EXPOSED = compile_cue(r"\b(?:also when|even when|even if|whether|including|regardless|or not)\b")
_NEG_EXCUSED = compile_cue(
    r"\b(?:no label|not (?:a )?negatives?|not treated as|are not used as|is not the same|"
    r"confidence|weakly|log-?q|logq|(?<!no )sampling correction|corrected for|in-batch|in batch|we do not label|"
    r"do not build|get no label|gets no label|not (?:label|use)|never-\w+ is not|weighted by popularity|"
    r"popularity\s?\^|proportional to|impression-based|graded|ndcg|relevance grades?|"
    # no activity as the outcome itself: churn, lapse and inactivity labels are defined by a non-interaction
    r"churn\w*|lapse[sd]?|lapsing|inactiv\w*|dormant|attrition|deactivat\w*)\b"
)
# the non-interaction makes the positive class ("no order in the next 30 days = 1")
_POSITIVE_AFTER = compile_cue(r"[^.;,]{0,50}?(?:=\s?1\b|->\s?1\b|\bis (?:a )?1\b|\blabel(?:led)? 1\b)")
# rejecting the option outright (not "never bought", which is the mistake's own wording)
_ELSE = compile_cue(r"(?:everything|anything|all) else")
_ITEM_WORDS = compile_cue(
    r"\b(?:items?|products?|skus?|listings?|articles?|videos?|songs?|tracks?|episodes?|recipes?|jobs?|ads?|posts?|"
    r"titles?|movies?|books?|wines?|hotels?|restaurants?|courses?|apps?|games?|catalog(?:ue)?|candidates?|"
    r"recommend\w*|impressions?|feed|carousel|slate|pairs?)\b")
_NEG_REJECTED = compile_cue(
    r"\b(?:we|they) (?:do|did) not (?:label|use|treat|build|count)|\bnot (?:treated|counted|used) as\b|"
    r"\brather than\b|\binstead of\b|\bwould (?:teach|punish|push|bias)\b|\bis not a negative\b|"
    r"\b(?:says|tells us|means) (?:nothing|little)\b|\bif you\b|\b(?:are|is) (?:dropped|excluded|removed) from training\b|"
    r"\bnot in the training (?:table|data|set)\b"
)



# "1 if ..., 0 otherwise" also defines a binary column: it is a label only where the window or its
# lead-in speaks of labels, targets or training examples
_LABEL_TALK = compile_cue(
    r"\b(?:labels?|labell?ed|labell?ing|targets?|y\s?=|negatives?|positives?|training (?:rows?|examples?|pairs?|"
    r"data|set)|ground truth|relevan\w*)\b"
)
_ZERO_OTHERWISE = compile_cue(r"\b1 if\b[^.;]{0,120}\b0 otherwise\b|\b0 otherwise\b")


# "negative" as the sign of an effect or a kind of feedback, not a label ("not significantly negative",
# "negative feedback from sellers")
_EFFECT_NEGATIVE = compile_cue(
    r"\b(?:significantly|statistically|slightly|strongly|clearly) negative\b|\bnegative (?:feedback|impact|effects?|"
    r"lift|correlation|sentiment|trend|experiences?|comments?|reviews?|press|reactions?|side effects?)\b")


def _labels_negative(text: str) -> bool:
    return bool(_NEGATIVE_LABEL.search(_EFFECT_NEGATIVE.sub(" ", text)))


def _is_labelled_negative(ctx: Context, k: int) -> bool:
    """The window, or the one before it, gives examples a negative label."""
    return _labels_negative(ctx.texts[k]) or any(
        _labels_negative(ctx.texts[j]) and not _NEG_REJECTED.search(ctx.texts[j]) for j in ctx.neighbours(k, 1, 0))


def _defines_field(ctx: Context, k: int) -> bool:
    """The window defines a binary field or feature column (a schema row), not how examples are labelled."""
    text = ctx.texts[k]
    if not _ZERO_OTHERWISE.search(text):
        return False
    return not (_LABEL_TALK.search(text) or any(_LABEL_TALK.search(ctx.texts[j]) for j in ctx.neighbours(k, 1, 0)
                                                if ctx.windows[j].kind != "table_row"))


_ZERO = compile_cue(r"^\s*(?:0|-1|zero|negative|neg|0 \(negative\))\s*$")


def _zero_cell(ctx: Context, k: int) -> bool:
    """A table row with a cell that is a negative label on its own ("| track not streamed ... | 0 |")."""
    return ctx.windows[k].kind == "table_row" and any(_ZERO.match(c) for c in ctx.cells(k)[1:])


_NEGATIVE_KEYS = ("not", "never", "n't", "other", "all", "any", "every", "minus", "complement", "cross join", "non",
                  "un", "otherwise", "without", "no ", "else", "fillna", "coalesce")


def detect_non_interaction(ctx: Context) -> list[int]:
    """Windows that label every item a user did not interact with a negative."""
    out = []
    for k, text in ctx.having(_NEGATIVE_KEYS):
        # config keys and column names spell phrases with underscores ("every_other_candidate_hotel")
        text = text.replace("_", " ")
        m = _NON_INTERACTION.search(text)
        if not m or _POSITIVE_AFTER.match(text, m.end()):
            continue
        # "everything else ... is negative" about the cases themselves (accounts that stayed current) is a
        # binary label; about the items a user did not pick it is the mistake
        if _ELSE.fullmatch(m.group(0).strip()) and not any(
                _ITEM_WORDS.search(ctx.texts[j]) for j in [k] + ctx.neighbours(k, 1, 0)):
            continue
        if not (_is_labelled_negative(ctx, k) or _zero_cell(ctx, k)) or _defines_field(ctx, k):
            continue
        if ctx.windows[k].kind != "code":  # a code block's excuses may sit in any of its lines
            text = ctx.own_line(k, m.group(0)).replace("_", " ")
        if (_NEG_EXCUSED.search(text) or _NEG_REJECTED.search(text) or DRAFT.search(text)
                or REJECTS_PREVIOUS.search(text)):
            continue
        if _EXPOSED.search(text) and not _NOT_EXPOSED.search(text):
            continue
        if ctx.corrected(k, _EXPOSED) or ctx.rejected_next(k):
            continue
        out.append(k)
    return out
