#pragma once
// Multivariate self-correcting process (Isham & Westcott 1979):
//   λ_k(t) = exp(μ_k (t − t_start) − Σ_{t_j < t} α_{c_j,k}),
// μ_k > 0 and α ≥ 0 stored as softplus(raw); source types c are the actions, then the stimuli.
// The intensity grows between events and drops at each one; the compensator is closed form:
//   ∫_a^b λ_k = exp(μ_k a − A_k) (exp(μ_k (b − a)) − 1) / μ_k.
// Its bound over a window is the value at the window's end, so simulate with a finite lookahead.
#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

struct SelfCorrectingConfig {
  int num_types{1};
  int num_stimulus_types{0};
  std::vector<double> mu;     // [K]
  std::vector<double> alpha;  // [(K + K_s) x K]
  torch::Tensor source_mask;
  static const ConfigFields<SelfCorrectingConfig>& fields();  // every key, its default, check and doc
  static SelfCorrectingConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class SelfCorrectingImpl : public Model {
 public:
  explicit SelfCorrectingImpl(SelfCorrectingConfig config);
  std::string name() const override { return "self_correcting"; }
  nlohmann::json config() const override;
  int num_types() const override { return config_.num_types; }

  // hidden [B, L+1, K]: log-intensity at each interval start, μ_k start − A_k.
  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  // Increasing between events: the bound is Σ_k λ_k at the window's end (infinite for an
  // infinite window).
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  LikelihoodTerms likelihood_terms(const History& history, const IntegralOptions& options = {}) override;
  torch::Tensor embedding(const History& history) override;  // hidden
  std::unique_ptr<ThinningTarget> thinning_target(double t_start) const override;

  // Exact ∫ Σ_k λ_k over each interval, [B, L+1].
  torch::Tensor compensator(const History& history);

  torch::Tensor mu() const;     // [K]
  torch::Tensor alpha() const;  // [K + K_s, K]

 protected:
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

 private:
  SelfCorrectingConfig config_;
  torch::Tensor raw_mu_, raw_alpha_, source_mask_;
};

}  // namespace tpp
