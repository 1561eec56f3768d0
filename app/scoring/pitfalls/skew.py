"""Training/serving skew: a feature computed by separate code or from separate data for training and serving."""

from __future__ import annotations

import re

from app.scoring.pitfalls.context import Context
from app.scoring.pitfalls.cues import DRAFT, REJECTION, compile_cue

_TRAIN_SIDE = compile_cue(
    r"\b(?:offline|for training|in training|training (?:features?|set|job|data|rows|reads|uses|side|"
    r"pipeline|embeddings|pairs)|the training job|training_source|training-time|trained on|"
    r"notebook|warehouse|spark|hive|sql|batch job|nightly job|data science team|analytics team|"
    r"data team|ds notebook|backfill\w*|cleaned|daily snapshot|nightly snapshot|archive)\b"
)
_SERVE_SIDE = compile_cue(
    r"\b(?:online|at serving|for serving|serving|in production|production|at request time|request time|"
    r"live|redis|stream\w*|the service|service|api|client|on[- ]device|device|app|browser|extension|"
    r"in the shop|shop system|on the phone|the phone|serving_source|query path|platform team|bidder|"
    r"send time|at runtime|"
    # where the live prediction is made: embedded code, a mobile SDK, the back end of a product
    r"firmware|embedded|microcontroller|mcu|edge|sdk|handset|backend|back-end|origination|"
    r"at (?:query|decision|scoring|inference|prediction|checkout|send) time|"
    r"on the (?:watch|handset|wearable|camera|vehicle|car|robot|gateway|controller|sensor|terminal|till|pos))\b"
)
_OWN_STRONG = compile_cue(
    r"\b(?:re-?implement\w*|implements? (?:the \w+ |it |them )?again|implements? the (?:same|cleaning|features)|"
    r"ported|a port\b|port of|rewritten|rewrote|wrote (?:a|its|their) own|its own|their own|our own|"
    r"own (?:code|regex|tokeni[sz]er|synonym|calculation|rolling|normali[sz]er|crawler|implementation)|"
    r"by hand|keep in sync|written from the sql|himself|herself|themselves|re-?cod\w*|re-?deriv\w*|"
    r"translat\w* (?:the|it|them|each)|mirror\w*|(?<!without )(?<!no )(?<!avoid )duplicat\w*|copy of the (?:logic|code)|equivalent (?:logic|code)|"
    r"parallel implementation|hand-?written|manually (?:kept|ported|synced))\b|'s own\b"
    # written again from a description of the training code ("a Java module written by the vendor from
    # the research team's specification")
    r"|\b(?:written|built|implemented|coded) (?:by [\w' -]{1,40} )?from (?:the |a |an |their |our )?[\w' -]{0,30}\bspec\w*"
    r"|\b(?:computes?|computed|calculates?|calculated|counts?) [^.;]{0,40}\bitself\b"
    # a port of the training code: the verb, or a rewrite in the serving side's own language
    r"|\bport(?:s|ing)? (?:the|it|them|these|those|this|our|their|all)\b"
    # (what is rewritten must be the computation: "wrote the preprocessing in Kotlin", not "the service is in Go")
    r"|\b(?:wrote|written|writes?|implement\w*|re-?implement\w*|coded|re-?coded|rebuilt|builds?) (?:the |its |their |"
    r"our |a |an )?(?:\w+ )?(?:preprocess\w*|featur\w*|transform\w*|clean\w*|tokeni[sz]\w*|normali[sz]\w*|logic|"
    r"resiz\w*|encod\w*|filter\w*|mapp\w*|pipeline|aggregat\w*|windows?)\b[^.;]{0,30}?"
    r"\bin (?:kotlin|swift|java|go|golang|c\+\+|c#|rust|javascript|typescript|objective-c|dart|c)(?![\w+#])"
    # an approximation of the training computation ("an exponential average chosen to approximate the windows")
    r"|\bapproximat\w*\b(?!\s+(?:nearest|k-?nn\b|neighbou?r))"
)
_COMPUTE = compile_cue(
    r"\b(?:comput\w*|calculat\w*|counts?|preprocess\w*|tokeni[sz]\w*|normali[sz]\w*|clean\w*|implement\w*|"
    r"scrap\w*|featur\w*|embed\w*|convert\w*|resiz\w*|lowercas\w*|pars\w*|sessioni[sz]\w*|deriv\w*|"
    r"module|code|function|crawler|synonym\w*|regex|tally|types?|logic|sql|queries|"
    r"averag\w*|filter\w*|resampl\w*|decimat\w*|map(?:s|ped|per|pers|ping)|aggregat\w*|rolling|transform\w*|"
    r"definitions?)\b"
)
# the serving side computes the features itself: its service, team or app derives them, or computes
# "the same features directly from the raw" events
_SERVE_COMPUTES = compile_cue(
    r"\b(?:service|team|app|server|box|client|sdk|consumer|path|endpoint|job|system)\b(?:'s)?\s+(?:\w+\s+){0,4}?"
    r"(?:computes?|calculates?|derives?|decodes?|resizes?|re-?computes?|tokeni[sz]es|extracts?|counts?)\b"
    # another team's existing streaming job that already emits the counts ("we reuse the Marketplace team's
    # existing Flink job (hex-aggregator, Java), which already emits ...")
    r"|\b(?:job|service|pipeline|aggregator)\b[^.;]{0,60}?\b(?:already |also )?(?:emits|produces|publishes)\b"
    r"|\bcomputes? the same (?:\w+ )?(?:features?|inputs?|signals?)\b|\bdirectly from (?:the )?raw\b"
    r"|\b(?:fills?|populates?) (?:the same |these |those )?(?:\w+ )?(?:columns?|features?|fields?)\b"
    r"|\b(?:straight|directly) from (?:the )?(?:raw|live|kafka|stream|event|feed)\w*"
)
# the training side's features come from a computation of their own: a batch job, a cleaned table,
# a vendor's files, a training pipeline
_TRAIN_COMPUTES = compile_cue(
    r"\b(?:batch job|nightly job|nightly batch|cleaned|clean(?:s|ed)? (?:traces|table|data)|vendor\W?s?|"
    r"summary files?|training pipeline|training (?:code|script|notebook)|notebook|warehouse|"
    r"offline (?:job|pipeline|features?)|(?:py)?spark job|dbt|sql (?:job|query|model))\b"
)
# (not a stream or table of operational metrics read as features: "the real-time metrics stream")
_METRIC_TALK = compile_cue(r"\b(?:recall|precision|ndcg|auc|tap rate|metrics?(?! (?:stream|table|store|topic|feed|events?)\b)|"
                           r"a/b|accuracy|mae|rmse|fall(?:s)? back|fallback|shadow)\b")
_VERSIONED = compile_cue(r"\b(?:encoder|checkpoint|embedding model|tokeni[sz]er|model)\s+v(\d+)\b")
_TRAIN_MARK = compile_cue(
    r"\b(?:for training|in training|training (?:features?|set|job|rows|reads|uses|side|data|pipeline)|"
    r"training_source|offline\s*[:(]|training\s*[:(]|the training job|training-time|offline (?:features?|pipeline|job)|"
    r"historical features|for the training data|training data (?:is|are) built)"
)
_SERVE_MARK = compile_cue(
    r"\b(?:in production|at serving|for serving|at request time|at send time|at scoring time|serving\s*[:(]|"
    r"online\s*[:(]|serving_source|on[- ]device|in the shop|on the phone|in the browser|serving (?:reads|uses|side|path)|"
    r"the serving|at inference|inference time|at prediction time|on each request|per request|real[- ]time|"
    r"in the (?:live|online|production) (?:service|system|path|api))"
)
_SOURCE = compile_cue(
    r"\b(?:reads?|computes?|computed|comes? from|come from|from|counts?|calculat\w*|taken|source|scraped|"
    r"tokeni[sz]\w*|preprocess\w*|clean\w*|normali[sz]\w*|embedd?\w*|increments?|sessioni[sz]\w*|kept|keeps)\b"
)
_SHARED_FEATURIZER = compile_cue(
    # (not "will implement the same feature definitions in Go": the same definitions written again)
    r"\b(?:(?<!implement the )(?<!implements the )(?<!implemented the )(?<!rewrite the )(?<!port the )"
    r"same (?:library|code|featuri[sz]er|transform\w*|feature code|function|functions|package|"
    r"definitions?|feature definitions|feature views?|artifact|graph|module|pipeline object)|"
    r"one (?:library|featuri[sz]er|code path|package|python module|c\+\+ function|tf\.transform graph|"
    r"computation)|share (?:one|the same) code path|shared (?:featuri[sz]er|library|feature code|transform\w*)|"
    r"log(?:ged|s)? (?:the )?(?:exact )?features? (?:vectors? )?(?:at|from) (?:serv\w*|request)|"
    r"features (?:are )?logged at (?:serv\w*|request)|logged at (?:serv\w*|request time)|"
    r"as logged at request time|compiles? to both|compiled into|point[- ]in[- ]time feature store|"
    r"defined once|exactly the same|exactly the code|exactly what it saw|no second|single definition|"
    r"moved (?:in)?to (?:the |one |a |a shared )?[\w`./-]+ (?:library|package|module)|"
    r"same (?:[\w./-]+ ){1,2}(?:functions?|module|library|code|package|featuri[sz]er)|"
    # "one shared `listing_prep` package", "one feature library used both by the training pipeline and ..."
    r"one (?:shared )?(?:[\w`./-]+ ){0,2}(?:library|package|module|featuri[sz]er|code path)|"
    # training reads what serving logged ("writes every feature vector it serves to a log, and the training
    # table is built by joining those logged vectors")
    r"(?:writes|logs|records) (?:every |each |the )?feature vectors? (?:it |that it |we )?serves?|"
    # training replays the very snapshots serving reads
    r"replay\w* (?:the |each |every )?(?:daily |nightly |hourly )?snapshot|"
    r"(?:stream's|same) (?:history|events) replayed|"
    r"training (?:table|data|set|rows) (?:is|are) built (?:by joining|from) (?:those |the )?logged|"
    r"both (?:by |in )?(?:the )?(?:training|offline)\b[^.;]{0,50}\band (?:by |in )?(?:the )?(?:online|serving|production|live))\b"
)

# where training and serving run (machines, not feature code): "GPU nodes for training, CPU nodes for serving"
_HARDWARE = compile_cue(r"\b(?:gpus?|cpus?|nodes?|machines?|instances?|clusters?|hardware|pods?|vms?)\b")
_FEATURE_WORD = compile_cue(r"\b(?:features?|columns?|values?|counts?|embeddings?|inputs?|tokens?|signals?)\b")
_TRAIN_SECTION = compile_cue(r"\b(?:training|offline|train)\b")
_CODE_TWO_SOURCES = compile_cue(r"\b(?:training|offline|train)_(?:source|path|table)\b[\s\S]*\b(?:serving|online|serve)_(?:source|path|table)\b")
_STORE_NAME = compile_cue(r"(?:\bfrom|\bjoin|\bread_\w+\(|\bload\w*\(|\btable)\s*['\"]?([\w./-]+)")
_COLUMN_TRAIN = compile_cue(r"\b(?:training|offline|train|batch)\b")
_COLUMN_SERVE = compile_cue(r"\b(?:serving|online|production|live|request|scoring|inference|runtime|on[- ]device)\b")

_SKEW_KEYS = ("serv", "online", "production", "live", "redis", "stream", "api", "client", "device", "app",
              "browser", "extension", "shop", "phone", "query path", "platform", "bidder", "send time",
              "runtime", "request", "_source", "firmware", "embedded", "microcontroller", "mcu", "edge", "sdk",
              "handset", "backend", "back-end", "origination")


def _find_stores(text: str) -> set[str]:
    """The names of the tables and files the text reads from."""
    out = set()
    for m in _STORE_NAME.finditer(text):
        name = m.group(1).lower().rsplit("/", 1)[-1]
        name = re.sub(r"\.(?:parquet|csv|json|txt|tsv|avro|orc)$", "", name).rsplit(".", 1)[-1]
        if len(name) >= 3 and name not in {"the", "our", "its", "their", "each", "every", "a", "an"}:
            out.add(name)
    return out


def _reads_one_store(text: str) -> bool:
    """Both sides of one window read the same stored features: two access paths to one table, not two computations."""
    # a scan for training, a lookup when serving
    m = _SERVE_MARK.search(text)
    t = _TRAIN_MARK.search(text)
    if not m or not t:
        return False
    cut = m.start() if t.start() < m.start() else t.start()
    first, second = _find_stores(text[:cut]), _find_stores(text[cut:])
    return bool(first & second)


def _versions_differ(ctx: Context, k: int) -> bool:
    """The window and the two before it name two versions of an encoder or model."""
    found = {m.group(1) for j in [k] + ctx.neighbours(k, 2, 0) for m in _VERSIONED.finditer(ctx.texts[j])}
    return len(found) >= 2


def _table_differs(ctx: Context, k: int) -> bool:
    """Row k of a table whose header has a training and a serving column, with different cells."""
    w = ctx.windows[k]
    j = k
    while j > 0 and ctx.windows[j - 1].kind == "table_row" and ctx.windows[j - 1].section == w.section:
        j -= 1
    if j == k:
        return False
    header = ctx.cells(j)
    tcol = next((i for i, c in enumerate(header) if _COLUMN_TRAIN.search(c)), None)
    scol = next((i for i, c in enumerate(header) if _COLUMN_SERVE.search(c)), None)
    if tcol is None or scol is None or tcol == scol:
        return False
    row = ctx.cells(k)
    if max(tcol, scol) >= len(row):
        return False
    return row[tcol] != row[scol] and "same" not in row[scol]


def _serving_context(ctx: Context, k: int) -> bool:
    """The window speaks of the serving side: itself, its section, or the sentence before it in the paragraph
    ("Production: the API is in Go. The backend team implements the cleaning by themselves.")."""
    w = ctx.windows[k]
    if _SERVE_SIDE.search(ctx.texts[k]) or _SERVE_SIDE.search(w.section or ""):
        return True
    return any(ctx.windows[j].kind == w.kind == "paragraph" and ctx.windows[j].end_line >= w.start_line - 1
               and _SERVE_SIDE.search(ctx.texts[j]) and not _TRAIN_MARK.search(ctx.texts[j])
               for j in ctx.neighbours(k, 1, 0))


def _is_candidate(ctx: Context, k: int) -> bool:
    """The window may speak of serving (a cheap gate) and is not a diagram, heading, rejection or draft."""
    w, text = ctx.windows[k], ctx.texts[k]
    if k in ctx.diagram:
        return False
    if w.kind != "table_row" and not any(key in ctx.lower[k] for key in _SKEW_KEYS) and not (
            _SERVE_SIDE.search(w.section or "")) and not _serving_context(ctx, k):
        return False
    # a reason given ("because the notebook cannot run there") rejects nothing; nor does "instead of"
    # after the serving side's own implementation ("reimplements them in Go ...; instead of map-matching
    # it ..."): that says how the two differ
    main = _REASON.split(text, 1)[0]
    own = _OWN_STRONG.search(main)
    rejected = any(not (own and m.start() > own.start() and _SUBSTITUTE.match(m.group(0).strip()))
                   for m in REJECTION.finditer(main))
    return not (rejected or DRAFT.search(text) or w.kind == "heading")


_SUBSTITUTE = re.compile(r"(?i)instead of|rather than")
_REASON = re.compile(r"(?i)\bbecause\b|\bsince\b|\bas (?:the|it|they|we)\b")


def _skew_at(ctx: Context, k: int, trains: list[int]) -> list[int]:
    """The windows that show skew at window k (k, with its training-side partner where there is one), or none."""
    w, text = ctx.windows[k], ctx.texts[k]
    serving = _serving_context(ctx, k)
    # 1. the serving side computes the feature with code of its own, and training has its own path
    if (serving and _OWN_STRONG.search(text) and _COMPUTE.search(text) and trains
            and not _METRIC_TALK.search(text)):
        before = [j for j in trains if j <= k and k - j <= 4]
        return sorted(set(before[-1:] + [k]))
    # 1b. the serving side computes the features itself, and the training features came from a
    # computation of their own (a batch job over cleaned data, a vendor's files, a training pipeline)
    if (serving and _SERVE_COMPUTES.search(text) and _COMPUTE.search(text) and not _METRIC_TALK.search(text)
            and not _TRAIN_MARK.search(text)):
        before = [j for j in trains if j < k and _TRAIN_COMPUTES.search(ctx.texts[j])
                  and not DRAFT.search(ctx.texts[j])]
        if before:
            return [before[-1], k]
    # 2. "for training ... from A" next to "in production ... from B"
    if _CODE_TWO_SOURCES.search(text):
        return [k]
    if _SERVE_MARK.search(text) and (_SOURCE.search(text) or w.kind == "code") and not _METRIC_TALK.search(text):
        if _TRAIN_MARK.search(text) and _reads_one_store(text):
            return []
        if _HARDWARE.search(text) and not _FEATURE_WORD.search(text):
            return []
        pair = [k] if _TRAIN_MARK.search(text) else [
            j for j in ctx.neighbours(k, 3, 0)
            if _TRAIN_MARK.search(ctx.texts[j]) and not DRAFT.search(ctx.texts[j])]
        if pair:
            return sorted(set(pair[:1] + [k]))
    # 3. one side on encoder vN, the other on vM
    if serving and _versions_differ(ctx, k):
        return [k]
    # 4. a table with a training column and a serving column whose cells differ
    if w.kind == "table_row" and _table_differs(ctx, k):
        return [k]
    return []


def detect_skew(ctx: Context) -> list[int]:
    """Windows where training and serving compute a feature with separate code or from separate data."""
    if ctx.anywhere("shared", _SHARED_FEATURIZER):
        return []
    trains = [k for k, t in enumerate(ctx.texts)
              if _TRAIN_SIDE.search(t) or _TRAIN_SECTION.search(ctx.windows[k].section or "")]
    found: set[int] = set()
    for k in range(len(ctx.texts)):
        if _is_candidate(ctx, k):
            found.update(_skew_at(ctx, k, trains))
    return sorted(found)
