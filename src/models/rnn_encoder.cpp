#include "tpp/models/rnn_encoder.h"

#include <vector>

#include "tpp/models/model_config.h"

namespace tpp {

const ConfigFields<RnnEncoderConfig>& RnnEncoderConfig::fields() {
  static const auto fields =
      ConfigFields<RnnEncoderConfig>("rnn encoder")
          .field("embed_dim", &RnnEncoderConfig::embed_dim, "type embedding size", model_sizes::width())
          .field("hidden", &RnnEncoderConfig::hidden, "RNN state size", model_sizes::width())
          .field("layers", &RnnEncoderConfig::layers, "stacked RNN layers", model_sizes::layers())
          .field("cell", &RnnEncoderConfig::cell, "recurrent cell", rules::one_of({"gru", "lstm"}))
          .field("dropout", &RnnEncoderConfig::dropout, "dropout between RNN layers and on h before the heads",
                 rules::probability_below_one())
          .field("gap_input", &RnnEncoderConfig::gap_input,
                 "time feature of the gap fed to the RNN: log(1 + gap) or the gap itself",
                 rules::one_of({"log", "raw"}));
  return fields;
}

RnnEncoder::RnnEncoder(torch::nn::Module& owner, int num_tokens, RnnEncoderConfig config) : config_(std::move(config)) {
  const int E = config_.embed_dim, H = config_.hidden, N = config_.layers;
  type_embedding_ = owner.register_module("type_embedding", torch::nn::Embedding(num_tokens, E));
  const double rnn_dropout = N > 1 ? config_.dropout : 0.0;
  if (config_.cell == "gru") {
    gru_ = owner.register_module(
        "rnn", torch::nn::GRU(torch::nn::GRUOptions(E + 1, H).num_layers(N).batch_first(true).dropout(rnn_dropout)));
  } else {
    lstm_ = owner.register_module(
        "rnn", torch::nn::LSTM(torch::nn::LSTMOptions(E + 1, H).num_layers(N).batch_first(true).dropout(rnn_dropout)));
    c_bos_ = owner.register_parameter("c_bos", torch::zeros({N, H}));
  }
  h_bos_ = owner.register_parameter("h_bos", torch::zeros({N, H}));
}

torch::Tensor RnnEncoder::gap_feature(const torch::Tensor& gap) const {
  return config_.gap_input == "log" ? torch::log1p(gap) : gap;
}

torch::Tensor RnnEncoder::encode(const Batch& batch) {
  const int64_t B = batch.batch_size(), L = batch.max_length();
  const int64_t N = config_.layers, H = config_.hidden;
  auto bos_top = h_bos_[N - 1].expand({B, 1, H});
  if (L == 0) return bos_top;
  auto input = torch::cat({type_embedding_->forward(batch.type), gap_feature(batch.dtime).unsqueeze(-1)}, -1);
  auto h0 = h_bos_.unsqueeze(1).expand({N, B, H}).contiguous();
  torch::Tensor out;
  if (gru_) {
    out = std::get<0>(gru_->forward(input, h0));
  } else {
    auto c0 = c_bos_.unsqueeze(1).expand({N, B, H}).contiguous();
    out = std::get<0>(lstm_->forward(input, std::make_tuple(h0, c0)));
  }
  return torch::cat({bos_top, out}, 1);
}

RnnEncoder::Carry RnnEncoder::initial() const {
  const int64_t N = config_.layers, H = config_.hidden;
  Carry carry;
  carry.hidden = h_bos_.unsqueeze(1).expand({N, 1, H}).contiguous();
  if (lstm_) carry.cell = c_bos_.unsqueeze(1).expand({N, 1, H}).contiguous();
  return carry;
}

void RnnEncoder::step(Carry& carry, int64_t token, double gap, const Context& ctx) {
  auto type = torch::full({1, 1}, token, torch::TensorOptions().dtype(torch::kLong).device(ctx.device));
  auto time = gap_feature(torch::full({1, 1, 1}, gap, carry.hidden.options()));
  auto x = torch::cat({type_embedding_->forward(type), time}, -1).view({1, -1});
  // One step of one sequence, layer by layer through LibTorch's fused cells on the module's own
  // weights (w_ih, w_hh, b_ih, b_hh per layer): the full GRU/LSTM op prepares a whole sequence
  // batch and was 40% of a served RMTPP request. Same arithmetic; evaluation mode (no dropout).
  const auto weights = gru_ ? gru_->all_weights() : lstm_->all_weights();
  const int64_t layers = carry.hidden.size(0);
  std::vector<torch::Tensor> hidden, cell;
  for (int64_t l = 0; l < layers; ++l) {
    const auto* w = &weights[static_cast<std::size_t>(4 * l)];
    if (gru_) {
      x = torch::gru_cell(x, carry.hidden[l], w[0], w[1], w[2], w[3]);
    } else {
      auto next = torch::lstm_cell(x, {carry.hidden[l], carry.cell[l]}, w[0], w[1], w[2], w[3]);
      x = std::get<0>(next);
      cell.push_back(std::get<1>(next));
    }
    hidden.push_back(x);
  }
  carry.hidden = torch::stack(hidden);
  if (!gru_) carry.cell = torch::stack(cell);
}

RnnEncoder::Carry RnnEncoder::step(const Carry& carry, const torch::Tensor& tokens, const torch::Tensor& gaps) {
  auto embedded = tokens.is_floating_point() ? tokens.matmul(type_embedding_->weight).unsqueeze(1)
                                             : type_embedding_->forward(tokens.unsqueeze(1));
  auto input = torch::cat({embedded,
                           gap_feature(gaps.to(carry.hidden.options())).view({-1, 1, 1})},
                          -1);
  Carry next;
  if (gru_) {
    next.hidden = std::get<1>(gru_->forward(input, carry.hidden));
  } else {
    auto out = std::get<1>(lstm_->forward(input, std::make_tuple(carry.hidden, carry.cell)));
    next.hidden = std::get<0>(out);
    next.cell = std::get<1>(out);
  }
  return next;
}

}  // namespace tpp
