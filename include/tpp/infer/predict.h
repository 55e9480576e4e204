#pragma once
// Next-event prediction and intensity curves for any Model, batched over every interval of a
// batch at once. Entry i of a [B, L+1] result predicts event i from interval i, i.e. from the
// history before it (data/batch.h); times are elapsed from the interval's start, in model units.
// Definitions, horizon rule and tolerances: docs/prediction.md.
#include <torch/torch.h>

#include <cstdint>

#include "tpp/models/model.h"

namespace tpp {

struct PredictOptions {
  // The quadrature horizon H of each interval grows until S(H) = exp(−Λ(H)) < survival_tolerance.
  double survival_tolerance{1e-10};
  // Panels double until E[τ] and every type mass change by less than this (relative); raised to
  // 100 machine epsilons of the history's dtype.
  double relative_tolerance{1e-10};
  int panel_nodes{16};    // Gauss–Legendre nodes per panel
  int max_panels{2048};   // per interval, final pass
  // A batch settles together, so one hard interval would make every row refine with it: batches
  // stop at this many panels, and only rows left unconverged are redone alone up to max_panels.
  int batch_panels{64};
  int max_horizon_steps{80};
  int top_k{1};
  bool median{true};
  // Intensity evaluations (B·(L+1)·S·K) per model call; larger passes are split over panels, and
  // a batch whose single panel exceeds it (many types) over groups of rows. 2²¹ float64 values are
  // 16 MiB, below the allocator's 32 MiB mapping threshold (core/allocator.h), so chunks reuse
  // heap blocks instead of faulting in fresh pages on every pass.
  std::int64_t max_chunk_elements{std::int64_t{1} << 21};
  // Use the model's closed-form next-event law (Model::next_event_law) when it has one; false
  // forces the quadrature route (to check one against the other).
  bool closed_form{true};
};

struct NextEventPrediction {
  torch::Tensor expected_time;      // [B, L+1] E[τ] = ∫_0^∞ S(s) ds
  torch::Tensor median_time;        // [B, L+1] S(m) = 1/2; undefined unless options.median
  torch::Tensor type_probability;   // [B, L+1, K] ∫ λ_k S ds, normalised over k
  torch::Tensor predicted_type;     // [B, L+1] long, argmax_k of type_probability
  torch::Tensor top_k_type;         // [B, L+1, k] long, most probable first
  torch::Tensor top_k_probability;  // [B, L+1, k]
  torch::Tensor horizon;            // [B, L+1] H with S(H) < survival_tolerance
  torch::Tensor converged;          // [B, L+1] bool: horizon and panel tolerances both met
  // [B, L+1] S(∞) where the intensity dies out (no next event with this probability; E[τ] and the
  // type probabilities then condition on an event occurring); 0 elsewhere.
  torch::Tensor no_event_probability;
  torch::Tensor valid;              // [B, L+1] bool: a real interval (i <= length); others hold NaN / −1
  int panels{0};                    // panels per interval in the final pass
};

NextEventPrediction predict_next_event(Model& model, const History& history, const PredictOptions& options = {});
// Throws tpp::Error naming the option outside its range.
void check_predict_options(const PredictOptions& options);
// Encodes the batch without gradients, then predicts.
NextEventPrediction predict_next_event(Model& model, const Batch& batch, const PredictOptions& options = {});

// Λ_i(u) = ∫_0^u Σ_k λ_k(s) ds on each interval for elapsed u [B, L+1] (composite Gauss–Legendre,
// panels doubled until the relative change is below options.relative_tolerance); −log S(u) for a
// model with a closed-form next-event law (unless options.closed_form is false).
torch::Tensor compensator(Model& model, const History& history, const torch::Tensor& elapsed,
                          const PredictOptions& options = {});

// λ_k at arbitrary (interval, elapsed) pairs: interval [B, Q] long, elapsed [B, Q] -> [B, Q, K].
torch::Tensor intensity_at(Model& model, const History& history, const torch::Tensor& interval,
                           const torch::Tensor& elapsed);

struct CurveOptions {
  int points{200};        // uniform grid over each sequence's window, ends included (>= 2)
  bool at_events{true};   // add the left and right limits at every event, so jumps show
};

struct IntensityCurve {
  torch::Tensor time;       // [B, G] relative to t_start (model units), nondecreasing per row
  torch::Tensor intensity;  // [B, G, K]
  torch::Tensor mask;       // [B, G] bool: real points (rows are padded to the longest)
};

IntensityCurve intensity_curve(Model& model, const Batch& batch, const CurveOptions& options = {});

}  // namespace tpp
