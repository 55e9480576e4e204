#pragma once
// Transformer Hawkes Process (Zuo et al. 2020), as ExPERT uses it (papers/expert.md).
//
// Tokens: a learned beginning-of-stream token (type id K + K_s, time 0) followed by the events,
// each embedded as sinusoidal(t_i) + U·type_i (stimuli are types K + s: they condition the
// intensity, never enter a loss). Causal multi-head self-attention layers (post-LN, dropout,
// GELU feed-forward) give z_0 (BOS) and z_{j+1} (after event j): hidden[:, i] governs interval i.
// On the interval after the previous event t_j (t_j = 0 for interval 0), with s = t − t_j:
//   λ_k(t) = softplus_β(α_k · s / (t_j + τ) + w_k·z + b_k)
// The paper divides by t_j, which is 0 for interval 0 and for events at the window start
// (relative times begin at 0); τ ("time_guard", default 1, as in the authors' released code)
// keeps the slope finite there. The pre-activation is linear in s, so the softplus is monotone
// on each interval and its maximum sits at an end of any window (intensity_upper_bound).
// Heads on z (for interval i, predicting event i): softmax type head and linear time head
// (predicted gap); auxiliary_loss = λ_type·CE + λ_time·(gap − predicted gap)² over actions.
#include "tpp/models/model.h"

namespace tpp {

struct ThpConfig {
  int num_types{1};           // K (from the schema)
  int num_stimulus_types{0};  // K_s (from the schema)
  int d_model{32};
  int d_ff{64};
  int heads{4};
  int layers{2};
  double dropout{0.1};
  double alpha{-0.1};         // initial α_k (learned, one per type)
  double beta{1.0};           // softplus softness β (fixed)
  double time_guard{1.0};     // τ above
  static ThpConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class ThpLayerImpl : public torch::nn::Module {
 public:
  ThpLayerImpl(int d_model, int d_ff, int heads, double dropout);
  // x [B, T, D]; allowed [T, T] bool, true where query t may attend to key u.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed);

 private:
  int heads_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, out_{nullptr};
  torch::nn::Linear ff_in_{nullptr}, ff_out_{nullptr};
  torch::nn::LayerNorm norm_attention_{nullptr}, norm_ff_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(ThpLayer);

class ThpImpl : public Model {
 public:
  explicit ThpImpl(ThpConfig config);
  std::string name() const override { return "thp"; }
  nlohmann::json config() const override { return config_.to_json(); }
  int num_types() const override { return config_.num_types; }

  // parts: "base" [B, L+1, K] = w_k·z + b_k; "slope" [B, L+1] = 1/(t_j + τ).
  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  torch::Tensor auxiliary_loss(const History& history, const nlohmann::json& weights) override;

  // Heads for interval i (predicting event i): type logits [B, L+1, K], predicted gap [B, L+1].
  torch::Tensor type_logits(const History& history);
  torch::Tensor predicted_gap(const History& history);

  // Sinusoidal encoding of times [...] -> [..., d_model].
  torch::Tensor temporal_encoding(const torch::Tensor& time) const;

 private:
  ThpConfig config_;
  torch::nn::Embedding type_embedding_{nullptr};  // K + K_s + 1 (BOS) rows
  std::vector<ThpLayer> layers_;
  torch::nn::Linear intensity_head_{nullptr};
  torch::nn::Linear type_head_{nullptr};
  torch::nn::Linear time_head_{nullptr};
  torch::Tensor alpha_;  // [K]
};

}  // namespace tpp
