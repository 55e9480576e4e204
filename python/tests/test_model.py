"""Models: fit with a callback, evaluate, predict, intensities, sampling, save/load, states."""
import json
import math
import subprocess

import numpy as np
import pytest

import tpp
from conftest import SCHEMA, TEST, TRAIN

pd = pytest.importorskip("pandas")


def test_registry_lists_the_models():
    names = tpp.models()
    for name in ("poisson", "hawkes", "rmtpp", "thp", "nhp", "sahp", "attnhp", "expert"):
        assert name in names
    keys = {k["key"] for k in tpp.model_keys("thp")}
    assert {"d_model", "heads", "layers"} <= keys


def test_fit_calls_back_every_epoch(mimic_train, mimic_test):
    seen = []
    model = tpp.Model("rmtpp", hidden=8).fit(mimic_train, mimic_test, epochs=3, patience=0, callback=seen.append)
    assert [r["epoch"] for r in seen] == [1, 2, 3]
    for r in seen:
        assert r["loss"] > 0 and math.isfinite(r["dev_ll_per_event"]) and r["events_per_second"] > 0
    assert model.history == seen
    assert model.summary["epochs"] == 3 and model.fitted


def test_callback_exception_stops_training_and_propagates(mimic_train):
    calls = []

    def stop(record):
        calls.append(record["epoch"])
        if record["epoch"] == 2:
            raise KeyboardInterrupt("enough")

    model = tpp.Model("rmtpp", hidden=8)
    with pytest.raises(KeyboardInterrupt, match="enough"):
        model.fit(mimic_train, epochs=10, callback=stop)
    assert calls == [1, 2] and not model.fitted


def test_fit_from_a_frame_equals_fit_from_the_file(mimic_train):
    # The same data through a DataFrame trains the same model, bit for bit (same seed).
    df = mimic_train.to_frame()
    a = tpp.Model("hawkes").fit(mimic_train, epochs=1)
    b = tpp.Model("hawkes").fit(tpp.Dataset.from_frame(df, schema=SCHEMA), epochs=1)
    sub = mimic_train.subset(range(5))
    assert a.evaluate(sub) == b.evaluate(sub)


def test_fit_equals_cli_train(mimic_train, mimic_test, tmp_path, cli):
    config = {"model": "rmtpp", "hidden": 8, "train": {"epochs": 2, "lr": 0.01}}
    path = tmp_path / "cli.tpp"
    subprocess.run([cli, "train", "--config", json.dumps(config), "--schema", str(SCHEMA), "--train", str(TRAIN),
                    "--dev", str(TEST), "-o", str(path), "--quiet"], check=True, capture_output=True)
    mine = tpp.Model("rmtpp", hidden=8).fit(mimic_train, mimic_test, epochs=2, lr=0.01)
    assert tpp.load(path).evaluate(mimic_test) == mine.evaluate(mimic_test)


def test_evaluate_matches_the_cli(hawkes, mimic_test, tmp_path, cli):
    # A 75-type Hawkes prediction is quadrature-heavy: 15 users keep the comparison quick.
    small = mimic_test.subset(range(15))
    data = tmp_path / "small.jsonl"
    small.write(data)
    path = tmp_path / "h.tpp"
    hawkes.save(path)
    out = subprocess.run([cli, "evaluate", "--model", str(path), "--data", str(data), "--json"], check=True,
                         capture_output=True, text=True).stdout
    assert tpp.load(path).evaluate(data) == json.loads(out)
    assert hawkes.evaluate(small) == json.loads(out)


def test_evaluate_reports_the_metrics(thp, mimic_test):
    m = thp.evaluate(mimic_test, top_k=3)
    assert m["num_sequences"] == 65 and m["top_k"] == 3
    assert math.isfinite(m["log_likelihood_per_event"]) and 0 <= m["type_accuracy"] <= m["top_k_accuracy"] <= 1
    assert m["time_rmse"] > 0 and m["time_mae"] > 0


def test_predict_frame_matches_the_cli(thp, tmp_path, cli):
    path = tmp_path / "thp.tpp"
    thp.save(path)
    rows_path = tmp_path / "p.jsonl"
    subprocess.run([cli, "predict", "--model", str(path), "--data", str(TEST), "-o", str(rows_path)], check=True,
                   capture_output=True)
    rows = [json.loads(line) for line in rows_path.read_text().splitlines()]
    frame = thp.predict(TEST)
    assert len(frame) == len(rows)
    for row, (_, got) in zip(rows, frame.iterrows()):
        assert got["user"] == row["user"] and got["index"] == row["index"] and got["type"] == row["type"]
        assert got["predicted_time"] == row["predicted_time"] and got["median_time"] == row["median_time"]
        assert got["predicted_type"] == row["predicted_type"]
        assert got["top_k_type"] == [t["type"] for t in row["top_k"]]
        assert got["top_k_probability"] == [t["probability"] for t in row["top_k"]]


def test_predict_as_arrays(hawkes, mimic_test):
    mimic_test = mimic_test.subset(range(20))
    cols = hawkes.predict(mimic_test, top_k=2, as_frame=False)
    n = len(cols["time"])
    assert n == mimic_test.num_actions - len(mimic_test)  # every event but each window's first
    assert cols["predicted_time"].dtype == np.float64 and cols["top_k_probability"].shape == (n, 2)
    assert cols["top_k_type"].shape == (n, 2)
    np.testing.assert_array_equal(cols["top_k_type"][:, 0], cols["predicted_type"])
    assert np.all(cols["top_k_probability"][:, 0] >= cols["top_k_probability"][:, 1])
    last = hawkes.predict(mimic_test, target_fraction=0.3, as_frame=False)
    assert 0 < len(last["time"]) < n


def test_save_load_round_trip_predicts_identically(thp, mimic_test, tmp_path):
    path = tmp_path / "m.tpp"
    tpp.save(thp, path)
    back = tpp.load(path)
    assert back.name == "thp" and back.config == thp.config and back.time_scale == thp.time_scale
    pd.testing.assert_frame_equal(back.predict(mimic_test), thp.predict(mimic_test))
    assert back.evaluate(mimic_test) == thp.evaluate(mimic_test)


def test_intensity_curves(thp, mimic_test):
    curves = thp.intensity(mimic_test, points=50)
    assert len(curves) == len(mimic_test)
    c = curves[3]
    assert c["user"] == mimic_test.users[3] and c["types"] == thp.types
    assert c["intensity"].shape == (len(c["time"]), 75) and np.all(c["intensity"] >= 0)
    assert np.all(np.diff(c["time"]) >= 0)
    one = thp.intensity(mimic_test, points=50, user=3)
    # Alone or in a padded batch: the same curve up to float rounding.
    np.testing.assert_allclose(one["intensity"], c["intensity"], rtol=1e-12)


def test_intensity_plot_and_svg(thp, mimic_test, tmp_path):
    svg = tmp_path / "u.svg"
    plot = thp.intensity_plot(mimic_test, user=mimic_test.users[0], points=40, svg=svg)
    assert plot["intensity"].shape == (len(plot["time"]), 75)
    np.testing.assert_array_equal(plot["event_time"], mimic_test[0]["time"])
    assert "<svg" in svg.read_text()


def test_sample_is_seeded_and_in_file_units(hawkes):
    a = hawkes.sample(5, horizon=20.0, seed=7)
    b = hawkes.sample(5, horizon=20.0, seed=7)
    c = hawkes.sample(5, horizon=20.0, seed=8)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert not a.to_frame().equals(c.to_frame())
    assert all(s["t_start"] == 0.0 and s["t_end"] == 20.0 for s in a)
    assert a.schema["action_names"] == hawkes.types


def test_sample_next(thp, mimic_test):
    out = thp.sample_next(mimic_test, user=0, num_events=2, num_samples=20, horizon=1000.0, seed=1)
    assert len(out["samples"]) == 20 and out["type_frequency"].shape == (2, 75)
    last = mimic_test[0]["time"][-1]
    assert all(s["time"][0] >= last for s in out["samples"] if len(s["time"]))
    np.testing.assert_allclose(out["type_frequency"][0].sum(), 1.0)


def test_unfitted_model_samples_its_config():
    m = tpp.Model("hawkes", mu=[0.5, 0.2], alpha=[[0.3, 0.0], [0.1, 0.2]], beta=2.0)
    ds = m.sample(10, horizon=30.0, seed=2)
    assert len(ds) == 10 and ds.schema["num_action_types"] == 2 and ds.num_events > 0


def test_model_errors(mimic_train, mimic_test):
    with pytest.raises(tpp.Error, match='unknown model "thpp"'):
        tpp.Model("thpp")
    with pytest.raises(tpp.Error, match="d_modl"):
        tpp.Model("thp", d_modl=8).fit(mimic_train, epochs=1)
    with pytest.raises(tpp.Error, match='train: unknown field "epoch"'):
        tpp.Model("thp").fit(mimic_train, epoch=1)
    with pytest.raises(tpp.Error, match="not fitted"):
        tpp.Model("thp").predict(mimic_test)
    with pytest.raises(tpp.Error, match="no such model file"):
        tpp.load("/nonexistent/model.tpp")
    with pytest.raises(tpp.DataError, match='action type "zzz" is unknown to the model'):
        # Types match by name; a type the model never saw is refused, named.
        tpp.Model("poisson").fit(mimic_train, optimizer="lbfgs").evaluate(
            tpp.Dataset.from_events(user=["a", "a"], time=[0.0, 1.0], type=["0", "zzz"]))


# -- per-user state -------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["hawkes", "thp"])
def test_state_equals_the_batch_predictor(which, request, mimic_test):
    model = request.getfixturevalue(which)
    user = mimic_test.subset([int(np.argmax([len(s["time"]) for s in mimic_test]))])
    seq = user[0]
    rows = model.predict(user, top_k=3)
    state = model.state(t_start=seq["t_start"], user=seq["user"])
    names = model.types
    for i in range(len(seq["time"])):
        match = rows[rows["index"] == i]
        if len(match):
            row = match.iloc[0]
            p = state.predict(top_k=3)
            assert p["predicted_time"] == pytest.approx(row["predicted_time"], rel=1e-7)
            assert p["median_time"] == pytest.approx(row["median_time"], rel=1e-7)
            assert p["predicted_type"] == row["predicted_type"]
            assert [t for t, _ in p["top_k"]] == row["top_k_type"]
            np.testing.assert_allclose([q for _, q in p["top_k"]], row["top_k_probability"], rtol=1e-6)
            assert sum(p["type_probability"].values()) == pytest.approx(1.0)
        state.observe(float(seq["time"][i]), names[seq["type"][i]])
    assert state.num_events == len(seq["time"]) and state.last_time == seq["time"][-1]

    # A state started from the events equals the one fed event by event.
    from_events = model.state(user)
    assert from_events.predict() == state.predict()


def test_state_intensity_matches_the_curves(thp, mimic_test):
    # A window running past the last event, so the curve has points inside the open interval.
    events = mimic_test.subset([5]).to_frame()
    last = float(events["time"].iloc[-1])
    users = pd.DataFrame({"user": [events["user"].iloc[0]], "t_start": [float(events["time"].iloc[0])],
                          "t_end": [last + 5.0]})
    user = tpp.Dataset.from_frame(events, users=users, schema=SCHEMA)
    state = thp.state(user)
    curve = thp.intensity(user, points=30)[0]
    after = curve["time"] > last
    assert after.sum() > 5
    np.testing.assert_allclose(state.intensity(curve["time"][after]), curve["intensity"][after], rtol=1e-9,
                               atol=1e-12)


def test_state_as_of_conditions_on_quiet_time(hawkes, mimic_test):
    state = hawkes.state(mimic_test, user=mimic_test.users[0])
    now = state.predict()
    later = state.predict(as_of=state.last_time + 2.0)
    assert later["predicted_time"] > state.last_time + 2.0
    assert later["predicted_time"] != now["predicted_time"]
    with pytest.raises(tpp.Error, match="as_of"):
        state.predict(as_of=state.last_time - 1.0)


def test_state_errors(hawkes, mimic_test):
    state = hawkes.state(t_start=0.0)
    state.observe(1.0, "3")
    with pytest.raises(tpp.Error, match="precedes the last observed time"):
        state.observe(0.5, "3")
    with pytest.raises(tpp.Error, match="unknown action type 'nope'"):
        state.observe(2.0, "nope")
    with pytest.raises(tpp.Error, match="outside"):
        state.observe(2.0, 99)
    with pytest.raises(tpp.Error, match="name one"):
        hawkes.state(mimic_test)
    with pytest.raises(tpp.Error, match="before the last observed event"):
        state.intensity([0.5])


def test_iptw_entry_point_needs_categories(mimic_train):
    with pytest.raises(tpp.Error, match="category"):
        tpp.Model("rmtpp", hidden=8).fit(mimic_train, epochs=1, iptw={"refit_every": 1})


def test_fit_output_verbose_and_iptw(mimic_train, tmp_path, capfd):
    path = tmp_path / "r.tpp"
    model = tpp.Model("rmtpp", hidden=8).fit(mimic_train, epochs=1, output=path, verbose=True)
    assert "epoch 1/1" in capfd.readouterr().err  # the CLI's progress line, on stderr
    assert tpp.load(path).evaluate(mimic_train.subset(range(5))) == model.evaluate(mimic_train.subset(range(5)))
    assert model.num_parameters > 0 and model.types == [str(k) for k in range(75)]
    # IPTW (C-RMTPP): weights refitted after every epoch, reported in the epoch records.
    df = mimic_train.to_frame()
    df["category"] = ["a" if int(u) % 2 else "b" for u in df["user"]]
    data = tpp.Dataset.from_frame(df, schema=SCHEMA)
    counts = data.summary()["categories"]
    assert set(counts) == {"a", "b"} and sum(counts.values()) == len(data)
    weighted = tpp.Model("rmtpp", hidden=8).fit(data, epochs=3, iptw={"refit_every": 1, "bins": 2})
    # Refitted after every epoch but the last (whose weights nothing would use).
    assert ["iptw" in r for r in weighted.history] == [True, True, False]
    assert weighted.history[0]["iptw"]["count"] == data.num_actions
