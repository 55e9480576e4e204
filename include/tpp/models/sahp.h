#pragma once
// Self-Attentive Hawkes Process (Zhang, Lipani, Kirnap & Yilmaz 2020): masked multi-head
// self-attention over type embeddings plus a time-shifted sinusoidal encoding, read out into a
// per-type exponentially relaxing softplus intensity.
#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

struct SahpConfig {
  int num_types{1};
  int num_stimulus_types{0};
  int d_model{32};     // embedding / attention width (even, divisible by heads)
  int heads{2};
  int layers{2};
  int d_ff{64};        // feed-forward width
  double dropout{0.0};
  static const ConfigFields<SahpConfig>& fields();  // every key, its default, check and doc
  static SahpConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

// History.parts per interval i (attention output at position i = BOS + events < i):
//   "mu" μ, "eta" η, "gamma" γ: [B, L+1, K]. History.hidden is that attention output [B, L+1, d_model].
class SahpImpl : public Model {
 public:
  explicit SahpImpl(SahpConfig config);
  std::string name() const override { return "sahp"; }
  nlohmann::json config() const override { return config_.to_json(); }
  int num_types() const override { return config_.num_types; }

  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  int bos_type() const { return config_.num_types + config_.num_stimulus_types; }

 private:
  // Pre-activation μ + (η − μ) e^{−γ s} at elapsed s: [B, L+1, S] -> [B, L+1, S, K].
  torch::Tensor pre_activation(const History& history, const torch::Tensor& elapsed) const;

  struct Layer {
    torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, output{nullptr};
    torch::nn::LayerNorm attention_norm{nullptr}, feed_forward_norm{nullptr};
    torch::nn::Linear expand{nullptr}, contract{nullptr};
  };

  SahpConfig config_;
  torch::nn::Embedding type_embedding_{nullptr};  // [K + K_s + 1, d_model], last row = BOS
  torch::Tensor position_frequency_;              // ω_i (buffer), [d_model/2]
  torch::Tensor time_frequency_;                  // learnable w_i, [d_model/2]
  std::vector<Layer> layers_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear base_{nullptr}, peak_{nullptr}, decay_{nullptr};  // W_μ, W_η, W_γ
};

}  // namespace tpp
