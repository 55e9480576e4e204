#pragma once
// Neural Hawkes Process (Mei & Eisner 2017): a continuous-time LSTM whose cells decay between events,
// equations (4)–(7) of the paper, with the beginning-of-stream event of its appendix A.2.
#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

struct NhpConfig {
  int num_types{1};           // action types K (from the schema)
  int num_stimulus_types{0};  // stimulus types K_s (from the schema); they are inputs, never targets
  int hidden_size{32};        // D, LSTM units
  static const ConfigFields<NhpConfig>& fields();  // every key, its default, check and doc
  static NhpConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

// History.parts of an encoded batch, per interval i (the state after reading events < i):
//   "cell" c_i (value just after the last event), "cell_target" c̄_i, "decay" δ_i, "output_gate" o_i,
// each [B, L+1, D]; History.hidden is h at the interval's start, o_i ⊙ tanh(c_i).
class NhpImpl : public Model {
 public:
  explicit NhpImpl(NhpConfig config);
  std::string name() const override { return "nhp"; }
  nlohmann::json config() const override { return config_.to_json(); }
  int num_types() const override { return config_.num_types; }

  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;

  // c(t) at `elapsed` [B, L+1, S] after each interval's start: [B, L+1, S, D] (equation 7).
  torch::Tensor cell_at(const History& history, const torch::Tensor& elapsed) const;
  torch::Tensor scale() const;  // s_k [K], positive
  int bos_type() const { return config_.num_types + config_.num_stimulus_types; }

 protected:
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

 private:
  friend class NhpState;
  struct State {
    torch::Tensor cell, cell_target, decay, output_gate;  // [B, D] each
  };
  // One CT-LSTM transition (equations 5–6) reading `type` [B] with decayed cells c(t_i) and h(t_i).
  State step(const torch::Tensor& type, const torch::Tensor& hidden, const torch::Tensor& decayed_cell,
             const torch::Tensor& previous_target);
  torch::Tensor readout(const torch::Tensor& hidden) const;  // [..., D] -> λ [..., K]

  NhpConfig config_;
  torch::nn::Embedding input_{nullptr};     // W k_i for the 7 gate groups: [K + K_s + 1, 7D]
  torch::nn::Linear recurrent_{nullptr};    // U h(t_i) + d: D -> 7D
  torch::Tensor readout_weight_;            // w_k rows: [K, D]
  torch::Tensor raw_scale_;                 // softplus(raw_scale_) = s_k
};

}  // namespace tpp
