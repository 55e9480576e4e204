#pragma once
// Multivariate exponential Hawkes process:
//   λ_k(t) = μ_k + Σ_{t_j < t} α_{c_j,k} β_{c_j,k} exp(−β_{c_j,k} (t − t_j)),
// where c_j is the source type of event j (actions 0..K−1, then stimuli K..K+K_s−1). α is the
// branching ratio (expected children of type k per event of type c), so the action block is stable
// when its spectral radius is < 1. β is one scalar unless "beta_matrix" is set. Stimuli excite
// actions but never enter the likelihood (the stimulus-sensitive Hawkes). Positive parameters are
// stored as softplus(raw).
#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

struct HawkesConfig {
  int num_types{1};           // K
  int num_stimulus_types{0};  // K_s
  std::vector<double> mu;     // [K]
  std::vector<double> alpha;  // [(K + K_s) x K] row-major: row = source type, column = target action
  bool beta_matrix{false};
  std::vector<double> beta;   // [1] or [(K + K_s) x K]
  torch::Tensor source_mask;  // [(K + K_s) x K] 1/0 from schema.affects
  static const ConfigFields<HawkesConfig>& fields();  // every key, its default, check and doc
  static HawkesConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class HawkesImpl : public Model {
 public:
  explicit HawkesImpl(HawkesConfig config);
  std::string name() const override { return "hawkes"; }
  nlohmann::json config() const override;
  int num_types() const override { return config_.num_types; }

  // hidden [B, L+1, K]: excitation of each type at the interval start; parts["excitation"]
  // [B, L+1, R, K] per decay group (R = 1 for a scalar β, K + K_s for a β matrix).
  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  // Intensities only decay between events: the bound is the total at the interval start.
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  LikelihoodTerms likelihood_terms(const History& history, const IntegralOptions& options = {}) override;
  // Intensity at each interval start, [B, L+1, K].
  torch::Tensor embedding(const History& history) override;
  std::unique_ptr<ThinningTarget> thinning_target(double t_start) const override;
  // With one scalar β the intensity on an interval is μ_k + A_k e^{−βτ}: the closed-form law of
  // models/decaying_rate_law.h. A β matrix mixes decays: none (prediction integrates).
  std::optional<NextEventLaw> next_event_law(const History& history) override;

  // Exact ∫ Σ_k λ_k over each interval, [B, L+1] (the ground compensator's increments).
  torch::Tensor compensator(const History& history);

  torch::Tensor mu() const;     // [K]
  torch::Tensor alpha() const;  // [K + K_s, K]
  torch::Tensor beta() const;   // scalar [] or [K + K_s, K]
  // μ, α, β flattened in that order (the natural parameters, e.g. for standard errors).
  torch::Tensor natural_parameters() const;
  torch::Tensor beta_groups() const;  // [R, K]: β per decay group (R = K + K_s for a β matrix, else 1)

 protected:
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

 private:
  HawkesConfig config_;
  torch::Tensor raw_mu_, raw_alpha_, raw_beta_, source_mask_;
};

}  // namespace tpp
