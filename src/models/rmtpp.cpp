#include "tpp/models/rmtpp.h"
#include "tpp/models/rnn_encoder_state.h"

#include "tpp/models/gompertz_law.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

const ConfigFields<RmtppConfig>& RmtppConfig::fields() {
  static const auto fields =
      ConfigFields<RmtppConfig>("rmtpp")
          .field("embed_dim", &RmtppConfig::embed_dim, "type embedding size", model_sizes::width())
          .field("hidden", &RmtppConfig::hidden, "RNN state size", model_sizes::width())
          .field("layers", &RmtppConfig::layers, "stacked RNN layers", model_sizes::layers())
          .field("cell", &RmtppConfig::cell, "recurrent cell", rules::one_of({"gru", "lstm"}))
          .field("dropout", &RmtppConfig::dropout, "dropout between RNN layers and on h before the heads",
                 rules::probability_below_one())
          .field("w_init", &RmtppConfig::w_init, "initial time slope w");
  return fields;
}

RmtppConfig RmtppConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  RmtppConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json RmtppConfig::to_json() const { return write_model_config(fields(), *this); }

RmtppImpl::RmtppImpl(RmtppConfig config) : config_(std::move(config)) {
  RnnEncoderConfig encoder;
  encoder.embed_dim = config_.embed_dim;
  encoder.hidden = config_.hidden;
  encoder.layers = config_.layers;
  encoder.cell = config_.cell;
  encoder.dropout = config_.dropout;
  encoder.gap_input = "raw";  // Du et al.'s input
  encoder_ = RnnEncoder(*this, config_.num_types + config_.num_stimulus_types, encoder);
  const int H = config_.hidden;
  dropout_ = register_module("dropout", torch::nn::Dropout(config_.dropout));
  base_head_ = register_module("base_head", torch::nn::Linear(H, 1));
  mark_head_ = register_module("mark_head", torch::nn::Linear(H, config_.num_types));
  w_ = register_parameter("w", torch::tensor(config_.w_init));
  to(torch::kFloat64);
}

History RmtppImpl::encode(const Batch& batch) {
  History h;
  h.batch = batch;
  const int64_t B = batch.batch_size();
  h.start = torch::cat({torch::zeros({B, 1}, batch.time.options()), batch.time}, 1);
  read_out(h, encoder_.encode(batch));
  return h;
}

void RmtppImpl::read_out(History& h, const torch::Tensor& states) {
  h.hidden = states;
  auto features = dropout_->forward(states);
  h.parts["log_base"] = base_head_->forward(features).squeeze(-1);
  h.parts["log_mark"] = torch::log_softmax(mark_head_->forward(features), -1);
}


std::unique_ptr<UserState> RmtppImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<RnnEncoderState<RmtppImpl>>(*this, schema, user, ctx);
}

torch::Tensor RmtppImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  auto ground = torch::exp(history.parts.at("log_base").unsqueeze(-1) + w_ * elapsed);  // [B, L+1, S]
  return ground.unsqueeze(-1) * torch::exp(history.parts.at("log_mark")).unsqueeze(2);
}

torch::Tensor RmtppImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  // The ground intensity is exp of a linear function of elapsed time: its max is at an end.
  const auto& base = history.parts.at("log_base");
  return torch::exp(base + torch::clamp_min(w_ * window, 0));
}

LikelihoodTerms RmtppImpl::likelihood_terms(const History& h, const IntegralOptions& options) {
  if (options.method != IntegralOptions::Method::Exact) return Model::likelihood_terms(h, options);
  const Batch& batch = h.batch;
  const int64_t L = batch.max_length();
  const auto& base = h.parts.at("log_base");
  auto span = batch.span;
  auto compensator = torch::exp(base) * span * timing::expm1_ratio(w_ * span);  // [B, L+1]
  auto mark = at_action_types(batch, h.parts.at("log_mark").narrow(1, 0, L));
  auto at_event = mark + base.narrow(1, 0, L) + w_ * batch.dtime;
  return {torch::where(batch.action_mask, at_event, torch::zeros({}, at_event.options())), compensator};
}

std::optional<NextEventLaw> RmtppImpl::next_event_law(const History& history) {
  NextEventLaw law;
  law.gap = std::make_unique<GompertzLaw>(history.parts.at("log_base"), w_);
  law.mark_probability = torch::exp(history.parts.at("log_mark"));
  return law;
}

TPP_REGISTER_MODEL(rmtpp, RmtppConfig, RmtppImpl)

}  // namespace tpp
