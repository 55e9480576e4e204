#!/usr/bin/env python3
"""Markdown tables of the ExPERT synthetic experiments from run.sh's results folder: every number is
the mean over the seeds found, ± the sample standard deviation, with the seed count; a difference
is the mean of the per-seed (paired) differences, ± their standard deviation, and "wins" counts the
seeds where ExPERT is ahead. "thp_blind" is THP trained and scored on the actions alone (the paper's
baseline, which knows no stimuli); "thp" is THP given the stimuli as events."""
import glob
import json
import math
import os
import re
import sys


def load(out, name, label, seed, predictor):
    path = os.path.join(out, "results", f"{name}_{label}_s{seed}_{predictor}.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError:  # still being written
        return None


def seeds(out, name, label):
    found = set()
    for p in glob.glob(os.path.join(out, "results", f"{name}_{label}_s*_intensity.json")):
        m = re.search(r"_s(\d+)_intensity\.json$", p)
        if m:
            found.add(int(m.group(1)))
    return sorted(found)


def mean_sd(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return None, None, 0
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else float("nan")
    return m, sd, len(values)


def cell(values, digits=4):
    m, sd, n = mean_sd(values)
    if m is None:
        return "–"
    return f"{m:.{digits}f} ± {sd:.{digits}f}" if n > 1 else f"{m:.{digits}f}"


def metric(out, name, label, key, predictor="intensity"):
    return {s: r[key] for s in seeds(out, name, label) if (r := load(out, name, label, s, predictor))}


def paired(a, b):
    common = sorted(set(a) & set(b))
    return [b[s] - a[s] for s in common]


def sweep(out, prefix, key_name):
    names = sorted({re.sub(r"_(thp|thp_blind|expert)_s\d+_intensity\.json$", "", os.path.basename(p))
                    for p in glob.glob(os.path.join(out, "results", prefix + "*_intensity.json"))},
                   key=lambda n: float(n[len(prefix):]))
    if not names:
        return
    print(f"| {key_name} | THP, actions only | THP, with stimuli | ExPERT | ExPERT − THP (actions only) | wins | "
          "ExPERT − THP (with stimuli) | wins |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        ll = lambda label: metric(out, name, label, "target_log_likelihood_per_event")
        blind, thp, expert = ll("thp_blind"), ll("thp"), ll("expert")
        row = f"| {name[len(prefix):]} | {cell(list(blind.values()))} | {cell(list(thp.values()))} | "
        row += f"{cell(list(expert.values()))} |"
        for base in (blind, thp):
            diff = paired(base, expert)
            row += f" {cell(diff)} | {sum(d > 0 for d in diff)}/{len(diff)} |"
        print(row)
    print()


def sweep_svg(out, prefix, key_name, path):
    """Mean ± sd of the test-part LL per action against the swept value, one line per model."""
    names = sorted({re.sub(r"_(thp|thp_blind|expert)_s\d+_intensity\.json$", "", os.path.basename(p))
                    for p in glob.glob(os.path.join(out, "results", prefix + "*_intensity.json"))},
                   key=lambda n: float(n[len(prefix):]))
    if not names:
        return
    series = {}
    for label, colour in (("thp_blind", "#888888"), ("thp", "#1f77b4"), ("expert", "#d62728")):
        points = []
        for name in names:
            m, sd, n = mean_sd(list(metric(out, name, label, "target_log_likelihood_per_event").values()))
            if m is not None:
                points.append((float(name[len(prefix):]), m, 0.0 if n < 2 else sd))
        series[label] = (colour, points)
    xs = [p[0] for _, pts in series.values() for p in pts]
    ys = [v for _, pts in series.values() for p in pts for v in (p[1] - p[2], p[1] + p[2])]
    if not xs:
        return
    W, H, L, R, T, B = 520, 340, 70, 20, 20, 50
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1
    px = lambda x: L + (x - x0) / (x1 - x0) * (W - L - R)
    py = lambda y: H - B - (y - y0) / (y1 - y0) * (H - T - B)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
           f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">{key_name}</text>',
           f'<text x="14" y="{(T + H - B) / 2}" transform="rotate(-90 14 {(T + H - B) / 2})" '
           'text-anchor="middle">test LL per action (nats), mean ± sd over seeds</text>']
    for x in sorted(set(xs)):
        svg.append(f'<text x="{px(x):.1f}" y="{H - B + 16}" text-anchor="middle">{x:g}</text>')
    for i in range(5):
        y = y0 + (y1 - y0) * i / 4
        svg.append(f'<text x="{L - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
    for k, (label, (colour, pts)) in enumerate(series.items()):
        if not pts:
            continue
        svg.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="' +
                   " ".join(f"{px(x):.1f},{py(m):.1f}" for x, m, _ in pts) + '"/>')
        for x, m, sd in pts:
            svg.append(f'<line x1="{px(x):.1f}" y1="{py(m - sd):.1f}" x2="{px(x):.1f}" y2="{py(m + sd):.1f}" '
                       f'stroke="{colour}"/>')
        svg.append(f'<text x="{L + 10}" y="{T + 14 + 16 * k}" fill="{colour}">'
                   f'{ {"thp_blind": "THP, actions only", "thp": "THP, with stimuli", "expert": "ExPERT"}[label] }</text>')
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


def prediction_rows(out, name, labels):
    print("| model | LL/action (test part) | time RMSE, intensity | time RMSE, heads (time model) | "
          "type accuracy, intensity | type accuracy, heads | seeds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label in labels:
        ll = metric(out, name, label, "target_log_likelihood_per_event")
        if not ll:
            continue
        rmse_i = metric(out, name, label, "time_rmse")
        rmse_h = metric(out, name, label + "_time", "time_rmse", "heads")
        acc_i = metric(out, name, label, "type_accuracy")
        acc_h = metric(out, name, label, "type_accuracy", "heads")
        print(f"| {label} | {cell(list(ll.values()))} | {cell(list(rmse_i.values()))} | "
              f"{cell(list(rmse_h.values()))} | {cell(list(acc_i.values()))} | {cell(list(acc_h.values()))} | "
              f"{len(ll)} |")
    print()


def main(out):
    print("## Count of stimuli (paper Fig. 5a): test-part predictive log-likelihood per action (nats)\n")
    sweep(out, "count_K", "K")
    sweep_svg(out, "count_K", "K, number of stimuli", os.path.join(out, "fig5a_stimulus_count.svg"))
    print("## Impact of self-excitation (paper Fig. 5b): test-part predictive log-likelihood per action (nats)\n")
    sweep(out, "selfexc_a", "α")
    sweep_svg(out, "selfexc_a", "α, self-excitation", os.path.join(out, "fig5b_self_excitation.svg"))
    if seeds(out, "complex", "thp"):
        print("## Complex stimuli (paper: time RMSE ExPERT 0.4821, THP 0.5845)\n")
        prediction_rows(out, "complex", ["thp_blind", "thp", "expert"])
    if seeds(out, "shop", "thp"):
        print("## E-commerce coupons: ablation (paper Table 3 layout); times in days\n")
        prediction_rows(out, "shop", ["thp_blind", "thp", "p_user", "ext", "ext_p_user", "ext_p_user_cm", "full",
                                      "full_query_mask"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/experiments/expert")
