#pragma once
// Padded tensors for a group of sequences. Times are relative to each sequence's t_start, in the
// dataset's model units, so absolute clock values (e.g. Unix seconds) never reach float arithmetic.
//
// Intervals: a sequence with n events has n+1 intervals. Interval i (0 <= i <= n) runs from the
// previous event (t_start for i = 0) to event i (to t_end for i = n) and is conditioned on events
// < i. Padded positions have zero-length intervals, so they add nothing to integrals.
#include <torch/torch.h>

#include <vector>

#include "tpp/core/context.h"
#include "tpp/data/dataset.h"

namespace tpp {

struct Batch {
  torch::Tensor time;         // [B, L]   event time − t_start; padding = t_end − t_start
  torch::Tensor dtime;        // [B, L]   gap to the previous event (event 0: time − t_start); padding 0
  torch::Tensor span;         // [B, L+1] interval lengths (see above); 0 beyond the last interval
  torch::Tensor t_end;        // [B]      t_end − t_start
  torch::Tensor type;         // [B, L]   long: action type k, stimulus type s as K + s; padding 0
  torch::Tensor is_stimulus;  // [B, L]   bool
  torch::Tensor mask;         // [B, L]   bool, real event
  torch::Tensor action_mask;  // [B, L]   bool, real user action after t_start (the likelihood's events;
                              //          an action at t_start has no interval and only conditions)
  torch::Tensor length;       // [B]      long, number of events
  torch::Tensor category;     // [B]      long, -1 unknown
  torch::Tensor weight;       // [B, L+1] per-interval loss weight (IPTW): interval i's compensator and
                              //          the event closing it; 1 by default, 0 beyond the last interval
  torch::Tensor sequence_id;  // [B]      long, index of the sequence in its dataset (seeds its Monte Carlo nodes)
  torch::Tensor user_features;  // [B, F_u] or undefined when the schema has none
  torch::Tensor event_meta;     // [B, L, F_e] or undefined
  // [B, L] bool or undefined: the events whose prediction is scored (e.g. ExPERT's last 30% of a
  // test user's events, each predicted from its full history). Undefined means action_mask.
  torch::Tensor target_mask;
  int num_action_types{0};
  int num_stimulus_types{0};

  int64_t batch_size() const { return time.size(0); }
  int64_t max_length() const { return time.size(1); }
  // Scored events: target_mask ∧ action_mask, or action_mask when target_mask is undefined.
  torch::Tensor targets() const;
  Batch to(const Context& ctx) const;
  // Sequences b in [begin, end) of this batch, trimmed to their own longest length.
  Batch slice(int64_t begin, int64_t end) const;
};

// Pads the given sequences of `data` into one batch (dtype/device from ctx).
Batch make_batch(const Dataset& data, const std::vector<std::size_t>& indices, const Context& ctx);
Batch make_batch(const Dataset& data, const Context& ctx);  // all sequences
// One batch per group of batch_size sequences; shuffled with `seed` when shuffle is true.
std::vector<std::vector<std::size_t>> batch_indices(std::size_t n, std::size_t batch_size, bool shuffle,
                                                    std::uint64_t seed);
// Evaluation batches: the sequences in order of length (stable), cut into batches, so each pads
// little. For sums over a data set, where order does not matter.
std::vector<std::vector<std::size_t>> length_sorted_batch_indices(const Dataset& data, std::size_t batch_size);
// Training batches of similar lengths, so padding does not dominate: the sequences are shuffled
// with `seed`, each run of `window` batches' worth of them is sorted by length (stable) and cut
// into batches, and the batches are shuffled. window <= 1 is batch_indices(n, batch_size, true, seed).
std::vector<std::vector<std::size_t>> bucketed_batch_indices(const std::vector<std::size_t>& lengths,
                                                             std::size_t batch_size, std::size_t window,
                                                             std::uint64_t seed);

}  // namespace tpp
