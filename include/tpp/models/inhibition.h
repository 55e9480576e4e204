#pragma once
// Decomposable self-modulating MPP (Mei & Eisner 2017, D-SM-MPP), the "Hawkes process with
// inhibition":
//   λ_k(t) = f_k(μ_k + Σ_{t_h < t} α_{c_h,k} exp(−δ_{c_h,k} (t − t_h))),  f_k(x) = s_k log(1 + exp(x / s_k)).
// μ and α are signed (α < 0 inhibits, μ < 0 gives inertia); δ > 0 and s_k > 0 are stored as
// softplus(raw). Source types c are the actions, then the stimuli. The compensator has no closed
// form: the likelihood integrates each interval by Gauss–Legendre, also when Method::Exact is asked.
#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

struct InhibitionConfig {
  int num_types{1};
  int num_stimulus_types{0};
  std::vector<double> mu;     // [K]
  std::vector<double> alpha;  // [(K + K_s) x K]
  std::vector<double> delta;  // [(K + K_s) x K]
  std::vector<double> scale;  // [K]
  torch::Tensor source_mask;
  static const ConfigFields<InhibitionConfig>& fields();  // every key, its default, check and doc
  static InhibitionConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class InhibitionImpl : public Model {
 public:
  explicit InhibitionImpl(InhibitionConfig config);
  std::string name() const override { return "inhibition"; }
  nlohmann::json config() const override;
  int num_types() const override { return config_.num_types; }

  // parts["excitation"] [B, L+1, C, K]: Σ over past events of source c of α e^{−δ(start − t_h)};
  // hidden [B, L+1, K]: the activation μ + Σ_c excitation at the interval start.
  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  // Each term α e^{−δ s} is monotone in s: a positive one is largest at the window start, a
  // negative one at the window end; f_k is increasing, so f_k(μ_k + Σ max) bounds λ_k.
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  // Gauss–Legendre over each interval (options.points nodes); Exact is served the same way.
  LikelihoodTerms likelihood_terms(const History& history, const IntegralOptions& options = {}) override;
  torch::Tensor embedding(const History& history) override;  // activation at interval starts, [B, L+1, K]
  std::unique_ptr<ThinningTarget> thinning_target(double t_start) const override;
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

  torch::Tensor mu() const;     // [K]
  torch::Tensor alpha() const;  // [K + K_s, K]
  torch::Tensor delta() const;  // [K + K_s, K]
  torch::Tensor scale() const;  // [K]

 private:
  InhibitionConfig config_;
  torch::Tensor mu_, alpha_, raw_delta_, raw_scale_, source_mask_;
};

}  // namespace tpp
