#pragma once
// RMTPP (Du et al. 2016): a GRU/LSTM over (type embedding, gap) and an exponential intensity.
//
// With h_j the RNN state after event j (interval j+1 in batch.h's numbering; interval 0 uses a
// learned beginning-of-stream state h_bos) and s = t − t_j the time elapsed in the interval:
//   λ(t)   = exp(v·h_j + w·s + b)                 ground intensity, w a scalar
//   p_k    = softmax(V·h_j + c)_k                 next-mark distribution, independent of time
//   λ_k(t) = p_k · λ(t)
// so log λ_k(t_i) = log p_{k_i} + v·h + w·s + b and the compensator of an interval of length Δ is
//   ∫_0^Δ λ = exp(v·h + b) · Δ · (e^{wΔ} − 1)/(wΔ),
// whose last factor is evaluated by its Taylor series near wΔ = 0 (stable as w → 0).
// The gap to the next event is therefore Gompertz distributed (defective when w < 0: the
// intensity may fade before any event), which gives the prediction its closed forms.
#include <string>

#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"
#include "tpp/models/rnn_encoder.h"

namespace tpp {

struct RmtppConfig {
  int num_types{1};           // K (from the schema)
  int num_stimulus_types{0};  // K_s (from the schema); stimuli are embedded as K + s
  int embed_dim{16};
  int hidden{32};
  int layers{1};
  std::string cell{"gru"};    // "gru" or "lstm"
  double dropout{0.0};        // between RNN layers and on h before the heads
  double w_init{0.0};         // initial time slope w
  static const ConfigFields<RmtppConfig>& fields();  // every key, its default, check and doc
  static RmtppConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class RmtppImpl : public Model {
 public:
  explicit RmtppImpl(RmtppConfig config);
  std::string name() const override { return "rmtpp"; }
  nlohmann::json config() const override { return config_.to_json(); }
  int num_types() const override { return config_.num_types; }

  // parts: "log_base" [B, L+1] = v·h + b; "log_mark" [B, L+1, K] = log p.
  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  LikelihoodTerms likelihood_terms(const History& history, const IntegralOptions& options = {}) override;
  // The next gap is Gompertz (models/gompertz_law.h) with log rate v·h + b and slope w, and the
  // mark is independent of it: prediction and sampling by closed forms, no quadrature.
  std::optional<NextEventLaw> next_event_law(const History& history) override;

  torch::Tensor slope() const { return w_; }

 protected:
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

 private:
  template <class> friend class RnnEncoderState;
  // hidden = states [B, I, H]; the heads' parts for those intervals.
  void read_out(History& h, const torch::Tensor& states);
  RmtppConfig config_;
  RnnEncoder encoder_;  // embedding + RNN over (type, gap), shared with the intensity-free models
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear base_head_{nullptr};  // v, b
  torch::nn::Linear mark_head_{nullptr};  // V, c
  torch::Tensor w_;                       // scalar slope
};

}  // namespace tpp
