#pragma once
// Counterfactual re-weighting of a training log by its users' categories (IPTW, after Yuchi & Zhu,
// "new-user event prediction"): the weights with which a model trained on logged users estimates
// the interventional intensity that transfers to new users whose category is unknown.
//
// A training user with category c and history embeddings h_0..h_n (Model::embedding, one per
// interval; h_0 the same for every user, so f(h_0 | c) = 1) gets one weight per interval j:
//   plain       w_j = 1 / Π_{r=1..j} f̂(h_r | h_{r−1}, c)
//   stabilised  w_j = Π_{r=1..j} f̂(h_r | h_{r−1}) / Π_{r=1..j} f̂(h_r | h_{r−1}, c)   (Remark 1)
// Interval j (closed by event j, or by t_end for j = n) is conditioned on h_0..h_j, the reading of
// the paper's Appendices C and D. f̂ is the histogram estimate of eqs. (10)–(12): the embedding is
// projected to q dimensions, mapped into the unit cube by the training embeddings' min–max box,
// cut into 1/δ equal bins per dimension, and f̂(u | u', r) = N(u, u', r) / N(·, u', r) from the
// counts of all training transitions. docs/iptw.md records the choices the paper leaves open.
#include <torch/torch.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/batch.h"
#include "tpp/data/dataset.h"

namespace tpp {

class Model;
class SequenceSource;

// The train config's "iptw" object (TrainConfig::iptw()).
struct IptwConfig {
  int bins{10};             // 1/δ per dimension (>= 1); ignored when auto_bins
  bool auto_bins{false};    // choose 1/δ by Proposition 3's normal-reference rule at every refit
  int refit_every{0};       // η: refit after every η-th epoch; 0 never, so the weights stay 1
  bool stabilized{true};
  int dims{1};              // q
  double truncate{0.99};    // quantile in (0, 1]; 1: no truncation
  std::uint64_t seed{1};    // seeds the projection
  bool enabled() const { return refit_every > 0; }
};

// A fixed linear map R^H -> R^q' (q' = min(H, q)) with orthonormal columns, from a seeded Gaussian
// matrix (Gram–Schmidt); the identity when H <= q, so a small hidden state is binned as it is.
// [H, q'] float64.
torch::Tensor embedding_projection(int64_t hidden, int dims, std::uint64_t seed);

// The unit cube of the binning: each dimension's [min, max] over the training points, cut into
// `bins` equal bins (the maximum falls in the last one; a constant dimension is one bin). Cells are
// numbered u = Σ_d u_d · bins^d.
class UnitCubeBins {
 public:
  // points: [N, q] float64 (N >= 1).
  UnitCubeBins(const torch::Tensor& points, int bins);
  // The cell of one point of dims() values (outside the box: the nearest boundary bin).
  std::uint64_t cell(const double* point) const;
  int dims() const { return static_cast<int>(low_.size()); }
  int bins() const { return bins_; }

 private:
  std::vector<double> low_, width_;
  int bins_;
};

// Counts of observed transitions (cell, previous cell, category), stored sparsely: only keys seen
// are kept, at most 4 per transition (the joint count and the three marginals the conditionals
// divide by), whatever bins^q is.
class TransitionTable {
 public:
  void add(std::uint64_t cell, std::uint64_t previous, int category);
  // log f̂(u | u', r) = log N(u, u', r) / N(·, u', r); the transition must have been added.
  double log_conditional(std::uint64_t cell, std::uint64_t previous, int category) const;
  // log f̂(u | u') pooled over the categories, the stabilised weights' numerator.
  double log_marginal(std::uint64_t cell, std::uint64_t previous) const;
  std::size_t transitions() const { return transitions_; }
  std::size_t entries() const { return counts_.size(); }
  // Bytes held by the hash map (nodes and buckets), to bound its memory.
  std::size_t memory_bytes() const;

 private:
  struct Key {
    std::uint64_t cell, previous;
    std::int64_t category;  // kAllCategories for counts pooled over categories
    bool operator==(const Key& o) const { return cell == o.cell && previous == o.previous && category == o.category; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  std::uint64_t count(const Key& key) const;
  std::unordered_map<Key, std::uint64_t, KeyHash> counts_;
  std::size_t transitions_{0};
};

// One training user's binned trajectory: the cell of h_r for r = 0..n, and the user's category.
struct CellTrajectory {
  std::vector<std::uint64_t> cells;
  int category{-1};
};

TransitionTable count_transitions(const std::vector<CellTrajectory>& trajectories);

// log w_j for j = 0..n (log w_0 = 0) as defined above, before truncation and normalisation.
std::vector<double> iptw_log_weights(const TransitionTable& table, const CellTrajectory& trajectory, bool stabilized);

// Weights from log weights: those above the `truncate` quantile of the counted intervals' weights
// are set to it, then all are scaled so that the counted ones average 1. Counted intervals are
// those closed by a user action (the ones whose log λ the weight multiplies); `counted[k][j]`.
// Scaling by a constant does not move the optimum of the weighted likelihood, and a mean of 1
// keeps the loss on the scale of the unweighted one.
std::vector<std::vector<double>> finalize_weights(const std::vector<std::vector<double>>& log_weights,
                                                  const std::vector<std::vector<bool>>& counted, double truncate);

struct WeightSummary {
  std::size_t count{0};  // counted intervals
  double min{0}, median{0}, max{0};
  double ess{0};         // effective sample size (Σ w)² / Σ w²
  nlohmann::json to_json() const;
};
WeightSummary summarize_weights(const std::vector<std::vector<double>>& weights,
                                const std::vector<std::vector<bool>>& counted);

// Proposition 3 in the normal-reference case of Remark 4: per dimension d, in unit-cube
// coordinates (the points' min–max box), with σ_d the spread of h_r and ρ_d the correlation of
// (h_{r−1}, h_r) over the m transitions per category, δ_d = σ_d (24π² (1−ρ_d)(1+ρ_d)³ / m)^{1/5};
// 1/δ is the finest over the dimensions, rounded, in [1, 100]. points: per trajectory, its rows
// of `dims` values.
int proposition3_bins(const std::vector<std::vector<double>>& points, int dims, std::size_t categories);

// The weights of one refit, per training sequence and interval (n + 1 each).
struct IptwWeights {
  std::vector<std::vector<double>> weight;
  WeightSummary summary;
  int bins{0};                  // 1/δ used
  std::size_t table_entries{0};
  nlohmann::json to_json() const;  // summary, bins and table size for the training log
};

// Encodes every training sequence with the model's current parameters (evaluation mode, no
// gradients), bins the embeddings and returns the weights. Every training user needs a category.
// A source is read 256 sequences at a time (an event store is never loaded whole); what is kept
// grows with the data: q′ + 1 doubles per event (the projected embeddings, then the weights).
IptwWeights fit_iptw_weights(Model& model, const SequenceSource& train, const IptwConfig& config, const Context& ctx);
IptwWeights fit_iptw_weights(Model& model, const Dataset& train, const IptwConfig& config, const Context& ctx);
// Throws, naming the user, if a training sequence has no category (streaming through a store).
void check_iptw_categories(const SequenceSource& train);

// batch.weight for a training batch: the stored weights of its sequences (Batch::sequence_id).
torch::Tensor batch_weights(const Batch& batch, const std::vector<std::vector<double>>& weights);

}  // namespace tpp
