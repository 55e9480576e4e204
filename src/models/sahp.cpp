#include "tpp/models/sahp.h"

#include "tpp/models/attention.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

const ConfigFields<SahpConfig>& SahpConfig::fields() {
  static const auto fields =
      ConfigFields<SahpConfig>("sahp")
          .field("d_model", &SahpConfig::d_model, "state width, even and a multiple of heads", rules::positive<int>())
          .field("heads", &SahpConfig::heads, "attention heads", rules::positive<int>())
          .field("layers", &SahpConfig::layers, "attention layers", rules::positive<int>())
          .field("d_ff", &SahpConfig::d_ff, "feed-forward width", rules::positive<int>())
          .field("dropout", &SahpConfig::dropout, "dropout in every layer", rules::probability_below_one())
          .check([](const SahpConfig& c) {
            return c.d_model % c.heads == 0 ? std::string()
                                         : "\"d_model\" must be a multiple of \"heads\", got " + std::to_string(c.d_model) +
                                               " with heads " + std::to_string(c.heads);
          })
          .check([](const SahpConfig& c) {
            return c.d_model % 2 == 0 ? std::string()
                                  : "\"d_model\" must be even (sinusoid pairs), got " + std::to_string(c.d_model);
          });
  return fields;
}

SahpConfig SahpConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  SahpConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json SahpConfig::to_json() const { return write_model_config(fields(), *this); }

SahpImpl::SahpImpl(SahpConfig config) : config_(config) {
  const int64_t D = config_.d_model;
  type_embedding_ = register_module("type_embedding", torch::nn::Embedding(bos_type() + 1, D));
  position_frequency_ = register_buffer("position_frequency", sinusoid_frequencies(D));
  // The paper learns the time phase w; start it at the position frequencies so early training sees
  // a well-spread time encoding.
  time_frequency_ = register_parameter("time_frequency", sinusoid_frequencies(D).clone());
  for (int l = 0; l < config_.layers; ++l) {
    Layer layer;
    const std::string p = "layer" + std::to_string(l) + "_";
    layer.query = register_module(p + "query", torch::nn::Linear(D, D));
    layer.key = register_module(p + "key", torch::nn::Linear(D, D));
    layer.value = register_module(p + "value", torch::nn::Linear(D, D));
    layer.output = register_module(p + "output", torch::nn::Linear(D, D));
    layer.attention_norm = register_module(p + "attention_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
    layer.expand = register_module(p + "expand", torch::nn::Linear(D, config_.d_ff));
    layer.contract = register_module(p + "contract", torch::nn::Linear(config_.d_ff, D));
    layer.feed_forward_norm =
        register_module(p + "feed_forward_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
    layers_.push_back(layer);
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(config_.dropout));
  base_ = register_module("base", torch::nn::Linear(D, config_.num_types));
  peak_ = register_module("peak", torch::nn::Linear(D, config_.num_types));
  decay_ = register_module("decay", torch::nn::Linear(D, config_.num_types));
  {
    // Embedding's default N(0, 1) rows dwarf the unit-amplitude time encoding; scale them alike.
    torch::NoGradGuard no_grad;
    type_embedding_->weight.mul_(1.0 / std::sqrt(static_cast<double>(D)));
  }
  to(torch::kFloat64);
}

History SahpImpl::encode(const Batch& batch) {
  const int64_t B = batch.batch_size(), L = batch.max_length();
  auto options = batch.time.options();
  History history;
  history.batch = batch;
  history.start = torch::cat({torch::zeros({B, 1}, options), batch.time}, 1);

  // Position 0 is a beginning-of-stream event at t_start; position p > 0 is event p − 1. The state
  // of interval i is the output at position i, which has seen BOS and events < i.
  auto bos = torch::full({B, 1}, bos_type(), batch.type.options());
  auto types = torch::cat({bos, batch.type}, 1);
  auto times = history.start;
  auto position = torch::arange(L + 1, options).unsqueeze(0);
  // Time-shifted encoding: sin/cos(ω_i·p + w_i·t_p).
  auto phase = position.unsqueeze(-1) * position_frequency_ + times.unsqueeze(-1) * time_frequency_;
  auto x = type_embedding_->forward(types) + torch::cat({torch::sin(phase), torch::cos(phase)}, -1);
  x = dropout_->forward(x);

  // Causal: position p attends to positions <= p. Padding sits after every real position, so it is
  // never attended to by a real one.
  auto allowed = torch::ones({L + 1, L + 1}, batch.mask.options()).tril();
  for (auto& layer : layers_) {
    auto q = split_heads(layer.query->forward(x), config_.heads);
    auto k = split_heads(layer.key->forward(x), config_.heads);
    auto v = split_heads(layer.value->forward(x), config_.heads);
    auto attended = layer.output->forward(merge_heads(masked_attention(q, k, v, allowed)));
    x = layer.attention_norm->forward(x + dropout_->forward(attended));
    auto feed = layer.contract->forward(torch::gelu(layer.expand->forward(x)));
    x = layer.feed_forward_norm->forward(x + dropout_->forward(feed));
  }
  history.hidden = x;
  history.parts["mu"] = torch::gelu(base_->forward(x));
  history.parts["eta"] = torch::nn::functional::softplus(peak_->forward(x));
  history.parts["gamma"] = torch::nn::functional::softplus(decay_->forward(x));
  return history;
}

torch::Tensor SahpImpl::pre_activation(const History& history, const torch::Tensor& elapsed) const {
  auto mu = history.parts.at("mu").unsqueeze(2);
  auto eta = history.parts.at("eta").unsqueeze(2);
  auto gamma = history.parts.at("gamma").unsqueeze(2);
  return mu + (eta - mu) * torch::exp(-gamma * elapsed.unsqueeze(-1));
}

torch::Tensor SahpImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  return torch::nn::functional::softplus(pre_activation(history, elapsed));
}

torch::Tensor SahpImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  // μ + (η − μ)e^{−γs} is monotone in s (γ > 0), so each type's pre-activation over [0, window] peaks
  // at an end; softplus is increasing.
  auto ends = torch::stack({torch::zeros_like(window), window}, -1);
  auto peak = std::get<0>(pre_activation(history, ends).max(2));  // [B, L+1, K]
  return torch::nn::functional::softplus(peak).sum(-1);
}

TPP_REGISTER_MODEL(sahp, SahpConfig, SahpImpl)

}  // namespace tpp
