"""Models: fit, evaluate, predict, intensities, sampling, per-user states, saved files."""
import math
import os

from . import _tpp
from ._data import Dataset, as_dataset

def _native(data, schema=None):
    ds = as_dataset(data, schema)
    return None if ds is None else ds._native


class Model:
    """A point process model by registry name and config keys, e.g.
    tpp.Model("thp", d_model=32) or tpp.Model("hawkes", mu=[0.2, 0.1], alpha=[[0.3, 0.1], [0.1, 0.3]], beta=1.5).

    device ("cpu", "cuda"), dtype ("float64", "float32"), threads (0: all cores) and seed (the
    training seed when fit() gives none) travel with it, as the CLI's common options do, with the
    CLI's defaults: the same config and data train the same model here and in `tpp train`.
    """

    def __init__(self, name, *, device="cpu", dtype="float64", threads=0, seed=0, **config):
        self._device, self._dtype, self._threads = device, dtype, threads
        self._m = _tpp._Model(dict(model=name, **config), device, dtype, threads, seed)

    @classmethod
    def _wrap(cls, native, device, dtype, threads):
        self = cls.__new__(cls)
        self._device, self._dtype, self._threads = device, dtype, threads
        self._m = native
        return self

    @classmethod
    def load(cls, path, device="cpu", dtype="float64", threads=0):
        """A model file written by tpp train, Model.save or tpp.save."""
        return cls._wrap(_tpp._Model.load(os.fspath(path), device, dtype, threads), device, dtype, threads)

    def __repr__(self):
        state = "fitted" if self.fitted else "not fitted"
        return "<tpp.Model %s (%s)>" % (self.name, state)

    # -- properties --------------------------------------------------------------------------
    @property
    def name(self):
        return self._m.name

    @property
    def config(self):
        """The model config (the saved one, with fitted text featuriser, once fitted)."""
        return self._m.config

    @property
    def fitted(self):
        return self._m.fitted

    @property
    def schema(self):
        return self._m.schema

    @property
    def time_scale(self):
        return self._m.time_scale

    @property
    def types(self):
        """Action type names, in id order (None before fitting)."""
        s = self.schema
        return None if s is None else list(s["action_names"])

    @property
    def history(self):
        """Per-epoch records of the last fit(): epoch, loss, dev_ll_per_event, events_per_second, ..."""
        return self._m.history

    @property
    def summary(self):
        """epochs, best_epoch, best_dev_ll_per_event, stopped_early of the last fit()."""
        return self._m.summary

    @property
    def num_parameters(self):
        return self._m.num_parameters

    # -- training ----------------------------------------------------------------------------
    def fit(self, train, dev=None, *, callback=None, output=None, resume=False, time_scale="auto", schema=None,
            verbose=False, **train_keys):
        """Fits on `train` (a Dataset, path, DataFrame or dict of columns), early-stopping on `dev`.

        Keyword arguments are the config's "train" keys (epochs, lr, batch_size, optimizer,
        patience, iptw={...}, ...). `callback(record)` is called after every epoch with a dict
        (epoch, loss, dev_ll_per_event, events_per_second, seconds, improved); an exception it
        raises stops training and propagates. `output`: the model file, checkpointed every epoch
        (resume=True continues a killed run). Returns self; the records are in .history.
        """
        # The library checks the keys (TrainConfig's declared fields), so none is listed here twice.
        config = {key: value for key, value in train_keys.items() if value is not None}
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable")
        self._m.fit(_native(train, schema), _native(dev, schema), config, os.fspath(output) if output else "",
                    resume, str(time_scale), callback, verbose)
        return self

    # -- prediction --------------------------------------------------------------------------
    def evaluate(self, data, top_k=5, target_fraction=1.0, tolerance=1e-10, batch_size=64, predictor="intensity"):
        """LL/event, time RMSE (mean) and MAE (median) in file units, type and top-k accuracy: the
        dict `tpp evaluate --json` prints. predictor="heads" takes the time and type metrics from
        THP's or ExPERT's heads instead of the intensity (docs/expert.md)."""
        return self._m.evaluate(_native(data), top_k, batch_size, target_fraction, tolerance, _where(data), predictor)

    def predict(self, data, top_k=3, target_fraction=1.0, tolerance=1e-10, batch_size=64, as_frame=True):
        """One row per scored event (the rows of `tpp predict`): user, index, time, type,
        predicted_time, median_time, predicted_type, converged, top_k_type, top_k_probability.
        A DataFrame, or with as_frame=False a dict of numpy arrays (top_k_probability [N, k])."""
        cols = self._m.predict(_native(data), top_k, batch_size, target_fraction, tolerance, _where(data))
        if not as_frame:
            import numpy as np

            cols["top_k_type"] = np.asarray(cols["top_k_type"], dtype=object).reshape(len(cols["time"]), -1)
            return cols
        import pandas as pd

        frame = pd.DataFrame({k: v for k, v in cols.items() if k not in ("top_k_type", "top_k_probability")})
        frame["top_k_type"] = cols["top_k_type"]
        frame["top_k_probability"] = [list(row) for row in cols["top_k_probability"]]
        return frame

    def intensity(self, data, points=200, user=None, batch_size=64):
        """λ_k(t) over each sequence's window: a list of dicts (user, time [G], intensity [G, K],
        types), rates per file time unit; with `user` (id or index) that sequence's dict alone. The
        grid is uniform plus both one-sided limits at every event, so jumps show."""
        ds = as_dataset(data)
        if user is not None:
            idx = ds.users.index(user) if isinstance(user, str) else int(user)
            ds = ds.subset([idx])
        curves = self._m.intensity(ds._native, points, batch_size, _where(data))
        return curves[0] if user is not None else curves

    def intensity_plot(self, data, user=None, points=200, svg=None):
        """One sequence's per-type intensity with its events (what `tpp predict --plot` draws):
        dict with time, intensity [S, K], types, event_time, event_type, event_stimulus, title.
        With `svg`, the library's SVG is written there too."""
        return self._m.intensity_plot(_native(data), user, points, os.fspath(svg) if svg else "", _where(data))

    def intensity_error(self, data, truth, points=1000, batch_size=64):
        """Mean |λ_true − λ̂| per window against a ground truth (a model config dict, a saved model
        path or a truth JSON file, as `tpp evaluate --intensity-mae --truth`)."""
        if isinstance(truth, os.PathLike):
            truth = os.fspath(truth)
        return self._m.intensity_error(_native(data), truth, points, batch_size, _where(data))

    # -- sampling ----------------------------------------------------------------------------
    def sample(self, num_sequences, horizon, seed=0, generic_sampler=False, num_types=0):
        """Sequences on [0, horizon] file time units by thinning; sequence i is drawn from its own
        stream of `seed`. An unfitted model samples with its config's parameters (num_types sizes
        it when the config does not)."""
        return Dataset(self._m.sample(int(num_sequences), float(horizon), int(seed), generic_sampler, int(num_types)))

    def sample_next(self, data, user=None, num_events=1, num_samples=100, horizon=math.inf, seed=0):
        """The next `num_events` actions after a user's history, sampled `num_samples` times within
        `horizon` file time units after its window end (the thinning bound needs a finite window):
        dict with samples (time, type per sample), mean_time [n], type_frequency [n, K], reached [n]."""
        return self._m.sample_next(_native(data), user, num_events, num_samples, float(horizon), int(seed),
                                   _where(data))

    # -- online --------------------------------------------------------------------------------
    def state(self, data=None, user=None, t_start=None, features=None):
        """A user's incremental state: from their events (a Dataset, DataFrame or path with one user,
        or several and `user` naming one), or empty from `t_start`. It observes one event at a time
        (.observe(time, type, stimulus=False)) and predicts in file units (.predict(as_of=None),
        .intensity(times)), as the batched predictor would on the same history."""
        return self._m.state(_native(data) if data is not None else None, user, t_start, features,
                             _where(data) if data is not None else "")

    def save(self, path):
        """Writes the model file (atomically), loadable by tpp.load and the CLI."""
        self._m.save(os.fspath(path))


def _where(data):
    """Names the data in error messages: its path when it is a file."""
    return os.fspath(data) if isinstance(data, (str, os.PathLike)) else ""


def load(path, device="cpu", dtype="float64", threads=0):
    """A saved model (tpp train -o, Model.save)."""
    return Model.load(path, device, dtype, threads)


def save(model, path):
    """Writes `model` to `path` (the CLI's model file format)."""
    model.save(path)
