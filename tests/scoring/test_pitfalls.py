"""Pitfalls: wrong decisions found at the lines that make them, near-misses left alone."""

from __future__ import annotations

import pytest

from app.document.parse import parse_document
from app.scoring.pitfalls import DETECTORS, find_pitfalls

from helpers import line_of, read_fixture

RANDOM_SPLIT = "pitfall.random_split_time_data"
PREPROCESSING = "pitfall.preprocessing_leakage"
ACCURACY = "pitfall.accuracy_on_imbalanced"


def pitfalls_of(reviewer, name: str) -> dict:
    return {p.id: p for p in reviewer.review(read_fixture(name)).pitfalls}


def flagged_lines(finding) -> set[int]:
    return {n for e in finding.evidence for n in range(e.start_line, e.end_line + 1)}


def test_every_rubric_pitfall_has_a_detector(reviewer):
    assert {p.id for p in reviewer.rubric.pitfalls} <= set(DETECTORS)


@pytest.mark.parametrize("fixture, pitfall, needle", [
    ("random_split.md", RANDOM_SPLIT, "randomly split 80/20"),
    ("accuracy_headline.md", ACCURACY, "headline metric is accuracy"),
])
def test_the_mistake_is_flagged_at_exactly_its_line(reviewer, fixture, pitfall, needle):
    found = pitfalls_of(reviewer, fixture)
    assert pitfall in found
    assert flagged_lines(found[pitfall]) == {line_of(read_fixture(fixture), needle)}


def test_split_by_week_is_not_flagged(reviewer):
    assert RANDOM_SPLIT not in pitfalls_of(reviewer, "week_split.md")


def test_same_design_without_the_week_split_is_flagged():
    """The control for the test above: the fixture names a random split and only the week saves it."""
    text = read_fixture("week_split.md").replace(
        "Instead of a random split, we split by week: training", "We use a random split: training")
    assert "random split: training" in text
    found = find_pitfalls(parse_document(text), set(DETECTORS))
    assert RANDOM_SPLIT in {f.pitfall for f in found}


def test_scaler_fitted_on_the_whole_table_is_flagged(reviewer):
    found = pitfalls_of(reviewer, "scaler_leak.md")
    assert PREPROCESSING in found
    line = line_of(read_fixture("scaler_leak.md"), "standard scaler on the whole table")
    assert line in flagged_lines(found[PREPROCESSING])


def test_scaler_fitted_on_the_training_split_only_is_not_flagged():
    text = read_fixture("scaler_leak.md").replace(
        "We fit a standard scaler on the whole table and impute missing incomes with the median, "
        "then split into train and test.",
        "We split into train and test first, then fit the standard scaler and the median "
        "imputation on the training split only.")
    assert "training split only" in text
    assert PREPROCESSING not in {f.pitfall for f in find_pitfalls(parse_document(text), set(DETECTORS))}


def test_accuracy_rejected_in_favour_of_pr_auc_is_not_flagged(reviewer):
    assert ACCURACY not in pitfalls_of(reviewer, "accuracy_rejected.md")


def test_a_concrete_sound_design_raises_no_pitfall(reviewer):
    assert pitfalls_of(reviewer, "fraud_metrics.md") == {}


@pytest.mark.parametrize("name, pitfall", [("random_split.md", RANDOM_SPLIT),
                                           ("scaler_leak.md", PREPROCESSING),
                                           ("accuracy_headline.md", ACCURACY)])
def test_findings_explain_themselves(reviewer, name, pitfall):
    finding = pitfalls_of(reviewer, name)[pitfall]
    spec = reviewer.rubric.pitfall(pitfall)
    assert finding.severity == spec.severity
    assert finding.why and finding.why != spec.title, "why comes from the corpus guidance"
    assert finding.questions == list(spec.questions)
    assert finding.guidance and all(g.source.startswith("corpus/pitfalls.md#") for g in finding.guidance)
    assert 0.0 < finding.confidence <= 1.0


def _found(text: str) -> set[str]:
    return {f.pitfall for f in find_pitfalls(parse_document(text), set(DETECTORS))}


def _twins(preamble: str, fine: str, committed: str, pitfall: str) -> None:
    """After the same preamble, the sound sentence raises no finding of the pitfall and its committing twin does."""
    assert pitfall not in _found(preamble + fine + "\n")
    assert pitfall in _found(preamble + committed + "\n")


@pytest.mark.parametrize("history, pitfall, committed", [
    # a practice the design has since replaced, told as history
    ("Before this the scaler was fitted on the full table once; now it is refit inside each fold.",
     PREPROCESSING, "The scaler is fitted on the full table once, and then we split."),
    # an option the author tried and measured as flattering
    ("We did try a shuffled 5-fold CV first: it was far more optimistic than the time holdout.",
     RANDOM_SPLIT, "We use a shuffled 5-fold CV over the two years of daily sales."),
])
def test_an_option_told_as_history_is_not_flagged_but_the_same_option_decided_is(history, pitfall, committed):
    preamble = "# Demand forecast\n\nDaily sales of 300 stores from 2021 to 2024.\n\n"
    _twins(preamble, history, committed, pitfall)


def test_a_trials_randomised_subjects_are_no_random_split():
    text = ("# Dropout risk\n\nData: 1,400 randomised subjects from the interim data cut of the trial.\n\n"
            "Validation: train on visits up to March, test on visits from April.\n")
    assert RANDOM_SPLIT not in _found(text)


NEGATIVES = "pitfall.non_interaction_as_negative"
LEAKAGE = "pitfall.label_leakage"
SKEW = "pitfall.train_serve_skew"


@pytest.mark.parametrize("fine, pitfall, committed", [
    # a binary target of the case itself is no non-interaction; a user's action on an item is
    ("Label: 1 if the loan pays off in full within the next 3 months, 0 otherwise.",
     NEGATIVES, "Label: 1 if the member bought the wine, 0 otherwise, for every member x wine pair."),
    # "negative" as the sign of an effect, and "at all", are no labels
    ("Guardrail: listening minutes per user, all surfaces: not significantly negative so far.",
     NEGATIVES, "Negatives: all recipes the user did not cook in the 30-day window are labelled 0."),
    # a lead time is known from the booked dates; a count up to check-in is not
    ("Search context features: lead time (days until check-in), weekend flag, device.",
     LEAKAGE, "Features: lead time, weekend flag, and the number of cancellations until check-in."),
    # support tickets a subscriber has open now are known; those about the order after delivery are not
    ("Subscriber features: orders in the last 8 weeks, late deliveries and open support tickets.",
     LEAKAGE, "Order features: basket size, and the number of support tickets about the order after delivery."),
    # ANN search is no approximation of the training features
    ("Serving: the app shows 20 similar products using image embeddings and approximate nearest-neighbour "
     "search; training embeds the catalogue offline.",
     SKEW, "Serving: the app computes the embedding features itself with an approximation of the offline "
     "training pipeline's embeddings."),
    # audio clips are no clipped values
    ("We will add a random sample of 3,000 unreported clips a week from all modes, labelled by moderators.",
     PREPROCESSING, "We clip and standardise every feature over the full table, then split into train and test."),
])
def test_tempting_words_in_another_sense_are_no_finding(fine, pitfall, committed):
    preamble = "# Design\n\nEvents logged daily since 2021; 2% positives.\n\n"
    _twins(preamble, fine, committed, pitfall)


def test_one_shared_package_for_training_and_serving_is_no_skew():
    fine = ("Training reads features from the warehouse; the online service computes them at request time. "
            "Tokenizer and image preprocessing live in one shared `listing_prep` package used by both the "
            "training dataloader and the serving container.\n")
    two_paths = fine.replace("Tokenizer and image preprocessing live in one shared `listing_prep` package used by "
                             "both the training dataloader and the serving container.",
                             "The serving team re-implemented the tokenizer in Go.")
    preamble = "# Listing categories\n\n"
    assert SKEW not in _found(preamble + fine)
    assert SKEW in _found(preamble + two_paths)


def test_an_experiment_told_in_the_past_and_a_split_said_to_mislead_are_no_finding():
    preamble = "# Title normalisation\n\nJob ads posted daily since 2019, with their posting dates.\n\n"
    for fine in ("Our first evaluation used a random split over (title, label) pairs; we now split by posting month.",
                 "A random split across loan-months looks excellent but misleads; we split by month.",
                 "On the randomised slice of the swap experiment, our only unbiased holdout, NDCG rises."):
        assert RANDOM_SPLIT not in _found(preamble + fine + "\n"), fine
    assert RANDOM_SPLIT in _found(preamble + "We use a random split over (title, label) pairs, 80/20.\n")


@pytest.mark.parametrize("fine, committed, pitfall", [
    # a question the document asks decides nothing; the same words as its answer do
    ("# Feed\n\nImpressions and clicks are logged daily.\n\n**R: And negatives? Every post the user did not click?**\n",
     "# Feed\n\nImpressions and clicks are logged daily.\n\n"
     "Negatives: every post the user did not click is labelled 0.\n",
     NEGATIVES),
    # a section about what went wrong before is history, not the design
    ("# Churn\n\n## What went wrong in v1\n\nTraining computed skips in the warehouse; at serving the app "
     "re-implemented the skip count in its own Kotlin code.\n",
     "# Churn\n\n## Features\n\nTraining computed skips in the warehouse; at serving the app "
     "re-implemented the skip count in its own Kotlin code.\n", SKEW),
    # later signals named and then left out in the next sentence
    ("# Churn\n\n## Features\n\nSome features come only after the cancellation: the exit survey answers. "
     "They are very predictive, but they are left out.\n",
     "# Churn\n\n## Features\n\nSome features come only after the cancellation: the exit survey answers. "
     "They are very predictive.\n", LEAKAGE),
    # general advice in the second person; the same words as the plan
    ("# Ranking\n\nImpressions and bookings logged daily since 2022.\n\nIf you treat every hotel the user did not "
     "book as a negative, you teach the model to freeze the old ranking.\n",
     "# Ranking\n\nImpressions and bookings logged daily since 2022.\n\nWe treat every hotel the user did not "
     "book as a negative.\n", NEGATIVES),
    # rows kept together by an entity; rows one at a time
    ("# Clauses\n\nContracts signed between 2019 and 2024, with their dates.\n\n"
     "| Train | 80% | random at contract level |\n",
     "# Clauses\n\nContracts signed between 2019 and 2024, with their dates.\n\n"
     "| Train | 80% | random at row level |\n",
     RANDOM_SPLIT),
])
def test_what_the_design_does_not_decide_is_no_finding(fine, committed, pitfall):
    assert pitfall not in _found(fine)
    assert pitfall in _found(committed)


def test_the_records_a_model_is_about_are_no_later_process():
    """A model of dispute outcomes reads the dispute's own fields; a fraud model may not."""
    body = ("\n\n## Features\n\n- Dispute: reason code family, network and issuer country, joined from the "
            "disputes table.\n")
    assert LEAKAGE not in _found("# Chargeback dispute outcome prediction" + body)
    assert LEAKAGE in _found("# Card fraud scoring at authorization" + body)


@pytest.mark.parametrize("fine, committed, pitfall", [
    ("Random row-level splits are not used anywhere in this project.",
     "Random row-level splits are used for every evaluation in this project.", RANDOM_SPLIT),
    ("Offline eval is on the random sample that moderators label each week; the test set is its last 2 months.",
     "We evaluate on a random 20% of the authorizations and train on the rest.", RANDOM_SPLIT),
    ("Features: no post-authorization field like the settlement amount or the reversal flag is allowed as an input.",
     "Features: the post-authorization settlement amount and the reversal flag are inputs.", LEAKAGE),
])
def test_options_excluded_in_so_many_words_are_no_finding(fine, committed, pitfall):
    preamble = "# Card payments\n\nAuthorizations logged daily since 2021; fraud is 0.1% of them.\n\n"
    _twins(preamble, fine, committed, pitfall)


def test_a_serving_job_of_its_own_beside_a_training_job_is_skew():
    text = ("# Surge pricing\n\n## Features\n\nOffline, these features are computed by a PySpark job over the raw "
            "trips. Online, we reuse the Marketplace team's existing Flink job (hex-aggregator, Java), which already "
            "emits the request counts per hex into Redis.\n")
    assert SKEW in _found(text)
    shared = text + "\nBoth jobs call one shared `hexfeat` library, used both by the training and the online jobs.\n"
    assert SKEW not in _found(shared)


@pytest.mark.parametrize("fine, committed, pitfall", [
    # an online holdout kept without the treatment is no cut of the training rows
    ("We only train on campaigns that had a random holdout; the treatment group got the coupon.",
     "We train on 80% of the campaign rows and hold out a random 20% of them for the test.", RANDOM_SPLIT),
    # split along an entity
    ("Split: the rated random sample is split by seller, so no seller is in both train and test.",
     "Split: the rated rows are shuffled and split 80/20 into train and test.", RANDOM_SPLIT),
    # a bracket's aside rejects nothing
    ("Cleaning: we impute phone handling with the median fitted on the training years only.",
     "Cleaning: we impute phone handling with the median (older SDKs didn't record it) and scale every feature, "
     "all on the full 640k table, then split.", PREPROCESSING),
    # counts up to now are known; counts over the campaign window are not
    ("Features: reminders sent so far, disputes raised so far, portal logins in the last 30 days.",
     "Features: store visits and basket value during the 14-day campaign window.", LEAKAGE),
])
def test_more_tempting_words_in_another_sense(fine, committed, pitfall):
    preamble = "# Design\n\nEvents logged daily since 2021; 2% positives.\n\n"
    _twins(preamble, fine, committed, pitfall)


def test_options_weighed_in_an_alternatives_section_are_not_the_design():
    body = ("Training computed skips in the warehouse; at serving the app re-implemented the skip count in its "
            "own Kotlin code.\n")
    assert SKEW not in _found("# Churn\n\n## Alternatives considered\n\n" + body)
    assert SKEW in _found("# Churn\n\n## Serving\n\n" + body)


def test_accuracy_as_the_gate_of_a_rare_event_is_flagged():
    text = ("# Disk failures\n\nAnnualised failure rate is around 1.4%.\n\n## Evaluation\n\nThe model is judged on "
            "accuracy on the test window, with the threshold chosen to maximise accuracy.\n")
    assert ACCURACY in _found(text)
    assert ACCURACY not in _found(text.replace("judged on accuracy", "judged on recall at 1% precision").replace(
        "maximise accuracy", "maximise recall"))


@pytest.mark.parametrize("fine, committed, pitfall", [
    # a prototype's split told in the past; the same split as the plan
    ("When we used a random frame-level split in the prototype, mAP was 0.71; with the segment-grouped split it is "
     "0.58, the number we believe.",
     "We use a random frame-level split; mAP is 0.71.", RANDOM_SPLIT),
    # an online experiment's arms
    ("Randomised test: a 3-arm experiment for 4 weeks, stratified by country.",
     "We evaluate on a random 20% of the trial rows and train on the rest.", RANDOM_SPLIT),
    # a model's quantile objective is no statistic fitted on the data
    ("Model: one global LightGBM with quantile objectives across all series, one model per horizon.",
     "We standardise every feature with its mean and deviation over all series, then split by week.", PREPROCESSING),
    # behaviour after the event the model decides
    ("Usage features: average utilization over the 90 days before the decision.",
     "Usage features: average utilization of the new limit over the first 90 days after the increase.", LEAKAGE),
])
def test_tempting_words_told_as_history_or_experiments(fine, committed, pitfall):
    preamble = "# Design\n\nRecords logged daily since 2021; 2% positives.\n\n## Features\n\n"
    _twins(preamble, fine, committed, pitfall)


def test_the_same_definitions_written_again_for_serving_are_skew():
    text = ("# Picking time\n\nTraining features are produced by the nightly Spark job, which reads the scan log "
            "from the warehouse. For serving, the Slotting team will implement the same feature definitions inside "
            "the Go wave planner, reading directly from the live Kafka stream.\n")
    assert SKEW in _found(text)
    assert SKEW not in _found(text.replace(
        "will implement the same feature definitions inside the Go wave planner, reading directly from the live "
        "Kafka stream", "calls the same feature library as the Spark job"))


def test_the_label_column_and_a_compared_value_in_sql_are_no_features():
    sql = ("# Document routing\n\n## Features\n\n```sql\nSELECT d.doc_id, d.channel, o.page_count,\n"
           "       h.final_doc_type AS label\nFROM documents d JOIN handling_events h ON h.doc_id = d.doc_id\n"
           "WHERE h.event_type = 'TYPE_CONFIRMED'\n```\n")
    assert LEAKAGE not in _found(sql)
    assert LEAKAGE in _found(sql.replace("o.page_count,", "o.page_count, h.refund_confirmed,"))


@pytest.mark.parametrize("fine, committed, pitfall", [
    ("Features for a forecast issued at time t are built from what the systems held at t, from the snapshot tables.",
     "Features are read from the current state of the patient records when the table is built.", LEAKAGE),
    ("Vitals: latest value, time since last observation, 6h and 24h slope.",
     "Vitals: taken from the latest snapshot of the record when the training table is built.", LEAKAGE),
    ("Text: short description and description, with signatures stripped.",
     "Text: short description, description, work notes and close notes, concatenated.", LEAKAGE),
    ("- ML Eng proposed random K-fold over district-years. Agronomy objected: neighbouring districts share the "
     "weather, so a random split lets the model see the season it is tested on.",
     "- ML Eng proposed random K-fold over district-years, and we use it.", RANDOM_SPLIT),
    ("We keep a random 5% holdout of bucket A with no AE contact to get clean labels.",
     "We keep a random 5% holdout of the rows as the test set.", RANDOM_SPLIT),
    ("The test part is every week from January 2024 onwards; training is everything before it.",
     "We build the full table from April 2019 onwards and shuffle it, then hold out 20% of the rows as the test set.",
     RANDOM_SPLIT),
])
def test_realistic_phrasings_of_sound_and_unsound_choices(fine, committed, pitfall):
    preamble = "# Design\n\nRecords logged daily since 2019; tickets and visits; 2% positives.\n\n## Features\n\n"
    _twins(preamble, fine, committed, pitfall)


def test_a_bold_question_line_of_a_qa_write_up_is_no_finding():
    preamble = "# Cheque digits\n\nFraudulent cheques are 0.3% of all cheques.\n\n"
    assert ACCURACY not in _found(preamble + "**Q: What metric do you report? I keep hearing 99.6% accuracy.**\n")
    assert ACCURACY in _found(preamble + "**Q: What metric do you report?**\n\nWe report accuracy: 99.6% is the "
                              "launch bar.\n")


@pytest.mark.parametrize("fine, committed, pitfall", [
    ("Label: positive if the account charged off within 180 days. Everything else that stayed current is negative.",
     "Label: positive if the user played the episode. Everything else in the catalogue is negative.", NEGATIVES),
    ("Positive: visit closed as confirmed theft; negative: visit closed clean. Meters never visited are not in the "
     "training table.",
     "Positive: visit closed as confirmed theft. Negatives: every meter never visited is labelled 0.", NEGATIVES),
    ("Model: one global LightGBM across all series with Tweedie loss; quantile models for P10 and P90.",
     "We compute the 1st and 99th percentiles of every feature over all series and clip to them, then split.",
     PREPROCESSING),
])
def test_binary_labels_models_and_exclusions_read_as_such(fine, committed, pitfall):
    preamble = ("# Design\n\nRecords logged daily since 2019; 2% positives; a catalogue of items and users.\n\n"
                "## Features\n\n")
    _twins(preamble, fine, committed, pitfall)


def test_a_pipeline_fitted_on_every_row_in_code_is_flagged():
    code = ("# Salaries\n\nPostings since 2019.\n\n```python\ndf = load_postings()\n"
            "text_pipe = Pipeline([(\"tfidf\", TfidfVectorizer()), (\"svd\", TruncatedSVD(256))])\n"
            "X_text = text_pipe.fit_transform(df[\"description\"])\n"
            "scaler = StandardScaler().fit(df[num_cols])\nX_num = scaler.transform(df[num_cols])\n"
            "train, test = split_by_month(df)\n```\n")
    assert PREPROCESSING in _found(code)
    on_train = code.replace('fit_transform(df["description"])', 'fit_transform(train["description"])')
    assert PREPROCESSING not in _found(on_train.replace("fit(df[num_cols])", "fit(train[num_cols])"))


def test_a_preprocessing_pipeline_fitted_on_the_whole_frame_before_a_time_split_is_flagged():
    code = ("# Yield\n\nLots since 2023.\n\n```python\ndf = load_lot_frame()\n"
            "prep = Pipeline([(\"impute\", SimpleImputer(strategy=\"median\")), (\"scale\", StandardScaler())])\n"
            "df[FEATURES] = prep.fit_transform(df[FEATURES])\n"
            "train = df[df.ts < \"2024-10-01\"]\ntest = df[df.ts >= \"2025-01-01\"]\n```\n")
    assert PREPROCESSING in _found(code)
    fine = code.replace("df[FEATURES] = prep.fit_transform(df[FEATURES])\n", "").replace(
        "test = df[df.ts >= \"2025-01-01\"]\n", "test = df[df.ts >= \"2025-01-01\"]\nprep.fit(train[FEATURES])\n")
    assert PREPROCESSING not in _found(fine)
