#include "tpp/models/thp.h"

#include <cmath>
#include <limits>

#include "tpp/core/numerics.h"
#include "tpp/models/attention.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

const ConfigFields<ThpConfig>& ThpConfig::fields() {
  static const auto fields =
      ConfigFields<ThpConfig>("thp")
          .field("d_model", &ThpConfig::d_model, "state width, a multiple of heads", model_sizes::width())
          .field("d_ff", &ThpConfig::d_ff, "feed-forward width", model_sizes::width())
          .field("heads", &ThpConfig::heads, "attention heads", model_sizes::heads())
          .field("layers", &ThpConfig::layers, "attention layers", model_sizes::layers())
          .field("dropout", &ThpConfig::dropout, "dropout in every layer", rules::probability_below_one())
          .field("alpha", &ThpConfig::alpha, "initial α_k (learned, one per type)")
          .field("beta", &ThpConfig::beta, "softplus softness β (fixed)", rules::positive<double>())
          .field("time_guard", &ThpConfig::time_guard, "τ in the slope α_k·s/(t_j + τ)", rules::positive<double>())
          .check([](const ThpConfig& c) {
            return c.d_model % c.heads == 0 ? std::string()
                                         : "\"d_model\" must be a multiple of \"heads\", got " + std::to_string(c.d_model) +
                                               " with heads " + std::to_string(c.heads);
          });
  return fields;
}

ThpConfig ThpConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  ThpConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json ThpConfig::to_json() const { return write_model_config(fields(), *this); }

ThpLayerImpl::ThpLayerImpl(int d_model, int d_ff, int heads, double dropout, bool stimulus_query)
    : heads_(heads) {
  query_ = register_module("query", torch::nn::Linear(d_model, d_model));
  if (stimulus_query) query_stimulus_ = register_module("query_stimulus", torch::nn::Linear(d_model, d_model));
  key_ = register_module("key", torch::nn::Linear(d_model, d_model));
  value_ = register_module("value", torch::nn::Linear(d_model, d_model));
  out_ = register_module("out", torch::nn::Linear(d_model, d_model));
  ff_in_ = register_module("ff_in", torch::nn::Linear(d_model, d_ff));
  ff_out_ = register_module("ff_out", torch::nn::Linear(d_ff, d_model));
  norm_attention_ = register_module("norm_attention", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  norm_ff_ = register_module("norm_ff", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
}

torch::Tensor ThpLayerImpl::forward(const torch::Tensor& x, const AttentionContext& context) {
  const int64_t B = x.size(0), T = x.size(1), D = x.size(2), dh = D / heads_;
  auto split = [&](const torch::Tensor& t) { return t.view({B, T, heads_, dh}).transpose(1, 2); };  // [B, h, T, dh]
  // The 1/√d_h scale goes on the queries ([B, h, T, dh]), not on the [B, h, T, T] scores.
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  auto q = split(query_->forward(x)) * scale;
  torch::Tensor q_stimulus;
  if (query_stimulus_ && context.key_is_stimulus.defined()) q_stimulus = split(query_stimulus_->forward(x)) * scale;
  auto scores_against = [&](const torch::Tensor& keys) {  // [B, h, T, T]
    auto scores = torch::matmul(q, keys.transpose(-2, -1));
    if (q_stimulus.defined())
      scores = torch::where(context.key_is_stimulus.view({B, 1, 1, T}),
                            torch::matmul(q_stimulus, keys.transpose(-2, -1)), scores);
    return scores;
  };
  auto scores = scores_against(split(key_->forward(x)));
  auto values = split(value_->forward(x));
  auto allowed = context.allowed.expand({B, 1, T, T});
  if (context.future_input.defined()) {
    scores = torch::cat({scores, scores_against(split(key_->forward(context.future_input)))}, -1);
    values = torch::cat({values, split(value_->forward(context.future_input))}, 2);
    allowed = torch::cat({allowed, context.future_allowed.expand({B, 1, T, T})}, -1);
  }
  // Every query sees at least one key (the contract above), so LibTorch's fused softmax over the
  // masked scores is safe; it keeps one [B, h, T, T] tensor for backward where a hand-written one
  // keeps three.
  auto attention = dropout_->forward(
      torch::softmax(scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity()), -1));
  auto mixed = torch::matmul(attention, values).transpose(1, 2).reshape({B, T, D});
  auto y = norm_attention_->forward(x + dropout_->forward(out_->forward(mixed)));
  auto ff = ff_out_->forward(torch::gelu(ff_in_->forward(y)));
  return norm_ff_->forward(y + dropout_->forward(ff));
}

torch::Tensor ThpLayerImpl::forward_next(const torch::Tensor& x, Cache& cache, const NextTokenContext& context) {
  if (is_training()) throw std::logic_error("ThpLayer::forward_next runs in evaluation mode only");
  const int64_t D = x.size(2), dh = D / heads_;
  auto split = [&](const torch::Tensor& t) { return t.view({1, t.size(1), heads_, dh}).transpose(1, 2); };  // [1, h, T, dh]
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  auto q = split(query_->forward(x)) * scale;
  torch::Tensor q_stimulus;
  if (query_stimulus_ && context.key_is_stimulus.defined()) q_stimulus = split(query_stimulus_->forward(x)) * scale;
  auto key = split(key_->forward(x)), value = split(value_->forward(x));
  cache.keys = cache.keys.defined() ? torch::cat({cache.keys, key}, 2) : key;
  cache.values = cache.values.defined() ? torch::cat({cache.values, value}, 2) : value;
  auto scores = torch::matmul(q, cache.keys.transpose(-2, -1));  // [1, h, 1, T]
  if (q_stimulus.defined())
    scores = torch::where(context.key_is_stimulus.view({1, 1, 1, -1}),
                          torch::matmul(q_stimulus, cache.keys.transpose(-2, -1)), scores);
  if (context.allowed.defined())
    scores = scores.masked_fill(context.allowed.logical_not().view({1, 1, 1, -1}),
                                -std::numeric_limits<double>::infinity());
  auto values = cache.values;
  if (context.future_input.defined() && context.future_input.size(1) > 0) {
    auto future_keys = split(key_->forward(context.future_input));
    // Keys ahead are stimuli: scored with W^Q_d2x where the layer has it.
    scores = torch::cat({scores, torch::matmul(q_stimulus.defined() ? q_stimulus : q, future_keys.transpose(-2, -1))}, -1);
    values = torch::cat({values, split(value_->forward(context.future_input))}, 2);
  }
  auto mixed = torch::matmul(torch::softmax(scores, -1), values).transpose(1, 2).reshape({1, 1, D});
  auto y = norm_attention_->forward(x + out_->forward(mixed));
  auto ff = ff_out_->forward(torch::gelu(ff_in_->forward(y)));
  return norm_ff_->forward(y + ff);
}

ThpImpl::ThpImpl(ThpConfig config) : config_(std::move(config)) {
  const int D = config_.d_model;
  type_embedding_ = register_module(
      "type_embedding", torch::nn::Embedding(config_.num_types + config_.num_stimulus_types + 1, D));
  for (int l = 0; l < config_.layers; ++l)
    layers_.push_back(register_module("layer" + std::to_string(l), ThpLayer(D, config_.d_ff, config_.heads, config_.dropout)));
  intensity_head_ = register_module("intensity_head", torch::nn::Linear(D, config_.num_types));
  type_head_ = register_module("type_head", torch::nn::Linear(D, config_.num_types));
  time_head_ = register_module("time_head", torch::nn::Linear(D, 1));
  alpha_ = register_parameter("alpha", torch::full({config_.num_types}, config_.alpha));
  to(torch::kFloat64);
}

torch::Tensor thp_temporal_encoding(const torch::Tensor& time, int d_model) {
  auto index = torch::arange(d_model, time.options());
  auto frequency = torch::pow(10000.0, -2.0 * torch::floor(index / 2) / d_model);
  auto angle = time.unsqueeze(-1) * frequency;
  auto even = (torch::arange(d_model, time.options().dtype(torch::kLong)) % 2 == 0);
  return torch::where(even, torch::sin(angle), torch::cos(angle));
}

History ThpImpl::encode(const Batch& batch) {
  History h;
  h.batch = batch;
  const int64_t B = batch.batch_size(), L = batch.max_length();
  auto opts = batch.time.options();
  h.start = torch::cat({torch::zeros({B, 1}, opts), batch.time}, 1);
  const int64_t bos = config_.num_types + config_.num_stimulus_types;
  auto tokens = torch::cat({torch::full({B, 1}, bos, batch.type.options()), batch.type}, 1);  // [B, L+1]
  auto x = embed(tokens, h.start);
  // Causal: token t sees tokens u <= t. Padding sits after every real token, so it is never seen.
  auto allowed = torch::ones({L + 1, L + 1}, opts.dtype(torch::kBool)).tril();
  AttentionContext context;
  context.allowed = allowed;
  for (auto& layer : layers_) x = layer->forward(x, context);
  read_out(h, x);
  return h;
}

torch::Tensor ThpImpl::embed(const torch::Tensor& tokens, const torch::Tensor& time) {
  return type_embedding_->forward(tokens) + thp_temporal_encoding(time, config_.d_model);
}

void ThpImpl::read_out(History& h, const torch::Tensor& hidden) {
  h.hidden = hidden;
  h.parts["base"] = intensity_head_->forward(hidden);
  h.parts["slope"] = 1.0 / (h.start + config_.time_guard);
}

// O(n) per event: each layer keeps the keys and values of the tokens read so far, and the new
// token attends to them (ThpLayer::forward_next) instead of the whole history being re-encoded.
class ThpState : public UserState {
 public:
  ThpState(ThpImpl& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model), caches_(model.layers_.size()) {
    read(model.config_.num_types + model.config_.num_stimulus_types, 0.0);  // BOS at t_start
  }
  const History& current() override {
    if (!history_) {
      History h = open_history();
      model_.read_out(h, top_);
      history_ = std::make_unique<History>(std::move(h));
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  void read(int64_t token, double relative) {
    auto opts = ctx_.options();
    auto x = model_.embed(torch::full({1, 1}, token, opts.dtype(torch::kLong)), torch::full({1, 1}, relative, opts));
    for (std::size_t l = 0; l < caches_.size(); ++l) x = model_.layers_[l]->forward_next(x, caches_[l]);
    top_ = x;
    history_.reset();
  }
  void advance(const Event&, double relative, int64_t token, double) override { read(token, relative); }
  ThpImpl& model_;
  std::vector<ThpLayerImpl::Cache> caches_;
  torch::Tensor top_;  // [1, 1, D]: the last token's top-layer state
  std::unique_ptr<History> history_;
};

std::unique_ptr<UserState> ThpImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<ThpState>(*this, schema, user, ctx);
}

torch::Tensor ThpImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  auto relative = (elapsed * history.parts.at("slope").unsqueeze(-1)).unsqueeze(-1);  // [B, L+1, S, 1]
  auto pre = alpha_ * relative + history.parts.at("base").unsqueeze(2);
  return scaled_softplus(pre, config_.beta);
}

torch::Tensor upper_bound_at_window_ends(Model& model, const History& history, const torch::Tensor& window) {
  auto ends = torch::stack({torch::zeros_like(window), window}, -1);  // [B, L+1, 2]
  return std::get<0>(model.intensity(history, ends).max(2)).sum(-1);
}

torch::Tensor ThpImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  return upper_bound_at_window_ends(*this, history, window);
}

torch::Tensor ThpImpl::type_logits(const History& history) { return type_head_->forward(history.hidden); }

torch::Tensor ThpImpl::predicted_gap(const History& history) { return time_head_->forward(history.hidden).squeeze(-1); }

torch::Tensor ThpImpl::auxiliary_loss(const History& history, const nlohmann::json& weights) {
  return thp_auxiliary_loss(history.batch, type_logits(history), predicted_gap(history), weights);
}

torch::Tensor thp_auxiliary_loss(const Batch& b, const torch::Tensor& type_logits,
                                 const torch::Tensor& predicted_gap, const nlohmann::json& weights) {
  const int64_t L = b.max_length();
  const double type_weight = weights.value("type", 0.0), time_weight = weights.value("time", 0.0);
  auto total = torch::zeros({b.batch_size(), L}, b.t_end.options());
  if (L == 0) return total;
  auto zero = torch::zeros({}, total.options());
  const auto& scored = b.action_mask;
  if (type_weight != 0) {
    auto log_p = torch::log_softmax(type_logits.narrow(1, 0, L), -1);
    auto target = torch::where(scored, b.type, torch::zeros_like(b.type));
    auto ce = -log_p.gather(2, target.unsqueeze(-1)).squeeze(-1);
    total = total + type_weight * torch::where(scored, ce, zero);
  }
  if (time_weight != 0) {
    auto error = predicted_gap.narrow(1, 0, L) - b.dtime;
    total = total + time_weight * torch::where(scored, error * error, zero);
  }
  return total;
}

TPP_REGISTER_MODEL(thp, ThpConfig, ThpImpl)

}  // namespace tpp
