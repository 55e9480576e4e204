#pragma once
// LogNormMix (Shchur et al. 2020): the next gap follows a mixture of J log-normal laws whose
// weights, means and scales the history's RNN state gives, and the next mark p(k | h) is drawn
// independently of the gap (models/intensity_free.h, models/lognormal_mixture_law.h):
//   log w = log_softmax(W_w h + b_w),  μ = W_μ h + b_μ,  σ = softplus(W_σ h + b_σ) + σ_min.
// σ_min = 1e-3 keeps a component from collapsing onto one repeated gap (the likelihood of a
// log-normal grows without bound as σ → 0 at a repeated value). The untrained model's means are
// spread over [−2, 2] in log time (model units) so the components start apart.
#include "tpp/core/config_fields.h"
#include "tpp/models/intensity_free.h"

namespace tpp {

struct LognormmixConfig {
  int num_types{1};           // K (from the schema)
  int num_stimulus_types{0};  // K_s (from the schema); stimuli are embedded as K + s
  RnnEncoderConfig encoder;   // embed_dim, hidden, layers, cell, dropout, gap_input
  int components{8};          // J
  static const ConfigFields<LognormmixConfig>& fields();
  static LognormmixConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class LognormmixImpl : public IntensityFreeModel {
 public:
  explicit LognormmixImpl(LognormmixConfig config);
  std::string name() const override { return "lognormmix"; }
  nlohmann::json config() const override { return config_.to_json(); }
  // raw [..., 3J]: weight logits, means, scale pre-activations.
  std::unique_ptr<TimingLaw> timing_law(const torch::Tensor& raw) const override;

  static constexpr double kMinSigma = 1e-3;

 private:
  LognormmixConfig config_;
};

}  // namespace tpp
