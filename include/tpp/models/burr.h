#pragma once
// Burr: the next gap follows a Burr XII law (models/burr_law.h) whose scale λ and shapes c, k the
// history's RNN state gives through softplus, optionally defective with a probability p(h) of no
// next event (churn), and the next mark p(k | h) independent of the gap (models/intensity_free.h):
//   λ = softplus(a_λ·h) + 1e-6,  c = softplus(a_c·h) + 1e-3,  k = softplus(a_k·h) + 1e-3,  p = σ(a_p·h).
// The floors keep log λ, log c, log k finite. Why this family: a three-parameter heavy-tailed law
// with closed-form density, survival, hazard and inverse CDF (exact likelihood and sampling), a
// power-law tail of index c·k for long absences, a hazard that can decrease (c <= 1: "soon or
// much later") or rise and fall (c > 1: a typical delay), with the log-logistic (k = 1) and Lomax
// (c = 1) laws inside it. The untrained law has λ = 1, c = 1.5, k = 1.5 (a finite mean) and p = 0.1.
#include "tpp/core/config_fields.h"
#include "tpp/models/intensity_free.h"

namespace tpp {

struct BurrConfig {
  int num_types{1};           // K (from the schema)
  int num_stimulus_types{0};  // K_s (from the schema); stimuli are embedded as K + s
  RnnEncoderConfig encoder;   // embed_dim, hidden, layers, cell, dropout, gap_input
  bool defective{false};      // a probability of never returning
  static const ConfigFields<BurrConfig>& fields();
  static BurrConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class BurrImpl : public IntensityFreeModel {
 public:
  explicit BurrImpl(BurrConfig config);
  std::string name() const override { return "burr"; }
  nlohmann::json config() const override { return config_.to_json(); }
  // raw [..., 3] (λ, c, k pre-activations), [..., 4] with the never-return logit when defective.
  std::unique_ptr<TimingLaw> timing_law(const torch::Tensor& raw) const override;

 private:
  BurrConfig config_;
};

}  // namespace tpp
