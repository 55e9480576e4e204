#pragma once
// Attentive Neural Hawkes Process (Yang, Mei & Eisner 2022): continuous-time attention. The state at
// any time t is built by layers of attention whose query depends on the time embedding [[t]], over
// the layered representations of the events before t; λ_k(t) = s_k·softplus(w_k·y(t)/s_k + b_k/s_k).
#include <algorithm>

#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

struct AttnhpConfig {
  int num_types{1};
  int num_stimulus_types{0};
  int d_model{32};   // representation width (divisible by heads)
  int d_time{16};    // time-embedding width (even)
  int heads{2};
  int layers{2};
  double dropout{0.0};
  static const ConfigFields<AttnhpConfig>& fields();  // every key, its default, check and doc
  static AttnhpConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

// History.parts (positions p = 0..L: p = 0 is the BOS event at t_start, p > 0 is event p − 1, so
// interval i attends to positions <= i):
//   "keys" [B, L+1, layers, d_model], "values" [B, L+1, layers, d_model]: each layer's keys/values.
// History.hidden is y(t) at each interval's start, [B, L+1, d_model]. A user state's History has
// one interval and every position (see state_at).
class AttnhpImpl : public Model {
 public:
  explicit AttnhpImpl(AttnhpConfig config);
  std::string name() const override { return "attnhp"; }
  nlohmann::json config() const override { return config_.to_json(); }
  int num_types() const override { return config_.num_types; }

  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;

  // The top-layer state y(t) at `elapsed` [B, L+1, S] after each interval's start: [B, L+1, S, d_model].
  torch::Tensor state_at(const History& history, const torch::Tensor& elapsed);
  torch::Tensor scale() const;  // s_k [K]
  // Largest attention score tensor (elements) computed at once; longer histories go in blocks of
  // query rows. Results do not depend on it (tests shrink it to force many blocks).
  void set_attention_budget(int64_t elements) { attention_budget_ = std::max<int64_t>(1, elements); }
  int bos_type() const { return config_.num_types + config_.num_stimulus_types; }

 private:
  struct Layer {
    torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, output{nullptr};
  };
  torch::Tensor time_embedding(const torch::Tensor& t) const;  // [...] -> [..., d_time]
  torch::Tensor layer_update(Layer& layer, const torch::Tensor& attended);  // tanh(O a + b), dropped out
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;
  friend class AttnhpState;

  AttnhpConfig config_;
  torch::nn::Embedding type_embedding_{nullptr};  // [K + K_s + 1, d_model], last row = BOS
  torch::Tensor query_seed_;                      // y^(0): the layer-0 representation of a query, [d_model]
  torch::Tensor time_frequency_;                  // buffer [d_time/2]
  std::vector<Layer> layers_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear readout_{nullptr};            // w_k, b_k
  torch::Tensor raw_scale_;                       // softplus(raw_scale_) = s_k
  int64_t attention_budget_{int64_t{1} << 24};
};

}  // namespace tpp
