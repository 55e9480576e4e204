#!/usr/bin/env python3
"""From a CSV of user events to a plot of one user's predicted intensity (docs/python.md).

    PYTHONPATH=build/python python3 examples/python_intensity.py --out out/example

reads a CSV event log (user,time,type; by default MIMIC-II fold 1 from data/mimic2, written as CSV
first), splits its users into train/dev/test, fits a Transformer Hawkes model, evaluates it,
predicts every test event, follows one test user online with an incremental state, and plots that
user's per-type intensity with matplotlib into <out>/intensity.png.
"""
import argparse
import os
import pathlib
import time

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import tpp  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="event log with columns user,time,type (default: MIMIC-II fold 1)")
    parser.add_argument("--out", default="out/example", help="folder for the CSV, model and plot")
    parser.add_argument("--model", default="thp")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # 1. A CSV of user events. Any export with user, time and type columns works; here the shipped
    #    MIMIC-II fold (RMTPP text) is written as one, as a database export would be.
    csv = pathlib.Path(args.csv) if args.csv else out / "events.csv"
    if not args.csv:
        tpp.convert(ROOT / "data/mimic2/time-1-train.txt", csv)
    events = pd.read_csv(csv)
    print(f"{csv}: {len(events)} events of {events['user'].nunique()} users")

    # 2. Into tpp, and users split 80/10/10 (whole users in each part).
    data = tpp.Dataset.from_frame(events)
    train, dev, test = data.split([0.8, 0.1, 0.1], seed=args.seed)
    print(data, "->", len(train), "train,", len(dev), "dev,", len(test), "test users")

    # 3. Fit, with a line per epoch from the callback.
    def progress(r):
        print(f"  epoch {r['epoch']:>2}  loss {r['loss']:.4f}  dev LL/event {r['dev_ll_per_event']:.4f}"
              f"  {r['events_per_second']:.0f} events/s")

    began = time.perf_counter()
    model = tpp.Model(args.model, d_model=32, seed=args.seed).fit(train, dev, epochs=args.epochs, lr=0.003,
                                                                   callback=progress)
    print(f"fitted {model} in {time.perf_counter() - began:.1f} s; best epoch {model.summary['best_epoch']}")
    model.save(out / "model.tpp")

    # 4. Metrics and per-event predictions on the held-out users.
    metrics = model.evaluate(test)
    print("test: LL/event {log_likelihood_per_event:.4f}  time RMSE {time_rmse:.4f}  "
          "type accuracy {type_accuracy:.3f}".format(**metrics))
    predictions = model.predict(test)
    predictions.to_csv(out / "predictions.csv", index=False)
    print(predictions[["user", "time", "predicted_time", "type", "predicted_type"]].head())

    # 5. One user (the longest test sequence): the intensity over the window, and the next event
    #    from an incremental state as new events arrive.
    lengths = [len(s["time"]) for s in test]
    user = test.users[int(np.argmax(lengths))]
    curve = model.intensity(test, user=user, points=400)
    seq = test[user]
    state = model.state(test, user=user)
    nxt = state.predict()
    print(f"user {user}: next event expected at {nxt['predicted_time']:.3f} "
          f"(type {nxt['predicted_type']}, p={nxt['type_probability'][nxt['predicted_type']]:.2f})")

    # 6. The plot: the three types with the most intensity mass, the total, and the user's events.
    lam = curve["intensity"]
    t = curve["time"]
    mass = np.trapz(lam, t, axis=0)
    top = np.argsort(mass)[::-1][:3]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(t, lam.sum(axis=1), color="black", lw=1, label="total")
    for k in top:
        ax.plot(t, lam[:, k], lw=1.2, label=f"type {curve['types'][k]}")
    ax.plot(seq["time"], np.zeros_like(seq["time"]), "|", color="red", ms=14, label="events")
    ax.axvline(nxt["predicted_time"], color="grey", ls="--", lw=1, label="predicted next")
    ax.set_xlabel("time")
    ax.set_ylabel("intensity (events per time unit)")
    ax.set_title(f"{model.name}: predicted intensity of user {user}")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    png = out / "intensity.png"
    fig.savefig(png, dpi=120)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
