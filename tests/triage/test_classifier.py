"""The classifier's text handling: what a model reads of a ticket, normalization, and
the fast path for one text giving the same features as the pipeline."""

from __future__ import annotations

from opora.triage import classifier


def test_a_chats_subject_is_not_read_twice():
    body = "My card was charged twice for the same coffee"
    assert classifier.ticket_text(body, body) == body
    cut = body[:20] + "…"
    assert classifier.ticket_text(cut, body) == body
    assert classifier.ticket_text("Refund", body) == f"Refund\n{body}"


def test_normalization_folds_amounts_currencies_and_contractions():
    assert classifier.normalize("I didn't get £20.50!") == "i did not get  zcur  znum !"
    same = {classifier.normalize(t).split()[-1] for t in ("paid 10 EUR", "paid 99 euros")}
    assert same == {"zcur"}
    assert classifier.stems("charged charges") == ["charg", "charg"]
    assert classifier.stems("списали деньги дважды")[0] == classifier.stems("списал")[0]


def test_one_text_gets_the_pipelines_features():
    texts = [
        "I was charged twice for my card payment",
        "Where is my new card? It has not arrived",
        "Меня дважды списали деньги за подписку",
        "How do I top up with 50 dollars",
    ] * 3
    features, _ = classifier.fit_features(texts)
    for text in [*texts[:4], "a text never seen, £5 and 12 cards"]:
        fast = classifier.features_of(features, text)
        assert (fast != features.transform([text])).nnz == 0


def test_word_pairs_ignore_order_but_not_sentences():
    pairs = set(classifier.word_pairs(classifier.normalize("My card has not arrived. Help!")))
    assert "arriv|card" in pairs
    assert pairs >= set(classifier.word_pairs(classifier.normalize("Arrived? Not my card")))
    assert not any("help" in p for p in pairs)  # "help" is alone in its sentence
    russian = set(classifier.word_pairs("карта не пришла"))
    assert russian == set(classifier.word_pairs("не пришла карта"))
    assert len(russian) == 3


def test_a_sentence_without_end_pairs_a_bounded_number_of_words():
    endless = " ".join(f"word{i}" for i in range(1000))
    limit = classifier.MAX_PAIRED * (classifier.MAX_PAIRED - 1) // 2
    assert len(classifier.word_pairs(endless)) == limit
