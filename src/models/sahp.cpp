#include "tpp/models/sahp.h"

#include <stdexcept>

#include "tpp/models/attention.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"
#include "tpp/models/user_state.h"

namespace tpp {

const ConfigFields<SahpConfig>& SahpConfig::fields() {
  static const auto fields =
      ConfigFields<SahpConfig>("sahp")
          .field("d_model", &SahpConfig::d_model, "state width, even and a multiple of heads", model_sizes::width())
          .field("heads", &SahpConfig::heads, "attention heads", model_sizes::heads())
          .field("layers", &SahpConfig::layers, "attention layers", model_sizes::layers())
          .field("d_ff", &SahpConfig::d_ff, "feed-forward width", model_sizes::width())
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

torch::Tensor SahpImpl::embed(const torch::Tensor& types, const torch::Tensor& times, const torch::Tensor& position) {
  auto phase = position.unsqueeze(-1) * position_frequency_ + times.unsqueeze(-1) * time_frequency_;
  return type_embedding_->forward(types) + torch::cat({torch::sin(phase), torch::cos(phase)}, -1);
}

torch::Tensor SahpImpl::layer_forward(Layer& layer, const torch::Tensor& x, const torch::Tensor& allowed) {
  auto q = split_heads(layer.query->forward(x), config_.heads);
  auto k = split_heads(layer.key->forward(x), config_.heads);
  auto v = split_heads(layer.value->forward(x), config_.heads);
  auto attended = layer.output->forward(merge_heads(masked_attention(q, k, v, allowed)));
  auto y = layer.attention_norm->forward(x + dropout_->forward(attended));
  auto feed = layer.contract->forward(torch::gelu(layer.expand->forward(y)));
  return layer.feed_forward_norm->forward(y + dropout_->forward(feed));
}

torch::Tensor SahpImpl::layer_next(Layer& layer, const torch::Tensor& x, Cache& cache) {
  if (is_training()) throw std::logic_error("SahpImpl::layer_next runs in evaluation mode only");
  auto q = split_heads(layer.query->forward(x), config_.heads);
  auto k = split_heads(layer.key->forward(x), config_.heads);
  auto v = split_heads(layer.value->forward(x), config_.heads);
  cache.keys = cache.keys.defined() ? torch::cat({cache.keys, k}, 2) : k;
  cache.values = cache.values.defined() ? torch::cat({cache.values, v}, 2) : v;
  // The newest position sees every cached one, itself included, as in the batch's causal mask.
  auto allowed = torch::ones({1, cache.keys.size(2)}, torch::TensorOptions().dtype(torch::kBool).device(x.device()));
  auto attended = layer.output->forward(merge_heads(masked_attention(q, cache.keys, cache.values, allowed)));
  auto y = layer.attention_norm->forward(x + attended);
  auto feed = layer.contract->forward(torch::gelu(layer.expand->forward(y)));
  return layer.feed_forward_norm->forward(y + feed);
}

void SahpImpl::read_out(History& history, const torch::Tensor& x) {
  history.hidden = x;
  history.parts["mu"] = torch::gelu(base_->forward(x));
  history.parts["eta"] = torch::nn::functional::softplus(peak_->forward(x));
  history.parts["gamma"] = torch::nn::functional::softplus(decay_->forward(x));
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
  auto position = torch::arange(L + 1, options).unsqueeze(0);
  auto x = dropout_->forward(embed(types, history.start, position));

  // Causal: position p attends to positions <= p. Padding sits after every real position, so it is
  // never attended to by a real one.
  auto allowed = torch::ones({L + 1, L + 1}, batch.mask.options()).tril();
  for (auto& layer : layers_) x = layer_forward(layer, x, allowed);
  read_out(history, x);
  return history;
}

// Position p's output depends on positions <= p only, so a new event is one position through every
// layer against that layer's cached keys and values: O(n) per event instead of a re-encode.
class SahpState : public UserState {
 public:
  SahpState(SahpImpl& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model), caches_(model.layers_.size()) {
    read(model.bos_type(), 0.0);
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
    auto x = model_.embed(torch::full({1, 1}, token, opts.dtype(torch::kLong)), torch::full({1, 1}, relative, opts),
                          torch::full({1, 1}, static_cast<double>(position_), opts));
    for (std::size_t l = 0; l < caches_.size(); ++l) x = model_.layer_next(model_.layers_[l], x, caches_[l]);
    top_ = x;
    ++position_;
    history_.reset();
  }
  void advance(const Event&, double relative, int64_t token, double) override { read(token, relative); }
  SahpImpl& model_;
  std::vector<SahpImpl::Cache> caches_;
  int64_t position_{0};
  torch::Tensor top_;  // [1, 1, D]
  std::unique_ptr<History> history_;
};

std::unique_ptr<UserState> SahpImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<SahpState>(*this, schema, user, ctx);
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
