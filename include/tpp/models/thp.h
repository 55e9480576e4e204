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
#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"
#include "tpp/models/prediction_heads.h"

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
  static const ConfigFields<ThpConfig>& fields();  // every key, its default, check and doc
  static ThpConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

// What the queries of one attention layer may attend to. THP uses `allowed` only; ExPERT adds a
// second query matrix for stimulus keys and keys ahead of the query (imminent stimuli).
struct AttentionContext {
  torch::Tensor allowed;          // bool, broadcastable to [B, 1, T, T]: query t may see key u
  torch::Tensor key_is_stimulus;  // [B, T] bool or undefined: which keys use the stimulus query
  // Keys ahead of the query are read from these encodings (the layer-0 input), never from a
  // contextual state, so nothing they attended to (later actions) reaches the query.
  torch::Tensor future_input;     // [B, T, D] or undefined
  torch::Tensor future_allowed;   // bool, broadcastable to [B, 1, T, T]
};

// One post-LN Transformer layer: multi-head attention, dropout, GELU feed-forward.
// With stimulus_query, w_tu = (W^K x_u)·(W^Q_d2x x_t) for stimulus keys u and (W^K x_u)·(W^Q_d2d x_t)
// for the others (ExPERT eq. 1); without it one query matrix serves every key (THP).
class ThpLayerImpl : public torch::nn::Module {
 public:
  ThpLayerImpl(int d_model, int d_ff, int heads, double dropout, bool stimulus_query = false);
  // x [B, T, D] -> [B, T, D]. Every query must be allowed at least one key.
  torch::Tensor forward(const torch::Tensor& x, const AttentionContext& context);

  // The keys and values of the tokens a layer has seen, [1, heads, T, D/heads] each.
  struct Cache {
    torch::Tensor keys, values;
  };
  // ExPERT's additions to one token's attention (AttentionContext's, for one query row).
  struct NextTokenContext {
    torch::Tensor key_is_stimulus;  // [T] bool over the cached keys with the new one, or undefined
    torch::Tensor allowed;          // [T] bool over the same keys, or undefined (all)
    // Stimulus keys ahead of the query, from their input encodings [1, F, D] (all allowed), or undefined.
    torch::Tensor future_input;
  };
  // The next token x [1, 1, D] of a causal sequence, attending to the cached tokens before it and
  // to itself: forward()'s last row for that sequence, in O(T) instead of O(T²). Appends the
  // token's key and value to `cache`. Evaluation mode (no dropout).
  torch::Tensor forward_next(const torch::Tensor& x, Cache& cache, const NextTokenContext& context = {});

 private:
  int heads_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, out_{nullptr};
  torch::nn::Linear query_stimulus_{nullptr};  // W^Q_d2x, only with stimulus_query
  torch::nn::Linear ff_in_{nullptr}, ff_out_{nullptr};
  torch::nn::LayerNorm norm_attention_{nullptr}, norm_ff_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(ThpLayer);

// THP's sinusoidal encoding of times [...] -> [..., d_model]: dimension d uses frequency
// 10000^{-2⌊d/2⌋/D}, sine on even d, cosine on odd d.
torch::Tensor thp_temporal_encoding(const torch::Tensor& time, int d_model);

// A bound for a model whose every λ_k is monotone in the elapsed time on each interval (THP's and
// ExPERT's linear pre-activation under a softplus): Σ_k max(λ_k(0), λ_k(window)).
torch::Tensor upper_bound_at_window_ends(Model& model, const History& history, const torch::Tensor& window);

// THP's auxiliary loss at each action: λ_type·CE(type logits) + λ_time·(gap − predicted gap)²,
// from heads for interval i (predicting event i): logits [B, L+1, K], predicted gap [B, L+1].
// Stimuli and padding get 0. -> [B, L].
torch::Tensor thp_auxiliary_loss(const Batch& batch, const torch::Tensor& type_logits,
                                 const torch::Tensor& predicted_gap, const nlohmann::json& weights);

class ThpImpl : public Model, public PredictionHeads {
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
  torch::Tensor type_logits(const History& history) override;
  torch::Tensor predicted_gap(const History& history) override;

 protected:
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

 private:
  friend class ThpState;
  // Input encoding of tokens [B, T] at relative times [B, T].
  torch::Tensor embed(const torch::Tensor& tokens, const torch::Tensor& time);
  // hidden = top-layer states [B, I, D] at interval starts [B, I]: the intensity's parts.
  void read_out(History& h, const torch::Tensor& hidden);
  ThpConfig config_;
  torch::nn::Embedding type_embedding_{nullptr};  // K + K_s + 1 (BOS) rows
  std::vector<ThpLayer> layers_;
  torch::nn::Linear intensity_head_{nullptr};
  torch::nn::Linear type_head_{nullptr};
  torch::nn::Linear time_head_{nullptr};
  torch::Tensor alpha_;  // [K]
};

}  // namespace tpp
