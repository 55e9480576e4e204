"""Datasets: files, lists, numpy arrays and DataFrames in and out, and the located errors."""
import json

import numpy as np
import pytest

import tpp
from conftest import MIMIC, SCHEMA, TEST, TRAIN

pd = pytest.importorskip("pandas")


def frame():
    return pd.DataFrame({
        "user": ["a", "a", "a", "b", "b"],
        "time": [0.5, 1.25, 3.0, 0.0, 2.5],
        "type": [0, 1, 0, 1, 1],
    })


def test_read_rmtpp_pair_with_schema(mimic_train):
    assert len(mimic_train) == 585
    assert mimic_train.schema["num_action_types"] == 75
    first = mimic_train[0]
    assert first["time"].dtype == np.float64 and first["type"].dtype == np.int64
    assert len(first["time"]) == len(first["type"]) == 4
    assert first["t_start"] == first["time"][0] and first["t_end"] == first["time"][-1]
    # Either file of the pair reads the same data.
    other = tpp.read(MIMIC / "event-1-train.txt", schema=SCHEMA)
    assert other.num_events == mimic_train.num_events


def test_frame_round_trip_is_equal():
    df = frame()
    ds = tpp.Dataset.from_frame(df)
    assert len(ds) == 2 and ds.num_events == 5
    assert ds.schema["action_names"] == ["0", "1"]
    pd.testing.assert_frame_equal(ds.to_frame(), df)


def test_frame_round_trip_with_names_stimuli_text_and_meta():
    df = pd.DataFrame({
        "user": ["u1", "u1", "u1", "u2"],
        "time": [1.0, 2.0, 2.0, 5.0],
        "type": ["view", "coupon", "buy", "view"],
        "stimulus": [False, True, False, False],
        "text": ["shoes", "10% off", "", "hat"],
        "m0": [0.5, 1.0, -1.0, 0.25],
        "m1": [2.0, 0.0, 3.5, 1.0],
    })
    ds = tpp.Dataset.from_frame(df)
    s = ds.schema
    assert s["action_names"] == ["view", "buy"] and s["stimulus_names"] == ["coupon"]
    assert s["event_meta_dim"] == 2
    out = ds.to_frame()
    pd.testing.assert_frame_equal(out, df)


def test_users_frame_round_trip():
    events = frame()
    users = pd.DataFrame({"user": ["a", "b"], "category": ["x", "y"], "t_start": [0.0, -1.0],
                          "t_end": [10.0, 4.0], "f0": [1.0, 2.0], "f1": [0.5, -0.5]})
    ds = tpp.Dataset.from_frame(events, users=users)
    assert ds[0]["t_end"] == 10.0 and ds[1]["t_start"] == -1.0
    assert ds[1]["category"] == "y"
    assert ds.schema["user_feature_dim"] == 2 and ds.schema["category_names"] == ["x", "y"]
    pd.testing.assert_frame_equal(ds.users_frame(), users)
    pd.testing.assert_frame_equal(ds.to_frame(), events)


def test_lists_numpy_and_sequences_agree():
    from_lists = tpp.Dataset.from_events(user=["a", "a", "b"], time=[0.0, 1.0, 0.5], type=[2, 0, 1])
    from_numpy = tpp.Dataset.from_events(user=np.array(["a", "a", "b"]), time=np.array([0.0, 1.0, 0.5]),
                                         type=np.array([2, 0, 1]))
    from_seqs = tpp.Dataset.from_sequences([[0.0, 1.0], [0.5]], [[2, 0], [1]], users=["a", "b"])
    for ds in (from_numpy, from_seqs):
        assert ds.schema == from_lists.schema
        for x, y in zip(ds, from_lists):
            np.testing.assert_array_equal(x["time"], y["time"])
            np.testing.assert_array_equal(x["type"], y["type"])
    cols = from_lists.to_columns()
    assert cols["user"] == ["a", "a", "b"] and list(cols["type"]) == ["2", "0", "1"]
    np.testing.assert_array_equal(cols["time"], [0.0, 1.0, 0.5])


def test_frame_equals_the_same_rows_in_a_csv_file(tmp_path):
    df = pd.DataFrame({"user": ["u", "u", "v"], "time": [1.0, 2.5, 0.5], "type": ["x", "y", "x"]})
    path = tmp_path / "log.csv"
    df.to_csv(path, index=False)
    from_file = tpp.read(path)
    from_frame = tpp.Dataset.from_frame(df)
    assert from_file.schema == from_frame.schema
    pd.testing.assert_frame_equal(from_file.to_frame(), from_frame.to_frame())


def test_write_read_round_trip_every_format(tmp_path, mimic_test):
    for name in ("t.csv", "t.jsonl", "t.json", "time-t.txt"):
        path = tmp_path / name
        lost = mimic_test.write(path)
        assert lost == []
        back = tpp.read(path)
        assert back.num_events == mimic_test.num_events
        for a, b in zip(back, mimic_test):
            np.testing.assert_array_equal(a["time"], b["time"])


def test_write_with_companions_then_read_them_back(tmp_path):
    events = frame()
    users = pd.DataFrame({"user": ["a", "b"], "t_start": [0.0, 0.0], "t_end": [5.0, 5.0]})
    ds = tpp.Dataset.from_frame(events, users=users)
    ds.write(tmp_path / "x.jsonl", users=tmp_path / "x.users.jsonl", schema=tmp_path / "x.schema.json")
    back = tpp.read(tmp_path / "x.jsonl")  # companions picked up by name
    assert back[0]["t_end"] == 5.0
    assert json.loads((tmp_path / "x.schema.json").read_text())["num_action_types"] == 2


def test_convert_and_inspect(tmp_path):
    out = tmp_path / "mimic.jsonl"
    summary = tpp.convert(TRAIN, out)
    assert summary["events"] == tpp.read(TRAIN).num_events and summary["lost"] == []
    info = tpp.inspect(out)
    assert info["sequences"] == 585 and info["events"] == summary["events"]
    assert info["dropped"]["rows"] == 0
    # RMTPP text cannot hold stimuli: convert refuses rather than dropping their meaning.
    stim = tpp.Dataset.from_events(user=["a", "a"], time=[0.0, 1.0], type=["s", "x"], stimulus=[True, False])
    stim.write(tmp_path / "s.jsonl")
    with pytest.raises(tpp.Error):
        tpp.convert(tmp_path / "s.jsonl", tmp_path / "time-s.txt")


def test_split_and_subset(mimic_train):
    train, dev, test = mimic_train.split([0.8, 0.1, 0.1], seed=3)
    assert len(train) + len(dev) + len(test) == len(mimic_train)
    assert set(train.users).isdisjoint(test.users)
    again = mimic_train.split([0.8, 0.1, 0.1], seed=3)
    assert again[0].users == train.users
    one = mimic_train.subset([4])
    assert one.users == [mimic_train.users[4]]


# -- located errors --------------------------------------------------------------------------

def test_non_finite_time_names_row_and_field():
    df = frame()
    df.loc[2, "time"] = np.nan
    with pytest.raises(tpp.DataError) as e:
        tpp.Dataset.from_frame(df)
    assert str(e.value) == "DataFrame:3: time: not finite"
    assert (e.value.file, e.value.line, e.value.field) == ("DataFrame", 3, "time")
    assert isinstance(e.value, tpp.Error) and isinstance(e.value, ValueError)


def test_decreasing_time_is_refused_unless_sorted():
    df = frame()
    df.loc[1, "time"] = 0.1
    with pytest.raises(tpp.DataError, match=r"^DataFrame:2: time: time 0.1 before the previous event of user 'a'"):
        tpp.Dataset.from_frame(df)
    ds = tpp.Dataset.from_frame(df, sort=True)
    np.testing.assert_array_equal(ds[0]["time"], [0.1, 0.5, 3.0])


def test_drop_invalid_skips_and_keeps_the_rest():
    df = frame()
    df.loc[0, "time"] = np.inf
    ds = tpp.Dataset.from_frame(df, drop_invalid=True)
    assert ds.num_events == 4


def test_unknown_and_missing_columns():
    with pytest.raises(tpp.DataError, match="DataFrame: colour: unknown column"):
        tpp.Dataset.from_frame(frame().assign(colour=1))
    with pytest.raises(tpp.DataError, match="DataFrame: type: missing required column"):
        tpp.Dataset.from_frame(frame().drop(columns="type"))


def test_unknown_type_under_a_schema():
    with pytest.raises(tpp.DataError, match=r"^events:2: type: unknown action type '7'"):
        tpp.Dataset.from_events(user=["a", "a"], time=[0.0, 1.0], type=[0, 7], schema={"num_action_types": 3})


def test_column_lengths_and_bad_values():
    with pytest.raises(tpp.DataError, match="events: time: 2 values for 3 events"):
        tpp.Dataset.from_events(user=["a", "a", "a"], time=[0.0, 1.0], type=[0, 0, 0])
    with pytest.raises(tpp.DataError, match=r"^events:2: stimulus: expected true, false, 0 or 1"):
        tpp.Dataset.from_events(user=["a", "a"], time=[0.0, 1.0], type=[0, 0], stimulus=[0, 2])
    with pytest.raises(tpp.DataError, match=r"^events:1: user: empty"):
        tpp.Dataset.from_events(user=["", "a"], time=[0.0, 1.0], type=[0, 0])
    with pytest.raises(tpp.DataError, match="events: time: expected numbers"):
        tpp.Dataset.from_events(user=["a"], time=["soon"], type=[0])
    with pytest.raises(tpp.DataError, match=r"^events:2: type: expected names or integer ids, got 1.5"):
        tpp.Dataset.from_events(user=["a", "a"], time=[0.0, 1.0], type=[1.0, 1.5])


def test_user_table_errors():
    events = frame()
    with pytest.raises(tpp.DataError, match=r"^users:2: user: user 'a' listed twice"):
        tpp.Dataset.from_frame(events, users=pd.DataFrame({"user": ["a", "a"]}))
    with pytest.raises(tpp.DataError, match=r"^users:1: t_start: window \[1, 2\] does not contain user 'a'"):
        tpp.Dataset.from_frame(events, users=pd.DataFrame({"user": ["a"], "t_start": [1.0], "t_end": [2.0]}))
    with pytest.raises(tpp.DataError, match=r"^users:1: t_end: window end before its start"):
        tpp.Dataset.from_frame(events, users=pd.DataFrame({"user": ["b"], "t_start": [5.0], "t_end": [4.0]}))


def test_require_categories_names_the_users_first_row():
    with pytest.raises(tpp.DataError, match=r"^DataFrame:4: category: user 'b' has no category"):
        tpp.Dataset.from_frame(frame().assign(category=["x", "x", "x", None, None]), require_categories=True)


def test_missing_file_is_an_error_with_its_path(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(tpp.DataError) as e:
        tpp.read(missing)
    assert str(missing) in str(e.value) and e.value.field == "file"


def test_bad_line_in_a_file_is_located(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("user,time,type\na,0,x\na,oops,y\n")
    with pytest.raises(tpp.DataError, match=r"bad.csv:3: time: not a number: 'oops'$"):
        tpp.read(path)
