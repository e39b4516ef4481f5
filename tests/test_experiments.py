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
    recorded = dict(re.findall(r"`census1990/(dist\.\w+\.first)` \| \d+ \| `([0-9a-f]{64})`", readme))
    assert recorded == ex.data_sha256()
    assert json.loads(NAMES_JSON.read_text())["data_sha256"] == recorded


def test_names_load_and_split():
    names = ex.load_names()
    assert len(names) == 5163 and len(set(names)) == len(names)
    assert all(re.fullmatch("[a-z]{2,11}", name) for name in names)
    train, test = ex.split_names(names, 0.1, seed=0)
    assert (train, test) == ex.split_names(names, 0.1, seed=0)
    assert len(test) == 516 and len(train) + len(test) == len(names)
    assert not set(train) & set(test)
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


def test_committed_names_results():
    """The committed numbers: baselines recomputed exactly; the saved LSTM gives the committed cross-entropy."""
    results = json.loads(NAMES_JSON.read_text())
    config = results["config"]
    assert config == ex.NAMES_CONFIG
    train, test = ex.split_names(ex.load_names(), config["test_fraction"], config["split_seed"])
    assert (results["n_train"], results["n_test"]) == (len(train), len(test))
    assert results["unigram"] == pytest.approx(ex.unigram_cross_entropy(train, test), rel=1e-12)
    assert results["bigram"] == pytest.approx(ex.bigram_cross_entropy(train, test), rel=1e-12)
    parameters = ex.load_names_parameters(NAMES_NPZ)
    for implementation in ("reference", None):
        assert ex.names_cross_entropy(parameters, test, implementation) == pytest.approx(results["lstm"], rel=1e-9)
    assert results["lstm"] < results["bigram"] < results["unigram"]
    assert results["curve"]["test"][-1] == pytest.approx(results["lstm"], rel=1e-9)
    assert len(results["curve"]["step"]) == len(results["curve"]["train"]) == len(results["curve"]["test"])
    name = sample_text(parameters, ex.ALPHABET, ex.BOUNDARY, 1.0, rng=0)
    assert re.fullmatch("[a-z]*", name)


def test_a_short_names_run_follows_the_schema(tmp_path):
    config = {**ex.NAMES_CONFIG, "steps": 30, "evaluate_every": 10, "n_hidden": 8}
    results, parameters = ex.run_names(config, progress=False)
    assert results["curve"]["step"] == [10, 20, 30]
    assert {"unigram", "bigram", "lstm", "config", "curve", "data_sha256"} <= set(results)
    lstm.optim.save_parameters(tmp_path / "p.npz", parameters)
    assert set(ex.load_names_parameters(tmp_path / "p.npz")) == set(lstm.LSTM_PARAMETER_KEYS)


def test_the_names_command_makes_the_committed_results():
    """Re-run `python -m lstm.experiments names` (about ten seconds): same baselines, same curve length, and a
    held-out cross-entropy within 0.02 nats of the committed one (float64 is exact on one machine; another BLAS
    may nudge the trajectory of 3000 updates by a little)."""
    committed = json.loads(NAMES_JSON.read_text())
    results, parameters = ex.run_names(progress=False)
    assert results["unigram"] == committed["unigram"] and results["bigram"] == committed["bigram"]
    assert results["curve"]["step"] == committed["curve"]["step"]
    assert abs(results["lstm"] - committed["lstm"]) < 0.02
    assert results["lstm"] < results["bigram"]
    saved = ex.load_names_parameters(NAMES_NPZ)
    assert {key: value.shape for key, value in saved.items()} == {key: value.shape for key, value in parameters.items()}
