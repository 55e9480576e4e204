"""tpp: marked temporal point processes (classical and neural models, simulation, prediction).

The Python face of the tpp library; each CLI verb has a function or method here:

    inspect  -> tpp.inspect(path)                convert -> tpp.convert(src, dst)
    train    -> tpp.Model(name, **config).fit(train, dev, epochs=...)
    evaluate -> model.evaluate(data)             predict -> model.predict(data), model.intensity(data)
    simulate -> tpp.simulate(config, ...)        generate -> tpp.generate(process, ...)

Data comes from files (tpp.read), Python lists and numpy arrays (Dataset.from_events,
Dataset.from_sequences) and pandas DataFrames (Dataset.from_frame); errors are tpp.Error (a
ValueError), bad data tpp.DataError with the library's "file:line: field: reason" message.
See docs/python.md.
"""
import os

from . import _tpp
from ._data import Dataset
from ._model import Model, load, save
from ._tpp import DataError, Error, State, __version__

__all__ = ["Dataset", "Model", "State", "Error", "DataError", "read", "load", "save", "simulate", "generate",
           "convert", "inspect", "models", "model_keys", "processes", "__version__"]


def read(path, schema=None, format=None, users=None, drop_invalid=False, sort=False, split=None):
    """Reads a data file: CSV/JSONL event log (with X.users.* and X.schema.json beside it), EasyTPP
    JSON, or an RMTPP time/event pair (either file). See Dataset.read."""
    return Dataset.read(path, schema=schema, format=format, users=users, drop_invalid=drop_invalid, sort=sort,
                        split=split)


def models():
    """The registered model names."""
    return list(_tpp.model_names())


def model_keys(name):
    """A model's config keys: key, value, default, doc (the docs' key tables)."""
    return list(_tpp.model_keys(name))


def processes():
    """The ground-truth generators tpp.generate knows."""
    return list(_tpp.process_names())


def simulate(config, num_sequences=1, horizon=1.0, seed=0, num_types=0, generic_sampler=False, output=None,
             device="cpu", dtype="float64"):
    """Sequences on [0, horizon] drawn by thinning from a model: a config dict ({"model": "hawkes",
    "mu": [...], ...}, as `tpp simulate --config`), a model name (default parameters), or a fitted
    or loaded tpp.Model. With `output`, writes X.jsonl with X.users.jsonl (windows) and
    X.schema.json beside it, as the CLI does."""
    if isinstance(config, Model):
        model = config
    else:
        config = dict({"model": config} if isinstance(config, str) else config)
        if "model" not in config:
            raise Error('simulate: the config needs a "model" key')
        # "num_types" and "action_names" size the simulated schema (as `tpp simulate --config`);
        # the library takes them out before it builds the model.
        model = Model(config.pop("model"), device=device, dtype=dtype, **config)
    data = model.sample(num_sequences, horizon, seed=seed, generic_sampler=generic_sampler, num_types=num_types)
    if output is not None:
        output = os.fspath(output)
        stem = os.path.splitext(output)[0]
        data.write(output, format="jsonl", users=stem + ".users.jsonl", schema=stem + ".schema.json")
    return data


def generate(process, n_seq=500, seed=0, output=None, config=None, **params):
    """A synthetic dataset from a ground-truth stimulus process (`tpp generate`): returns the
    Dataset and a dict with the full config, per-sequence truth, counts and the oracle
    log-likelihood per action. Keyword arguments override config keys; with `output` the events,
    users, schema and truth files are written as the CLI writes them."""
    cfg = dict(config or {})
    cfg.update(params)
    native, info = _tpp._generate(process, cfg, int(n_seq), int(seed), os.fspath(output) if output else "")
    return Dataset(native), info


def convert(input, output, format=None, to=None, users=None, schema=None, users_out=None, schema_out=None,
            drop_invalid=False, sort=False, split=None):
    """Translates event data between formats (`tpp convert`); returns the summary dict with what
    the target format could not hold ("lost") and what drop_invalid skipped."""
    native, report = _tpp._read_dataset(os.fspath(input), format or "", os.fspath(users) if users else "", schema,
                                        drop_invalid, sort, split or "")
    data = Dataset(native)
    lost = data.write(output, format=to, users=users_out, schema=schema_out)
    return {"input": os.fspath(input), "output": os.fspath(output), "sequences": len(data),
            "events": data.num_events, "rows_dropped": report["rows"], "sequences_dropped": report["sequences"],
            "lost": list(lost), "dropped": report["reasons"]}


def inspect(path, format=None, users=None, schema=None, drop_invalid=False, sort=False, split=None):
    """Counts, types, sequence lengths, gaps and windows of a data file (`tpp inspect --json`)."""
    native, report = _tpp._read_dataset(os.fspath(path), format or "", os.fspath(users) if users else "", schema,
                                        drop_invalid, sort, split or "")
    out = native.summary()
    out["dropped"] = report
    return out
