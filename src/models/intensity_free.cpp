#include "tpp/models/intensity_free.h"
#include "tpp/models/rnn_encoder_state.h"

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"

#include <cmath>

namespace tpp {

IntensityFreeModel::IntensityFreeModel(int num_types, int num_stimulus_types, const RnnEncoderConfig& encoder,
                                       int law_width)
    : num_types_(num_types) {
  encoder_ = RnnEncoder(*this, num_types + num_stimulus_types, encoder);
  dropout_ = register_module("dropout", torch::nn::Dropout(encoder.dropout));
  law_head_ = register_module("law_head", torch::nn::Linear(encoder.hidden, law_width));
  mark_head_ = register_module("mark_head", torch::nn::Linear(encoder.hidden, num_types));
  to(torch::kFloat64);
}

void IntensityFreeModel::set_law_bias(const std::vector<double>& bias) {
  torch::NoGradGuard no_grad;
  if (static_cast<int64_t>(bias.size()) != law_head_->bias.size(0)) throw Error("intensity-free model: law bias size");
  law_head_->bias.copy_(torch::tensor(bias, law_head_->bias.options()));
}

History IntensityFreeModel::encode(const Batch& batch) {
  History h;
  h.batch = batch;
  const int64_t B = batch.batch_size();
  h.start = torch::cat({torch::zeros({B, 1}, batch.time.options()), batch.time}, 1);
  read_out(h, encoder_.encode(batch));
  return h;
}

void IntensityFreeModel::read_out(History& h, const torch::Tensor& states) {
  h.hidden = states;
  auto features = dropout_->forward(states);
  h.parts["law"] = law_head_->forward(features);
  h.parts["log_mark"] = torch::log_softmax(mark_head_->forward(features), -1);
}

torch::Tensor IntensityFreeModel::intensity(const History& history, const torch::Tensor& elapsed) {
  auto hazard = torch::exp(gap_law(history)->log_hazard(elapsed));  // [B, L+1, S]
  return hazard.unsqueeze(-1) * torch::exp(history.parts.at("log_mark")).unsqueeze(2);
}

torch::Tensor IntensityFreeModel::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  return gap_law(history)->hazard_upper_bound(window);
}

LikelihoodTerms IntensityFreeModel::likelihood_terms(const History& h, const IntegralOptions& options) {
  if (options.method != IntegralOptions::Method::Exact) return Model::likelihood_terms(h, options);
  const Batch& batch = h.batch;
  const int64_t L = batch.max_length();
  const auto& raw = h.parts.at("law");
  // Event i closes interval i after dtime[i] = span[i]; its law is interval i's.
  auto at_events = timing_law(raw.narrow(1, 0, L));
  auto log_hazard = at_events->log_hazard(batch.dtime.unsqueeze(-1)).squeeze(-1);  // [B, L]
  auto mark = at_action_types(batch, h.parts.at("log_mark").narrow(1, 0, L));
  // The project's one clamp (core/numerics.h): log λ of max(λ, 1e−12), as the numerical route's
  // safe_log, so a hazard of 0 (a tie, τ = 0, with Burr c > 1) is a large finite penalty.
  auto at_event = torch::clamp_min(mark + log_hazard, std::log(kIntensityFloor));
  // −log S(span) per interval; padded intervals have span 0 and S(0) = 1.
  auto compensator = -timing_law(raw)->log_survival(batch.span.unsqueeze(-1)).squeeze(-1);  // [B, L+1]
  return {torch::where(batch.action_mask, at_event, torch::zeros({}, at_event.options())), compensator};
}

std::optional<NextEventLaw> IntensityFreeModel::next_event_law(const History& history) {
  NextEventLaw law;
  law.gap = gap_law(history);
  law.mark_probability = torch::exp(history.parts.at("log_mark"));
  return law;
}


std::unique_ptr<UserState> IntensityFreeModel::make_state(const Schema& schema, const Sequence& user,
                                                          const Context& ctx) {
  return std::make_unique<RnnEncoderState<IntensityFreeModel>>(*this, schema, user, ctx);
}

}  // namespace tpp
