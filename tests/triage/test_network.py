"""The small networks beside the SVM: they learn requests in Russian and English from
the desk's own tickets, the same tickets and seed give the same networks, and what a
threshold compares against stays a probability once they join the SVM."""

from __future__ import annotations

import numpy as np
import pytest
from bench.triage_corpus import generate

from opora.triage import classifier
from opora.triage.network import Networks


@pytest.fixture(scope="module")
def desk():
    """600 generated tickets (ru and en, typos) to learn from, 200 other ones to label."""
    learn, new = generate(600, seed=3), generate(200, seed=4)
    texts = [classifier.ticket_text(s.subject, s.body) for s in learn]
    features, matrix = classifier.fit_features(texts)
    rows = features.transform([classifier.ticket_text(s.subject, s.body) for s in new])
    return features, matrix, [s.intent for s in learn], rows, [s.intent for s in new]


def test_the_networks_learn_russian_and_english_requests(desk):
    _, matrix, labels, rows, truth = desk
    networks = Networks(seeds=[0]).fit(matrix, labels)
    found = networks.predict(rows)
    assert (found == np.array(truth)).mean() >= 0.85
    languages = {s.language for s in generate(200, seed=4)}
    assert languages == {"ru", "en"}


def test_the_same_tickets_and_seed_give_the_same_networks(desk):
    _, matrix, labels, rows, _ = desk
    first = Networks(seeds=[7]).fit(matrix, labels)
    again = Networks(seeds=[7]).fit(matrix, labels)
    other = Networks(seeds=[8]).fit(matrix, labels)
    assert np.array_equal(first.w1, again.w1)
    assert np.array_equal(first.log_proba(rows), again.log_proba(rows))
    assert not np.array_equal(first.w1, other.w1)


def test_one_ticket_gets_the_same_answer_as_in_a_batch(desk):
    _, matrix, labels, rows, _ = desk
    networks = Networks(seeds=[0, 1]).fit(matrix, labels)
    batch = networks.log_proba(rows[:5])
    for i in range(5):
        assert np.allclose(networks.log_proba(rows[i]), batch[i], atol=1e-4)


def test_a_large_desks_team_gets_the_blend_and_its_confidence_is_a_probability(desk, monkeypatch):
    features, matrix, labels, rows, truth = desk
    monkeypatch.setattr(classifier, "NETWORK_MIN_SAMPLES", 500)
    fitted = classifier.fit(features, matrix, labels, networks=True)
    assert fitted is not None
    model = fitted.pipeline.named_steps["model"]
    assert isinstance(model, classifier.Blend)
    found = model.predict_proba(rows)
    assert np.allclose(found.sum(axis=1), 1.0)
    assert found.min() >= 0 and found.max() <= 1
    assert (model.predict(rows) == np.array(truth)).mean() >= 0.85
    label, confidence = classifier.probabilities(fitted.pipeline, rows[0])
    assert label in fitted.classes and 0 < confidence <= 1
    # Stored and loaded as the SVM alone is: the same answers afterwards.
    loaded = classifier.load(classifier.dump(fitted.pipeline)).named_steps["model"]
    assert np.allclose(loaded.predict_proba(rows), found)


def test_a_small_desk_and_the_other_targets_keep_the_svm_alone(desk, monkeypatch):
    features, matrix, labels, _, _ = desk
    small = classifier.fit(features, matrix, labels, networks=True)
    monkeypatch.setattr(classifier, "NETWORK_MIN_SAMPLES", 500)
    other = classifier.fit(features, matrix, labels)
    for fitted in (small, other):
        assert fitted is not None
        assert isinstance(fitted.pipeline.named_steps["model"], classifier.CalibratedSVM)


def test_the_blend_leans_less_to_the_commoner_classes(desk, monkeypatch):
    """The blend's probabilities are divided by the classes' shares of the training
    tickets to the power PRIOR_CORRECTION: a class twice as common as another loses its
    edge, and the answer is still a probability."""
    features, matrix, labels, rows, truth = desk
    monkeypatch.setattr(classifier, "NETWORK_MIN_SAMPLES", 500)
    fitted = classifier.fit(features, matrix, labels, networks=True)
    assert fitted is not None
    model = fitted.pipeline.named_steps["model"]
    counts = {c: labels.count(c) for c in model.classes_}
    shares = np.array([counts[c] for c in model.classes_]) / len(labels)
    assert np.allclose(np.exp(model.log_prior), shares)
    corrected = model.predict_proba(rows)
    model.log_prior = None  # a blend stored before the correction: the plain average
    plain = model.predict_proba(rows)
    ratio = corrected / plain
    expected = shares**-classifier.PRIOR_CORRECTION
    assert np.allclose(ratio / ratio[:, :1], expected / expected[0], rtol=1e-4)
    assert np.allclose(corrected.sum(axis=1), 1.0)
    assert (model.classes_[corrected.argmax(axis=1)] == np.array(truth)).mean() >= 0.85


def test_networks_reading_a_share_of_the_columns_learn_and_leave_the_rest_unread(desk):
    _, matrix, labels, rows, truth = desk
    networks = Networks(seeds=[0], columns=0.7).fit(matrix, labels)
    unread = ~networks.w1.any(axis=1)
    assert 0.2 < unread.mean() < 0.4
    assert (networks.predict(rows) == np.array(truth)).mean() >= 0.8
