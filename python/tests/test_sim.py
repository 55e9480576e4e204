"""Simulators and ground-truth generators from Python, against the CLI's files."""
import json
import subprocess

import numpy as np
import pytest

import tpp

pd = pytest.importorskip("pandas")

HAWKES = {"model": "hawkes", "mu": [0.2, 0.1], "alpha": [[0.3, 0.1], [0.1, 0.3]], "beta": 1.5}


def test_simulate_is_seeded_and_writes_companions(tmp_path):
    a = tpp.simulate(HAWKES, num_sequences=20, horizon=50.0, seed=1, output=tmp_path / "sim.jsonl")
    b = tpp.simulate(HAWKES, num_sequences=20, horizon=50.0, seed=1)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.schema["num_action_types"] == 2 and a.num_events > 20
    back = tpp.read(tmp_path / "sim.jsonl")  # X.users.jsonl gives the windows [0, 50]
    assert all(s["t_start"] == 0.0 and s["t_end"] == 50.0 for s in back)
    pd.testing.assert_frame_equal(back.to_frame(), a.to_frame())


def test_simulate_equals_the_cli(tmp_path, cli):
    out = tmp_path / "cli.jsonl"
    subprocess.run([cli, "simulate", "--config", json.dumps(HAWKES), "--n-seq", "10", "--horizon", "40", "--seed", "3",
                    "-o", str(out)], check=True, capture_output=True)
    mine = tpp.simulate(HAWKES, num_sequences=10, horizon=40.0, seed=3)
    pd.testing.assert_frame_equal(tpp.read(out).to_frame(), mine.to_frame())


def test_simulate_by_name_with_names_and_from_a_model():
    named = tpp.simulate({"model": "poisson", "rate": [1.0, 2.0], "action_names": ["a", "b"]}, num_sequences=3,
                         horizon=5.0, seed=0)
    assert named.schema["action_names"] == ["a", "b"]
    defaults = tpp.simulate("poisson", num_sequences=2, horizon=3.0, num_types=3)
    assert defaults.schema["num_action_types"] == 3
    fitted = tpp.Model("poisson").fit(named, optimizer="lbfgs")
    again = tpp.simulate(fitted, num_sequences=3, horizon=5.0, seed=4)
    assert again.schema["action_names"] == ["a", "b"]


def test_generate_a_stimulus_process(tmp_path):
    assert "ecommerce" in tpp.processes()
    data, info = tpp.generate("ecommerce", n_seq=20, seed=1, output=tmp_path / "shop.jsonl")
    assert len(data) == 20 and info["stimuli"] > 0 and info["actions"] > 0
    assert np.isfinite(info["oracle_log_likelihood_per_action"]) and len(info["truth"]) == 20
    back = tpp.read(info["files"]["events"])
    assert back.schema == data.schema and back.num_events == data.num_events
    again, _ = tpp.generate("ecommerce", n_seq=20, seed=1)
    pd.testing.assert_frame_equal(again.to_frame(), data.to_frame())
    with pytest.raises(tpp.Error, match="unknown"):
        tpp.generate("nonesuch", n_seq=2)


def test_expert_on_generated_stimuli(tmp_path):
    data, info = tpp.generate("ecommerce", n_seq=12, seed=2, output=tmp_path / "shop.jsonl")
    model = tpp.Model("expert", variant="full", d_model=8).fit(data, epochs=1)
    metrics = model.evaluate(data)
    assert np.isfinite(metrics["log_likelihood_per_event"])
    # A state sees stimuli: observing one changes the prediction of the user's next action.
    seq = data[0]
    stim_names = data.schema["stimulus_names"]
    state = model.state(data, user=seq["user"])
    before = state.predict()
    state.observe(seq["t_end"], stim_names[0], stimulus=True)
    assert state.predict() != before


def test_intensity_error_against_the_true_process():
    data = tpp.simulate(HAWKES, num_sequences=30, horizon=50.0, seed=5)
    fitted = tpp.Model("hawkes").fit(data, optimizer="lbfgs")
    poisson = tpp.Model("poisson").fit(data, optimizer="lbfgs")
    truth = dict(HAWKES, num_types=2)  # types "0", "1", matched by name
    err = fitted.intensity_error(data, truth, points=200)
    assert len(err["per_sequence"]) == 30 and err["mean"] > 0
    # The right model family recovers the intensity better than a constant rate.
    assert err["mean"] < poisson.intensity_error(data, truth, points=200)["mean"]
