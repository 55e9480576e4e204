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
  // One layer's keys and values of every position read so far: [1, heads, p, d_model/heads].
  struct Cache {
    torch::Tensor keys, values;
  };

  // Input encoding of tokens at relative times and positions [B, P]: type embedding plus the
  // time-shifted sinusoid sin/cos(ω·p + w·t).
  torch::Tensor embed(const torch::Tensor& types, const torch::Tensor& times, const torch::Tensor& position);
  // Attention (`allowed` [P, P] or the cached keys) and feed-forward of one layer.
  torch::Tensor layer_forward(Layer& layer, const torch::Tensor& x, const torch::Tensor& allowed);
  // One new position through a layer in evaluation mode, its key and value appended to the cache.
  torch::Tensor layer_next(Layer& layer, const torch::Tensor& x, Cache& cache);
  // History.hidden and μ, η, γ from top-layer states [B, L+1, D].
  void read_out(History& history, const torch::Tensor& x);
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;
  friend class SahpState;

  SahpConfig config_;
  torch::nn::Embedding type_embedding_{nullptr};  // [K + K_s + 1, d_model], last row = BOS
  torch::Tensor position_frequency_;              // ω_i (buffer), [d_model/2]
  torch::Tensor time_frequency_;                  // learnable w_i, [d_model/2]
  std::vector<Layer> layers_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear base_{nullptr}, peak_{nullptr}, decay_{nullptr};  // W_μ, W_η, W_γ
};

}  // namespace tpp
