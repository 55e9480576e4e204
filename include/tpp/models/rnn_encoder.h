#pragma once
// The recurrent history encoder shared by RMTPP and the intensity-free models: a type embedding
// (action k, stimulus K + s) concatenated with a time feature of the gap since the previous event,
// run through a GRU or LSTM whose top-layer state after events < i governs interval i; interval 0
// uses a learned beginning-of-stream state. One step of the same cell advances a user's state in
// O(1) (models/user_state.h).
//
// The encoder is not a module of its own: it registers its parameters on the owning model under
// the names RMTPP has always used ("type_embedding", "rnn", "h_bos", "c_bos"), so saved RMTPP
// files load unchanged.
#include <torch/torch.h>

#include <string>

#include "tpp/core/config_fields.h"
#include "tpp/core/context.h"
#include "tpp/data/batch.h"

namespace tpp {

struct RnnEncoderConfig {
  int embed_dim{16};
  int hidden{32};
  int layers{1};
  std::string cell{"gru"};     // "gru" or "lstm"
  double dropout{0.0};         // between RNN layers (the owner applies it before its heads)
  // Time feature of the gap: "log" = log(1 + gap), which keeps gaps spread over decades (what an
  // intensity-free law of the gap sees) on one scale; "raw" = gap (RMTPP's input).
  std::string gap_input{"log"};
  static const ConfigFields<RnnEncoderConfig>& fields();  // embed_dim, hidden, layers, cell, dropout, gap_input
};

class RnnEncoder {
 public:
  RnnEncoder() = default;
  // num_tokens = K + K_s embedding rows. Registers the parameters on `owner`.
  RnnEncoder(torch::nn::Module& owner, int num_tokens, RnnEncoderConfig config);

  // Top-layer states [B, L+1, H]: position 0 is h_bos, position i+1 the state after event i.
  torch::Tensor encode(const Batch& batch);

  // One user's carried state: [layers, 1, H] each (cell undefined for a GRU).
  struct Carry {
    torch::Tensor hidden, cell;
  };
  Carry initial() const;
  // Advances by one event of batch token `token` (action k, stimulus K + s) after `gap`.
  void step(Carry& carry, int64_t token, double gap, const Context& ctx);
  // Advances B carries ([layers, B, H] each) by one event each after gaps [B]: tokens [B] long,
  // or [B, num_tokens] floating weights whose embedding is the weighted sum of the rows (a relaxed
  // token, for pathwise gradients through a choice). For forward simulation of many users at once
  // (policy/); differentiable in the parameters, the weights and the gaps.
  Carry step(const Carry& carry, const torch::Tensor& tokens, const torch::Tensor& gaps);
  // The top layer of a carry as a one-interval state [1, 1, H].
  torch::Tensor top(const Carry& carry) const { return carry.hidden[config_.layers - 1].unsqueeze(1); }

  const RnnEncoderConfig& config() const { return config_; }

 private:
  torch::Tensor gap_feature(const torch::Tensor& gap) const;
  RnnEncoderConfig config_;
  torch::nn::Embedding type_embedding_{nullptr};
  torch::nn::GRU gru_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  torch::Tensor h_bos_;  // [layers, H] initial hidden state
  torch::Tensor c_bos_;  // [layers, H] initial LSTM cell (LSTM only)
};

}  // namespace tpp
