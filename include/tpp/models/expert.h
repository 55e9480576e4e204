#pragma once
// ExPERT (Vij et al., papers/expert.md): THP with external-stimuli-aware attention,
// personalization and a type-aware causal mask. Every component is switchable for the ablation.
//
// Encoding (same for actions and stimuli; stimulus types are ids K + s):
//   x_i = sinusoid(t_i) + U·type_i [+ W_e m^e_i] [+ W_u m^u]
// A BOS token (time 0) carries W_u m^u too, so the first interval is personalised.
//
// Attention: THP's causal layers; with `stimulus_query` a stimulus key u is scored with W^Q_d2x,
// an action key with W^Q_d2d (eq. 1). Stimulus queries follow the same rule (the paper defines only
// action queries).
//
// Type-aware causal mask (eq. 2). The paper masks attention from event i to stimulus j unless
// k_i ∈ X(k_j), with k_i the type of the event being predicted, which is unknown before it occurs.
// We apply it per predicted type: λ_k sees only the stimuli whose type s has k ∈ X(s) (schema
// `affects`). Types with the same visible stimulus set share one encoder pass ("pattern"); within
// a pass the invisible stimuli are removed from every query's keys (also from other stimuli's, so
// nothing about them reaches λ_k through a deeper layer), and the state for interval i is the output
// of the last visible token before it. THP's time term is anchored at that token too:
//   λ_k(t) = softplus_β(α_k (t − a_k)/(a_k + τ) + w_k·z_k + b_k),
// a_k the time of the last event visible to type k. So a stimulus of type s cannot move λ_k for
// k ∉ X(s) in any way (its time, metadata or presence). The type head scores type k from z_k too;
// the time head and the embedding use the mean of the pattern states. Without the mask (or when
// every stimulus affects every type) there is one pattern and the model is THP plus the extras.
//
// The paper's literal mask (mask_rule "query_type"): the type k_i of the *query* event e_i decides,
// so an action query of type k attends to stimulus j only if k ∈ X(k_j); stimulus and BOS queries
// (which eq. 2 leaves undefined) attend to every earlier token. One encoder pass, THP's read-out
// (the state and time anchor of interval i are those of token i). A stimulus still moves every λ_k
// on the interval after it (its own token's state governs it) and, through a deeper layer, wherever
// a stimulus query or an action of another type relays it, so this mask is not causal per type;
// "predicted_type" (the default) is.
//
// Imminent stimuli (future_window w > 0): the query for interval i (starting at t_{i−1}) also
// attends to stimuli at index ≥ i with time ≤ t_{i−1} + w, through their input encodings x (never
// their contextual states, which have seen later actions): future actions never leak in.
//
// Losses: log-likelihood, type CE and time MSE over user actions only, weighted by eq. (6)
// (the trainer's loss_weights ll/type/time).
#include <vector>

#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"
#include "tpp/models/thp.h"

namespace tpp {

struct ExpertConfig {
  ThpConfig thp;                 // sizes, dropout, α init, β, τ
  std::string variant{"full"};  // thp | p_user | ext | ext_p_user | ext_p_user_cm | full
  bool stimulus_query{true};     // "Ext": W^Q_d2x for stimulus keys
  bool user_features{true};      // "P(User)": W_u m^u
  bool event_meta{true};         // "Event": W_e m^e
  bool causal_mask{true};        // "CM": per-type stimulus visibility from the schema
  std::string mask_rule{"predicted_type"};  // predicted_type | query_type (the paper's literal eq. 2)
  // Attend stimuli up to this far ahead (model time units); 0 = off. Preset: 1 for the variants
  // with the causal mask (the paper describes the future unmasking as part of it).
  double future_window{0.0};
  // The text featuriser that made the event metadata (fitted state, see cli/model_data.h); null
  // when the metadata came with the data. Kept so evaluation featurises texts the same way.
  nlohmann::json text_features;
  int user_feature_dim{0};       // from the schema
  int event_meta_dim{0};
  // visible[p][s]: stimulus type s is visible to the types of pattern p; type_pattern[k] = p.
  std::vector<std::vector<bool>> visible;
  std::vector<int> type_pattern;
  // query_affects[k][s]: an action query of type k may attend to stimuli of type s (mask_rule
  // "query_type"); empty otherwise.
  std::vector<std::vector<bool>> query_affects;
  // THP's keys, then "variant", whose preset is the default of each flag.
  static const ConfigFields<ExpertConfig>& fields();
  static ExpertConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class ExpertImpl : public Model, public PredictionHeads {
 public:
  explicit ExpertImpl(ExpertConfig config);
  std::string name() const override { return "expert"; }
  nlohmann::json config() const override { return config_.to_json(); }
  int num_types() const override { return config_.thp.num_types; }

  // parts [B, L+1, K]: "base" = w_k·z_k + b_k, "offset" = interval start − a_k, "slope" = 1/(a_k + τ),
  // "type_logits".
  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  torch::Tensor auxiliary_loss(const History& history, const nlohmann::json& weights) override;

  torch::Tensor type_logits(const History& history) override { return history.parts.at("type_logits"); }
  torch::Tensor predicted_gap(const History& history) override;
  int num_patterns() const { return static_cast<int>(config_.visible.size()); }
  const ExpertConfig& expert_config() const { return config_; }

 protected:
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

 private:
  friend class ExpertState;
  // tpp::Error unless the user features [B, F] (event metadata [B, L, M]) match the model's sizes;
  // nothing to check when the model does not read them.
  void check_user_features(const torch::Tensor& user_features) const;
  void check_event_meta(const torch::Tensor& event_meta) const;
  // x = U·token + sinusoid(time) [+ W_u m^u] [+ W_e m^e] for tokens and times [B, T], user
  // features [B, F] and metadata [B, T, M] (each undefined when the model does not read it).
  torch::Tensor embed(const torch::Tensor& tokens, const torch::Tensor& time, const torch::Tensor& user_features,
                      const torch::Tensor& meta);
  // Input encodings x [B, L+1, D] (BOS first).
  torch::Tensor input_encoding(const Batch& batch, const torch::Tensor& start);

  ExpertConfig config_;
  torch::nn::Embedding type_embedding_{nullptr};  // K + K_s + 1 (BOS) rows
  torch::nn::Linear user_projection_{nullptr};    // W_u
  torch::nn::Linear meta_projection_{nullptr};    // W_e
  std::vector<ThpLayer> layers_;
  torch::nn::Linear intensity_head_{nullptr};
  torch::nn::Linear type_head_{nullptr};
  torch::nn::Linear time_head_{nullptr};
  torch::Tensor alpha_;        // [K]
  torch::Tensor visible_;      // [P, K_s] bool buffer
  torch::Tensor type_pattern_; // [K] long buffer
  torch::Tensor query_affects_; // [K, K_s] bool buffer, mask_rule "query_type" only
};

}  // namespace tpp
