"""Datasets: files, Python lists, numpy arrays and pandas frames in; numpy arrays and frames out.

Every input goes through the library's event-log rules (type names, time order, users, categories),
so a frame means what the same rows would mean in a CSV file, and a bad value raises tpp.DataError
located as "<source>:<row>: <field>: <reason>" with rows counted from 1 like file lines.
"""
import os

import numpy as np

from . import _tpp

_EVENT_COLUMNS = ("user", "time", "type", "stimulus", "text", "category")
_USER_COLUMNS = ("user", "category", "t_start", "t_end")


def _fail(source, field, reason, row=0):
    _tpp._data_error(source, row, field, reason)


def _ids(values, source, field):
    """User ids and type tokens as the strings a file would hold ("3", "click")."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        _fail(source, field, "expected one value per event")
    if arr.dtype.kind == "b":
        _fail(source, field, "expected names or integer ids, got booleans")
    if arr.dtype.kind in "iu":
        return [str(v) for v in arr.tolist()]
    if arr.dtype.kind == "f":
        # Integer-valued floats appear when a pandas column of ids held a missing value once.
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.round(arr)))
        if bad.size:
            _fail(source, field, "expected names or integer ids, got %r" % arr[bad[0]], int(bad[0]) + 1)
        return [str(int(v)) for v in arr.tolist()]
    out = []
    for i, v in enumerate(arr.tolist()):
        if isinstance(v, (bool, np.bool_)) or v is None or (isinstance(v, float) and v != v):
            _fail(source, field, "missing or not a name: %r" % (v,), i + 1)
        out.append(str(int(v)) if isinstance(v, (int, np.integer)) else str(v))
    return out


def _times(values, source, field):
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            _fail(source, field, "expected numbers")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _flags(values, source, field):
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        return arr.tolist()
    out = []
    for i, v in enumerate(arr.tolist()):
        if isinstance(v, str) and v.strip().lower() in ("true", "false", "0", "1"):
            out.append(v.strip().lower() in ("true", "1"))
        elif isinstance(v, (bool, int, float)) and v in (0, 1):
            out.append(bool(v))
        else:
            _fail(source, field, "expected true, false, 0 or 1, got %r" % (v,), i + 1)
    return out


def _texts(values, source, field):
    out = []
    for v in np.asarray(values, dtype=object).tolist():
        out.append("" if v is None or (isinstance(v, float) and v != v) else str(v))
    return out


def _matrix(values, source, field):
    arr = np.asarray(values, dtype=np.float32) if not isinstance(values, np.ndarray) else values.astype(np.float32)
    if arr.ndim != 2:
        _fail(source, field, "expected one row of numbers per entry")
    return np.ascontiguousarray(arr)


class Dataset:
    """Event sequences with their schema (type names, stimulus types, feature sizes).

    Build one with tpp.read(path), Dataset.from_frame(df), Dataset.from_events(user=..., time=...,
    type=...) or Dataset.from_sequences(times, types); get the data back with to_frame(),
    users_frame(), to_columns() or write(path).
    """

    def __init__(self, native):
        self._native = native

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def read(cls, path, schema=None, format=None, users=None, drop_invalid=False, sort=False, split=None):
        """A data file. With only `path` (and a schema file), companions X.users.* and X.schema.json
        are picked up as by `tpp train`; the other options read as `tpp convert`/`inspect` do."""
        path = os.fspath(path)
        if format is None and users is None and not drop_invalid and not sort and split is None and (
                schema is None or isinstance(schema, (str, os.PathLike))):
            return cls(_tpp._read_data_file(path, os.fspath(schema) if schema is not None else ""))
        native, _report = _tpp._read_dataset(path, format or "", os.fspath(users) if users else "", schema,
                                             drop_invalid, sort, split or "")
        return cls(native)

    @classmethod
    def from_events(cls, user, time, type, stimulus=None, text=None, category=None, meta=None, users=None,
                    schema=None, sort=False, drop_invalid=False, require_categories=False, source="events"):
        """Columns as lists or numpy arrays, one entry per event. `type` holds names or integer ids;
        `meta` is an [events, d] array of event metadata; `users` a dict of user columns (user,
        category, t_start, t_end, features [users, f]) or a DataFrame like a users file."""
        events = {"user": _ids(user, source, "user"), "time": _times(time, source, "time"),
                  "type": _ids(type, source, "type")}
        if stimulus is not None:
            events["stimulus"] = _flags(stimulus, source, "stimulus")
        if text is not None:
            events["text"] = _texts(text, source, "text")
        if category is not None:
            events["category"] = _texts(category, source, "category")
        if meta is not None:
            events["meta"] = _matrix(meta, source, "meta")
        user_columns = None
        if users is not None:
            user_columns = _user_columns(users)
        return cls(_tpp._from_columns(events, user_columns, schema, sort, drop_invalid, require_categories, source,
                                      "users"))

    @classmethod
    def from_frame(cls, events, users=None, schema=None, sort=False, drop_invalid=False, require_categories=False,
                   source="DataFrame"):
        """A pandas DataFrame with the columns of a CSV event log: user, time, type and optionally
        stimulus, text, category, m0, m1, ... (event metadata). `users` may be a DataFrame with a
        users file's columns: user, category, t_start, t_end, f0, f1, ... ."""
        columns = [str(c) for c in events.columns]
        meta = []
        for c in columns:
            if c in _EVENT_COLUMNS:
                continue
            if c == "m%d" % len(meta):
                meta.append(c)
                continue
            _fail(source, c, "unknown column (expected user, time, type, stimulus, text, category, m0, m1, ...)")
        for c in ("user", "time", "type"):
            if c not in columns:
                _fail(source, c, "missing required column")
        get = {str(c): events[c] for c in events.columns}
        kwargs = {}
        for c in ("stimulus", "text", "category"):
            if c in get:
                kwargs[c] = get[c].to_numpy()
        if meta:
            kwargs["meta"] = np.column_stack([get[c].to_numpy(dtype=np.float64) for c in meta])
        return cls.from_events(get["user"].to_numpy(), get["time"].to_numpy(), get["type"].to_numpy(), users=users,
                               schema=schema, sort=sort, drop_invalid=drop_invalid,
                               require_categories=require_categories, source=source, **kwargs)

    @classmethod
    def from_sequences(cls, times, types=None, users=None, schema=None):
        """One list (or array) of times per user and, optionally, one of types (ids or names; all 0
        when omitted). Users are named "0", "1", ... unless `users` lists their ids."""
        if types is not None and len(types) != len(times):
            _fail("sequences", "type", "%d type lists for %d time lists" % (len(types), len(times)))
        ids = [str(u) for u in users] if users is not None else [str(i) for i in range(len(times))]
        if len(ids) != len(times):
            _fail("sequences", "user", "%d user ids for %d sequences" % (len(ids), len(times)))
        user_col, time_col, type_col = [], [], []
        for i, seq in enumerate(times):
            seq = list(seq)
            kinds = list(types[i]) if types is not None else [0] * len(seq)
            if len(kinds) != len(seq):
                _fail("sequences", "type", "sequence %d has %d times and %d types" % (i, len(seq), len(kinds)))
            user_col += [ids[i]] * len(seq)
            time_col += seq
            type_col += kinds
        return cls.from_events(user_col, time_col, np.asarray(type_col, dtype=object), schema=schema,
                               source="sequences")

    # -- views ---------------------------------------------------------------------------------
    def __len__(self):
        return len(self._native)

    def __getitem__(self, index):
        """Sequence `index` (or the user with that id): times, type ids, stimulus flags, window,
        category and features."""
        if isinstance(index, str):
            users = self._native.users
            if index not in users:
                raise KeyError(index)
            index = users.index(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._native.sequence(index)

    def __iter__(self):
        for i in range(len(self)):
            yield self._native.sequence(i)

    def __repr__(self):
        s = self.schema
        return "<tpp.Dataset: %d sequences, %d events, %d action types, %d stimulus types>" % (
            len(self), self.num_events, s["num_action_types"], s["num_stimulus_types"])

    @property
    def num_events(self):
        return self._native.num_events

    @property
    def num_actions(self):
        return self._native.num_actions

    @property
    def schema(self):
        return self._native.schema

    @property
    def time_scale(self):
        return self._native.time_scale

    @property
    def users(self):
        return self._native.users

    def summary(self):
        """What `tpp inspect` prints, as a dict."""
        return self._native.summary()

    def subset(self, indices):
        """The sequences at `indices` (same schema)."""
        return Dataset(self._native.subset([int(i) for i in indices]))

    def split(self, fractions, seed=0):
        """Users shuffled with `seed` and cut in consecutive parts of the given fractions (which sum
        to at most 1), e.g. train, dev, test = data.split([0.7, 0.15, 0.15])."""
        fractions = list(fractions)
        if any(f < 0 for f in fractions) or sum(fractions) > 1 + 1e-12:
            raise _tpp.Error("split: fractions must be non-negative and sum to at most 1")
        order = np.random.default_rng(seed).permutation(len(self))
        cuts = np.floor(np.cumsum([0.0] + fractions) * len(self) + 1e-9).astype(int)
        return [self.subset(sorted(order[a:b].tolist())) for a, b in zip(cuts[:-1], cuts[1:])]

    def to_columns(self):
        """The events as columns: user and type (names) lists, time array, and stimulus, text and
        meta ([events, d]) where the data has them."""
        return self._native.event_columns()

    def user_columns(self):
        """One row per sequence: user, category (if any), t_start, t_end, features ([users, f])."""
        return self._native.user_columns()

    def to_frame(self):
        """The events as a pandas DataFrame with an event log's columns; types are integers when
        the schema's names are the default ids, names otherwise."""
        import pandas as pd

        cols = self.to_columns()
        out = {"user": cols["user"], "time": cols["time"], "type": _type_column(cols, self.schema)}
        if "stimulus" in cols:
            out["stimulus"] = cols["stimulus"]
        if "text" in cols:
            out["text"] = cols["text"]
        if "meta" in cols:
            for j in range(cols["meta"].shape[1]):
                out["m%d" % j] = cols["meta"][:, j].astype(np.float64)
        return pd.DataFrame(out)

    def users_frame(self):
        """One row per user as in a users file: user, category, t_start, t_end, f0, f1, ... ."""
        import pandas as pd

        cols = self.user_columns()
        out = {"user": cols["user"]}
        if "category" in cols:
            out["category"] = cols["category"]
        out["t_start"] = cols["t_start"]
        out["t_end"] = cols["t_end"]
        if "features" in cols:
            for j in range(cols["features"].shape[1]):
                out["f%d" % j] = cols["features"][:, j].astype(np.float64)
        return pd.DataFrame(out)

    def write(self, path, format=None, users=None, schema=None):
        """Writes the events (format from the name unless given), optionally the users file and the
        schema JSON beside them. Returns what the format could not hold (as `tpp convert` notes)."""
        path = os.fspath(path)
        lost = self._native.lost_in_format(path, format or "", users is not None)
        self._native.write(path, format or "", os.fspath(users) if users else "", os.fspath(schema) if schema else "")
        return lost


def _type_column(cols, schema):
    names = list(schema["action_names"]) + list(schema["stimulus_names"])
    default = schema["action_names"] == [str(k) for k in range(schema["num_action_types"])] and \
        schema["stimulus_names"] == [str(k) for k in range(schema["num_stimulus_types"])]
    if default and names:
        return np.asarray([int(t) for t in cols["type"]], dtype=np.int64)
    return cols["type"]


def _user_columns(users):
    source = "users"
    if hasattr(users, "columns"):  # a DataFrame with a users file's columns
        columns = [str(c) for c in users.columns]
        features = []
        for c in columns:
            if c in _USER_COLUMNS:
                continue
            if c == "f%d" % len(features):
                features.append(c)
                continue
            _fail(source, c, "unknown column (expected user, category, t_start, t_end, f0, f1, ...)")
        if "user" not in columns:
            _fail(source, "user", "missing required column")
        get = {str(c): users[c].to_numpy() for c in users.columns}
        table = {c: get[c] for c in _USER_COLUMNS if c in get}
        if features:
            table["features"] = np.column_stack([get[c].astype(np.float64) for c in features])
    else:
        table = dict(users)
        for c in table:
            if c not in _USER_COLUMNS + ("features",):
                _fail(source, c, "unknown column (expected user, category, t_start, t_end, features)")
        if "user" not in table:
            _fail(source, "user", "missing required column")
    out = {"user": _ids(table["user"], source, "user")}
    if "category" in table:
        out["category"] = _texts(table["category"], source, "category")
    if ("t_start" in table) != ("t_end" in table):
        _fail(source, "t_end", "t_start and t_end go together")
    if "t_start" in table:
        out["t_start"] = _times(table["t_start"], source, "t_start")
        out["t_end"] = _times(table["t_end"], source, "t_end")
    if "features" in table:
        out["features"] = _matrix(table["features"], source, "features")
    return out


def as_dataset(data, schema=None):
    """A Dataset from a Dataset, a path, a DataFrame or a dict of event columns."""
    if data is None or isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return Dataset.read(data, schema=schema)
    if hasattr(data, "columns") and hasattr(data, "to_numpy"):
        return Dataset.from_frame(data, schema=schema)
    if isinstance(data, dict):
        return Dataset.from_events(schema=schema, **data)
    raise TypeError("expected a tpp.Dataset, a path, a pandas DataFrame or a dict of columns, got %s"
                    % type(data).__name__)
