#include "tpp/data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"

namespace tpp {

namespace {

std::vector<std::size_t> permutation(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  rng.shuffle(order);
  return order;
}

std::vector<std::size_t> sorted(std::vector<std::size_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::size_t rounded_share(std::size_t n, double fraction) {
  return std::min(n, static_cast<std::size_t>(std::llround(static_cast<double>(n) * fraction)));
}

}  // namespace

SplitIndices split_indices(std::size_t n, double train_fraction, double dev_fraction, std::uint64_t seed) {
  if (!(train_fraction >= 0 && train_fraction <= 1 && dev_fraction >= 0 && dev_fraction <= 1 &&
        train_fraction + dev_fraction <= 1 + 1e-12))
    throw Error("split fractions must lie in [0, 1] and sum to at most 1");
  auto order = permutation(n, seed);
  std::size_t n_train = rounded_share(n, train_fraction);
  std::size_t n_dev = std::min(n - n_train, rounded_share(n, dev_fraction));
  SplitIndices out;
  out.train = sorted({order.begin(), order.begin() + n_train});
  out.dev = sorted({order.begin() + n_train, order.begin() + n_train + n_dev});
  out.test = sorted({order.begin() + n_train + n_dev, order.end()});
  return out;
}

std::vector<SplitIndices> kfold_indices(std::size_t n, int folds, std::uint64_t seed) {
  if (folds < 2 || static_cast<std::size_t>(folds) > n)
    throw Error("k-fold needs 2 <= folds <= number of sequences (" + std::to_string(n) + ")");
  auto order = permutation(n, seed);
  std::vector<SplitIndices> out(folds);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t fold = i % static_cast<std::size_t>(folds);
    for (int f = 0; f < folds; ++f) (static_cast<std::size_t>(f) == fold ? out[f].test : out[f].train).push_back(order[i]);
  }
  for (auto& s : out) {
    s.train = sorted(std::move(s.train));
    s.test = sorted(std::move(s.test));
  }
  return out;
}

Dataset subset(const Dataset& data, const std::vector<std::size_t>& indices) {
  Dataset out;
  out.schema = data.schema;
  out.time_scale = data.time_scale;
  out.sequences.reserve(indices.size());
  for (auto i : indices) {
    if (i >= data.sequences.size()) throw Error("subset: sequence index " + std::to_string(i) + " out of range");
    out.sequences.push_back(data.sequences[i]);
  }
  return out;
}

DatasetSplit split_dataset(const Dataset& data, const SplitIndices& indices) {
  return {subset(data, indices.train), subset(data, indices.dev), subset(data, indices.test)};
}

DatasetSplit split_by_sequence(const Dataset& data, double train_fraction, double dev_fraction, std::uint64_t seed) {
  return split_dataset(data, split_indices(data.sequences.size(), train_fraction, dev_fraction, seed));
}

namespace {

Sequence prefix_of(const Sequence& seq, std::size_t m) {
  Sequence p = seq;
  p.events.resize(m);
  p.t_end = m > 0 ? p.events.back().time : p.t_start;
  p.first_target = 0;
  return p;
}

}  // namespace

DatasetSplit expert_split(const Dataset& data, const ExpertSplitOptions& options) {
  if (!(options.whole_user_fraction >= 0 && options.whole_user_fraction <= 1))
    throw Error("expert split: whole_user_fraction must lie in [0, 1]");
  if (!(options.train_event_fraction > 0 && options.train_event_fraction < 1))
    throw Error("expert split: train_event_fraction must lie in (0, 1)");
  const std::size_t n = data.sequences.size();
  auto order = permutation(n, options.seed);
  std::vector<bool> whole(n, false);
  std::size_t n_whole = rounded_share(n, options.whole_user_fraction);
  for (std::size_t i = 0; i < n_whole; ++i) whole[order[i]] = true;

  DatasetSplit out;
  for (Dataset* d : {&out.train, &out.dev, &out.test}) {
    d->schema = data.schema;
    d->time_scale = data.time_scale;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const Sequence& seq = data.sequences[i];
    const std::size_t len = seq.events.size();
    if (whole[i] || len < 2) {
      out.train.sequences.push_back(seq);
      out.train.sequences.back().first_target = 0;
      continue;
    }
    auto m = static_cast<std::size_t>(std::llround(static_cast<double>(len) * options.train_event_fraction));
    m = std::clamp<std::size_t>(m, 1, len - 1);
    out.train.sequences.push_back(prefix_of(seq, m));
    out.test.sequences.push_back(seq);
    out.test.sequences.back().first_target = m;
  }
  return out;
}

Dataset history_prefix(const Dataset& data) {
  Dataset out;
  out.schema = data.schema;
  out.time_scale = data.time_scale;
  for (const auto& seq : data.sequences)
    out.sequences.push_back(prefix_of(seq, std::min(seq.first_target, seq.events.size())));
  return out;
}

TargetMasks target_masks(const Dataset& data, const std::vector<std::size_t>& indices, int64_t max_length) {
  const auto B = static_cast<int64_t>(indices.size());
  auto opts = torch::TensorOptions().dtype(torch::kBool);
  TargetMasks masks{torch::zeros({B, max_length}, opts), torch::zeros({B, max_length + 1}, opts)};
  auto ev = masks.events.accessor<bool, 2>();
  auto iv = masks.intervals.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const Sequence& seq = data.sequences.at(indices[b]);
    const auto len = static_cast<int64_t>(seq.events.size());
    if (len > max_length) throw Error("target_masks: sequence longer than max_length");
    const auto first = static_cast<int64_t>(seq.first_target);
    for (int64_t i = first; i < len; ++i) ev[b][i] = true;
    for (int64_t i = first; i <= len; ++i) iv[b][i] = true;
  }
  return masks;
}

TimeScale fit_time_scale(const Dataset& data, double upper) {
  if (!(upper > 0) || !std::isfinite(upper)) throw Error("time scale: upper bound must be positive");
  if (data.sequences.empty()) throw Error("time scale: no sequences to fit");
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : data.sequences) {
    lo = std::min(lo, s.t_start);
    hi = std::max(hi, s.t_end);
  }
  TimeScale scale;
  scale.offset = lo;
  scale.scale = hi > lo ? upper / (hi - lo) : 1.0;
  return scale;
}

TimeScale time_scale_factor(double factor) {
  if (!(factor > 0) || !std::isfinite(factor)) throw Error("time scale: factor must be positive and finite");
  TimeScale scale;
  scale.scale = factor;
  return scale;
}

}  // namespace tpp
