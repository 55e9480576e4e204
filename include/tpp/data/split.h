#pragma once
// Train/dev/test splits (by sequence, k-fold, ExPERT's protocol) and time rescaling.
//
// ExPERT's protocol keeps each test event's full history: a test sequence is the user's whole
// sequence with Sequence::first_target = m, where events [0, m) went to train (as a separate
// prefix sequence with window [t_start, t_{m-1}]) and events [m, n) are the targets. Its target
// log-likelihood is the sum over intervals i >= m (see data/batch.h): Σ_{actions i >= m} log λ(t_i)
// − ∫_{t_{m-1}}^{t_end} Σ_k λ_k dt. Two equivalent ways to honour it:
//   * any model, no new code: LL_target = log_likelihood(full) − log_likelihood(history_prefix(full)),
//     exact because the intensity on an interval depends only on earlier events (the prefix's
//     intervals are the full sequence's intervals < m, and its last interval has zero length);
//   * per-interval terms: keep event terms where target_masks().events and integral terms where
//     target_masks().intervals are true. Metrics (next-event time/type) keep events where
//     target_masks().events & batch.action_mask.
// With first_target = 0 (every reader and the other splits) both reduce to the usual likelihood.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "tpp/data/dataset.h"

namespace tpp {

struct SplitIndices {
  std::vector<std::size_t> train, dev, test;  // each sorted ascending (dataset order)
};

// Seeded shuffle of the n sequences; round(n·train_fraction) to train, round(n·dev_fraction) to
// dev, the rest to test. Fractions in [0, 1] with sum <= 1 (tpp::Error otherwise).
SplitIndices split_indices(std::size_t n, double train_fraction, double dev_fraction, std::uint64_t seed);
// k folds of a seeded permutation (sizes differ by at most one); fold f has test = fold f and
// train = the other folds, dev empty. 2 <= folds <= n.
std::vector<SplitIndices> kfold_indices(std::size_t n, int folds, std::uint64_t seed);

// The listed sequences, in the listed order, with the same schema and time scale.
Dataset subset(const Dataset& data, const std::vector<std::size_t>& indices);

struct DatasetSplit {
  Dataset train, dev, test;
};
DatasetSplit split_dataset(const Dataset& data, const SplitIndices& indices);
DatasetSplit split_by_sequence(const Dataset& data, double train_fraction, double dev_fraction, std::uint64_t seed);

struct ExpertSplitOptions {
  double whole_user_fraction{0.5};   // users kept whole in train
  double train_event_fraction{0.7};  // share of the other users' first events that go to train
  std::uint64_t seed{0};
};
// Seeded ExPERT split (dev empty). A split user with n events gives train the prefix of
// m = clamp(round(n·train_event_fraction), 1, n−1) events and test the whole sequence with
// first_target = m. Users with fewer than 2 events cannot be split and go whole to train.
// Train and test each keep dataset order.
DatasetSplit expert_split(const Dataset& data, const ExpertSplitOptions& options = {});

// Each sequence cut to its history: events [0, first_target), window [t_start, t_{first_target−1}]
// (t_start when first_target = 0), first_target reset to 0.
Dataset history_prefix(const Dataset& data);

// Which events and intervals of make_batch(data, indices, ...) are targets: events [B, L] true for
// real events i >= first_target; intervals [B, L+1] true for i >= first_target up to the last
// real interval (i <= n). Bool tensors on the CPU; max_length >= the longest selected sequence.
struct TargetMasks {
  torch::Tensor events;
  torch::Tensor intervals;
};
TargetMasks target_masks(const Dataset& data, const std::vector<std::size_t>& indices, int64_t max_length);

// ExPERT's rescaling: maps [min t_start, max t_end] over all sequences onto [0, upper]
// (scale 1 when that span is zero). Assign the result to Dataset::time_scale; event times stay in
// file units and make_batch applies it, TimeScale::to_file undoes it.
TimeScale fit_time_scale(const Dataset& data, double upper = 100.0);
// A fixed factor: t_model = t_file · factor (factor > 0).
TimeScale time_scale_factor(double factor);

}  // namespace tpp
