"""Tests of the experiments of chapters 7 and 8: the tasks, the data and its provenance, the baselines, and that
the committed results are what the commands make."""

import json
import math
import re
from collections import Counter

import numpy as np
import pytest

import lstm
from lstm import experiments as ex
from lstm.sample import sample_text

LONG_MEMORY_JSON = ex.RESULTS_DIR / "long_memory.json"
NAMES_JSON = ex.RESULTS_DIR / "names.json"
NAMES_NPZ = ex.RESULTS_DIR / "names_lstm.npz"


# --- chapter 7 ---------------------------------------------------------------------------------------------


def test_memory_task_batch():
    x, labels = ex.long_memory_batch(np.random.default_rng(0), 6, 9, n_classes=4)
    assert x.shape == (5, 6, 10) and labels.shape == (6,)
    np.testing.assert_array_equal(x.sum(axis=0)[:, 1:], 1.0)  # one symbol at every distractor step
    np.testing.assert_array_equal(x[:, :, 0].argmax(axis=0), labels)  # the symbol to remember, at step 0
    np.testing.assert_array_equal(x[4], np.eye(10)[[0] * 6])  # the marker: step 0 only


def test_chrono_initialisation():
    config = ex.LONG_MEMORY_CONFIG
    p = ex.memory_task_parameters("lstm", 0, config)
    forget = lstm.sigmoid(p["bf"])
    memory = 1 / (1 - forget)  # steps a unit remembers at the start
    assert memory.min() >= 2 - 1e-9 and memory.max() <= config["memory_horizon"] + 1e-9
    np.testing.assert_array_equal(p["bi"], -p["bf"])
    plain = ex.memory_task_parameters("lstm_forget_bias_1", 0, config)
    np.testing.assert_array_equal(plain["bf"], 1.0)
    np.testing.assert_array_equal(plain["Wf"], p["Wf"])  # only the biases differ
    with pytest.raises(ValueError, match="model must be"):
        ex.memory_task_parameters("gru", 0, config)


def test_committed_long_memory_results_follow_the_schema():
    results = json.loads(LONG_MEMORY_JSON.read_text())
    config = results["config"]
    assert config == ex.LONG_MEMORY_CONFIG  # the command's configuration made the committed file
    assert results["T"] == config["lengths"]
    assert results["chance"] == pytest.approx(1 / config["n_classes"])
    for model in config["models"]:
        assert list(results[model]) == [str(T) for T in config["lengths"]]
        for T in config["lengths"]:
            per_seed = results["per_seed"][model][str(T)]
            assert len(per_seed) == len(config["seeds"])
            assert results[model][str(T)] == pytest.approx(np.mean(per_seed))
            assert all(0 <= a <= 1 for a in per_seed)


def test_reduced_long_memory_reproduces_the_committed_direction():
    """The chapter's live run: at the largest T the LSTM beats the RNN by a wide margin, as in the full run."""
    committed = json.loads(LONG_MEMORY_JSON.read_text())
    reduced = ex.run_long_memory(ex.REDUCED_LONG_MEMORY_CONFIG, progress=False)
    largest = str(max(ex.REDUCED_LONG_MEMORY_CONFIG["lengths"]))
    assert largest in committed["lstm"]
    for results in (committed, reduced):
        assert results["lstm"][largest] > results["rnn"][largest] + 0.5
        assert results["rnn"][largest] < results["chance"] + 0.15  # the RNN is at chance
        assert results["lstm"][largest] > 0.9
        assert results["rnn"]["5"] > 0.9  # ... though it learns the short delay


# --- chapter 8 ---------------------------------------------------------------------------------------------


def test_data_files_match_their_recorded_sha256():
    readme = (ex.REPOSITORY / "data" / "README.md").read_text()
    recorded = dict(re.findall(r"`census1990/(dist\.\w+\.\w+)` \| \d+ \| `([0-9a-f]{64})`", readme))
    assert set(recorded) == set(ex.NAME_FILES)
    assert recorded == ex.data_sha256()
    assert json.loads(NAMES_JSON.read_text())["data_sha256"] == recorded


def test_names_load_and_split():
    names = ex.load_names()
    assert len(names) == 88799 and len(set(names)) == len(names) and names == sorted(names)
    assert all(re.fullmatch("[a-z]{2,13}", name) for name in names)
    assert len(ex.load_names(corpus="first_names")) == 5163
    with pytest.raises(ValueError, match="corpus must be one of"):
        ex.load_names(corpus="pets")
    train, validation, test = ex.split_names(names, 0.1, seed=0, validation_fraction=0.1)
    assert (len(train), len(validation), len(test)) == (71039, 8880, 8880)
    assert not (set(train) & set(test)) and not (set(train) & set(validation)) and not (set(validation) & set(test))
    assert ex.split_names(names, 0.1, seed=0)[1] == test  # the test names do not depend on the validation share
    assert (train, validation, test) == ex.names_splits()
    assert ex.split_names(names, 0.1, seed=1)[1] != test


def test_encode_names():
    x, targets, mask = ex.encode_names(["ab", "c"])
    assert x.shape == (27, 2, 3)
    assert [ex.ALPHABET[i] for i in x[:, 0, :].argmax(axis=0)] == list(".ab")
    assert [ex.ALPHABET[i] for i in targets[0]] == list("ab.")
    assert [ex.ALPHABET[i] for i in targets[1, :2]] == list("c.")
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 1, 0]])


def test_baselines_by_independent_counting():
    train = ["ab", "abc", "b"]
    test = ["ba", "c"]
    # predicted characters: letters and the end "."; the unigram counts them on the training names
    counts = Counter("ab." "abc." "b.")
    unigram = [-math.log((counts[ch] + 1) / (sum(counts.values()) + 27)) for ch in "ba." "c."]
    assert ex.unigram_cross_entropy(train, test) == pytest.approx(sum(unigram) / 5, rel=1e-12)
    pairs = Counter(name[i:i + 2] for name in (".ab.", ".abc.", ".b.") for i in range(len(name) - 1))
    contexts = Counter(pair[0] for pair in pairs.elements())
    bigram = [-math.log((pairs[p] + 1) / (contexts[p[0]] + 27)) for p in (".b", "ba", "a.", ".c", "c.")]
    assert ex.bigram_cross_entropy(train, test) == pytest.approx(sum(bigram) / 5, rel=1e-12)


SMALL_CORPUS = ["anna", "bob", "abba", "anne", "bobby", "ann", "ben", "nab", "ebb", "nanna"]


@pytest.mark.parametrize("order", [2, 3, 4, 5])
@pytest.mark.parametrize("discount", [0.1, 0.75, 1.0])
def test_kneser_ney_equals_nltk(order, discount):
    """Every probability, in seen and unseen contexts, for letters seen and unseen, equals NLTK's to 1e-12."""
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    ngrams, vocabulary = padded_everygram_pipeline(order, SMALL_CORPUS)
    reference = KneserNeyInterpolated(order, discount=discount)
    reference.fit(ngrams, vocabulary)
    model = ex.KneserNey(SMALL_CORPUS, order, discount)
    as_nltk = {ex.NGRAM_START: "<s>", ex.NGRAM_END: "</s>"}
    contexts = {"<" * (order - 1)} | {("<" * order + name)[-(order - 1):] for name in ("an", "bob", "zz", "nab", "e")}
    for context in contexts:
        for symbol in "abenoz" + ex.NGRAM_END:
            expected = reference.score(as_nltk.get(symbol, symbol), [as_nltk.get(c, c) for c in context])
            assert model.probability(symbol, context) == pytest.approx(expected, rel=1e-12, abs=1e-15), \
                (symbol, context)
    # the cross-entropy is the mean of -log P over every letter and one end symbol per name
    names = ["anna", "bo"]
    manual = [-math.log(reference.score(w, ctx)) for name in names
              for ctx, w in _nltk_steps(name, order)]
    assert model.cross_entropy(names, normalise=False) == pytest.approx(np.mean(manual), rel=1e-12)


def _nltk_steps(name, order):
    padded = ["<s>"] * (order - 1) + list(name) + ["</s>"]
    return [(padded[i - order + 1:i], padded[i]) for i in range(order - 1, len(padded))]


def test_kneser_ney_normalised_sums_to_one_and_is_checked():
    model = ex.KneserNey(SMALL_CORPUS, 3, 0.75)
    for context in ("<<", "<a", "an", "zz", "bo"):
        total = sum(model.probability(s, context) / model.normaliser(context) for s in ex.PREDICTED_SYMBOLS)
        assert total == pytest.approx(1.0, abs=1e-12)
    assert model.normaliser("<<") > 1.0  # NLTK's formula gives more than one unit at the start of a name
    with pytest.raises(ValueError, match="order must be at least 2"):
        ex.KneserNey(SMALL_CORPUS, 1)
    best, table = ex.select_kneser_ney(SMALL_CORPUS[:7], SMALL_CORPUS[7:], [2, 3], [0.5, 1.0])
    assert len(table) == 4 and best == min(table, key=lambda row: row["validation"])


def test_committed_names_results():
    """The committed numbers: baselines recomputed exactly; each saved LSTM gives its committed cross-entropy."""
    results = json.loads(NAMES_JSON.read_text())
    config = results["config"]
    assert config == ex.NAMES_CONFIG
    train, validation, test = ex.names_splits(config)
    assert (results["n_train"], results["n_validation"], results["n_test"]) == (len(train), len(validation), len(test))
    assert results["n_test_characters"] == sum(len(name) + 1 for name in test)
    assert results["unigram"] == pytest.approx(ex.unigram_cross_entropy(train, test), rel=1e-12)
    assert results["bigram"] == pytest.approx(ex.bigram_cross_entropy(train, test), rel=1e-12)
    best = results["ngram_best"]
    assert [(row["order"], row["discount"]) for row in results["ngram_validation"]] == [
        (order, discount) for order in config["ngram_orders"] for discount in config["ngram_discounts"]]
    chosen = min(results["ngram_validation"], key=lambda row: row["validation"])
    assert (best["order"], best["discount"], best["validation"]) == (chosen["order"], chosen["discount"],
                                                                     chosen["validation"])
    model = ex.KneserNey(train, best["order"], best["discount"])
    assert model.cross_entropy(test) == pytest.approx(best["nats"], rel=1e-12)
    assert results["lstm"] == pytest.approx(np.median([row["nats"] for row in results["lstm_seeds"]]), rel=1e-12)
    assert [row["seed"] for row in results["lstm_seeds"]] == config["seeds"]
    for row, curve in zip(results["lstm_seeds"], results["curves"], strict=True):
        parameters = ex.load_names_parameters(ex.RESULTS_DIR / f"names_lstm_seed{row['seed']}.npz")
        for implementation in ("reference", None):
            assert ex.names_cross_entropy(parameters, test, implementation) == pytest.approx(row["nats"], rel=1e-9)
        assert ex.names_cross_entropy(parameters, validation) == pytest.approx(row["validation"], rel=1e-9)
        assert row["validation"] == min(curve["validation"])  # the best evaluation was kept
        assert curve["step"][curve["validation"].index(row["validation"])] == row["best_step"]
    chosen_seed = min(results["lstm_seeds"], key=lambda row: row["validation"])["seed"]
    by_position = results["by_position"]
    assert by_position["lstm_seed"] == chosen_seed
    weights = np.array(by_position["count"]) / results["n_test_characters"]
    assert weights @ by_position["ngram"] == pytest.approx(best["nats"], rel=1e-9)
    assert weights @ by_position["lstm"] == pytest.approx(
        next(row["nats"] for row in results["lstm_seeds"] if row["seed"] == chosen_seed), rel=1e-9)
    saved = ex.load_names_parameters(NAMES_NPZ)
    chosen = ex.load_names_parameters(ex.RESULTS_DIR / f"names_lstm_seed{chosen_seed}.npz")
    assert all(np.array_equal(saved[key], chosen[key]) for key in saved)
    name = sample_text(saved, ex.ALPHABET, ex.BOUNDARY, 1.0, rng=0)
    assert re.fullmatch("[a-z]*", name)


def test_a_short_names_run_follows_the_schema(tmp_path):
    config = {**ex.NAMES_CONFIG, "steps": 20, "evaluate_every": 10, "n_hidden": 4, "seeds": [0, 1],
              "ngram_orders": [2, 3], "ngram_discounts": [0.9]}
    seen = []
    results, parameters = ex.run_names(config, progress=False, on_seed=lambda r, p: seen.append(len(p)))
    assert seen == [1, 2, 2]  # after each seed, and once more with the split by position
    assert [curve["step"] for curve in results["curves"]] == [[10, 20], [10, 20]]
    assert {"unigram", "bigram", "ngram_best", "lstm", "lstm_seeds", "config", "curves", "data_sha256"} <= set(results)
    assert results["ngram_best"]["order"] in (2, 3) and len(results["ngram_validation"]) == 2
    assert results["lstm"] == np.median([row["nats"] for row in results["lstm_seeds"]])
    by_position = results["by_position"]
    assert by_position["position"][-1] == "end" and sum(by_position["count"]) == results["n_test_characters"]
    weights = np.array(by_position["count"]) / results["n_test_characters"]
    assert weights @ by_position["ngram"] == pytest.approx(results["ngram_best"]["nats"], rel=1e-9)
    chosen = next(row for row in results["lstm_seeds"] if row["seed"] == by_position["lstm_seed"])
    assert weights @ by_position["lstm"] == pytest.approx(chosen["nats"], rel=1e-9)
    lstm.optim.save_parameters(tmp_path / "p.npz", parameters[0])
    assert set(ex.load_names_parameters(tmp_path / "p.npz")) == set(lstm.LSTM_PARAMETER_KEYS)


def test_the_names_command_starts_as_committed():
    """Re-run the first evaluation window of seed 0 of `python -m lstm.experiments names`: its validation loss
    equals the committed curve's first point (to 1e-6: another BLAS may nudge the last digits)."""
    committed = json.loads(NAMES_JSON.read_text())
    config = {**ex.NAMES_CONFIG, "steps": ex.NAMES_CONFIG["evaluate_every"]}
    _, history, _ = ex.train_names(committed["config"]["seeds"][0], config, progress=False)
    assert history["evaluation"][0][1] == pytest.approx(committed["curves"][0]["validation"][0], abs=1e-6)
