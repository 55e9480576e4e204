#include "tpp/models/attnhp.h"

#include <algorithm>
#include <stdexcept>

#include "tpp/core/numerics.h"
#include "tpp/models/attention.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"
#include "tpp/models/user_state.h"

namespace tpp {

const ConfigFields<AttnhpConfig>& AttnhpConfig::fields() {
  static const auto fields =
      ConfigFields<AttnhpConfig>("attnhp")
          .field("d_model", &AttnhpConfig::d_model, "state width, a multiple of heads", model_sizes::width())
          .field("d_time", &AttnhpConfig::d_time, "time embedding width, even", model_sizes::width())
          .field("heads", &AttnhpConfig::heads, "attention heads", model_sizes::heads())
          .field("layers", &AttnhpConfig::layers, "attention layers", model_sizes::layers())
          .field("dropout", &AttnhpConfig::dropout, "dropout in every layer", rules::probability_below_one())
          .check([](const AttnhpConfig& c) {
            return c.d_model % c.heads == 0 ? std::string()
                                         : "\"d_model\" must be a multiple of \"heads\", got " + std::to_string(c.d_model) +
                                               " with heads " + std::to_string(c.heads);
          })
          .check([](const AttnhpConfig& c) {
            return c.d_time % 2 == 0 ? std::string()
                                  : "\"d_time\" must be even (sinusoid pairs), got " + std::to_string(c.d_time);
          });
  return fields;
}

AttnhpConfig AttnhpConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  AttnhpConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json AttnhpConfig::to_json() const { return write_model_config(fields(), *this); }

AttnhpImpl::AttnhpImpl(AttnhpConfig config) : config_(config) {
  const int64_t D = config_.d_model, T = config_.d_time;
  type_embedding_ = register_module("type_embedding", torch::nn::Embedding(bos_type() + 1, D));
  query_seed_ = register_parameter("query_seed", torch::zeros({D}));
  time_frequency_ = register_buffer("time_frequency", sinusoid_frequencies(T));
  for (int l = 0; l < config_.layers; ++l) {
    Layer layer;
    const std::string p = "layer" + std::to_string(l) + "_";
    layer.query = register_module(p + "query", torch::nn::Linear(T + D, D));
    layer.key = register_module(p + "key", torch::nn::Linear(T + D, D));
    layer.value = register_module(p + "value", torch::nn::Linear(T + D, D));
    layer.output = register_module(p + "output", torch::nn::Linear(D, D));
    layers_.push_back(layer);
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(config_.dropout));
  readout_ = register_module("readout", torch::nn::Linear(D, config_.num_types));
  raw_scale_ = register_parameter("raw_scale", torch::full({config_.num_types}, inverse_softplus(1.0)));
  {
    torch::NoGradGuard no_grad;
    const double bound = 1.0 / std::sqrt(static_cast<double>(D));
    type_embedding_->weight.uniform_(-bound, bound);
    query_seed_.uniform_(-bound, bound);
  }
  to(torch::kFloat64);
}

torch::Tensor AttnhpImpl::scale() const { return torch::nn::functional::softplus(raw_scale_); }

torch::Tensor AttnhpImpl::time_embedding(const torch::Tensor& t) const {
  return sinusoid_embedding(t, time_frequency_);
}

torch::Tensor AttnhpImpl::layer_update(Layer& layer, const torch::Tensor& attended) {
  return dropout_->forward(torch::tanh(layer.output->forward(attended)));
}

History AttnhpImpl::encode(const Batch& batch) {
  const int64_t B = batch.batch_size(), L = batch.max_length();
  auto options = batch.time.options();
  History history;
  history.batch = batch;
  history.start = torch::cat({torch::zeros({B, 1}, options), batch.time}, 1);

  auto bos = torch::full({B, 1}, bos_type(), batch.type.options());
  auto types = torch::cat({bos, batch.type}, 1);
  auto time_features = time_embedding(history.start);  // [B, L+1, d_time]
  auto x = type_embedding_->forward(types);            // [[k_p, t_p]]^(0)
  std::vector<torch::Tensor> keys, values;
  for (auto& layer : layers_) {
    auto input = torch::cat({time_features, x}, -1);
    auto k = layer.key->forward(input), v = layer.value->forward(input);
    keys.push_back(k);
    values.push_back(v);
    auto q = layer.query->forward(input);
    // An event's representation attends to strictly earlier events (plus the null slot), i.e. its
    // own history; padding comes after every real position and is never attended to by one.
    auto attended = causal_attention(split_heads(q, config_.heads), split_heads(k, config_.heads),
                                     split_heads(v, config_.heads), /*diagonal=*/-1, /*null_slot=*/true, attention_budget_);
    x = x + layer_update(layer, merge_heads(attended));
  }
  history.parts["keys"] = torch::stack(keys, 2);
  history.parts["values"] = torch::stack(values, 2);
  history.hidden = state_at(history, torch::zeros({B, L + 1, 1}, options)).squeeze(2);
  return history;
}

torch::Tensor AttnhpImpl::state_at(const History& history, const torch::Tensor& elapsed) {
  const int64_t B = elapsed.size(0), I = elapsed.size(1), S = elapsed.size(2), D = config_.d_model;
  // Every query time attends over its interval's history, so all at once is a [B, heads, I·S, I]
  // score tensor: tens of GB for a batch of long sequences (Stack Overflow users reach 736 events).
  // Blocks of intervals [i0, i1) attend only to keys 0..i1-1, which bounds each block's scores to
  // `attention_budget_` elements and halves the total work; rows are independent, so blocking changes nothing.
  const int64_t per_interval = std::max<int64_t>(1, B * config_.heads * S * I);
  const int64_t block = std::clamp<int64_t>(attention_budget_ / per_interval, 1, std::max<int64_t>(1, I));
  const auto& keys = history.parts.at("keys");
  const auto& values = history.parts.at("values");
  // Positions are aligned to the last interval: with P positions and I intervals, interval i sees
  // positions 0..i + (P − I). An encoded batch has P = I; a user state's one open interval sees all.
  const int64_t offset = keys.size(1) - I;
  std::vector<torch::Tensor> blocks;
  for (int64_t i0 = 0; i0 < I; i0 += block) {
    const int64_t i1 = std::min(I, i0 + block), n = i1 - i0, seen = i1 + offset;
    auto start = history.start.slice(1, i0, i1).unsqueeze(-1);
    auto time_features = time_embedding(start + elapsed.slice(1, i0, i1)).reshape({B, n * S, -1});
    auto y = query_seed_.expand({B, n * S, D});
    // A query in interval i sees positions 0..i (BOS and events < i): rows repeat per query time.
    auto allowed = torch::ones({n, seen}, history.batch.mask.options()).tril(i0 + offset).repeat_interleave(S, 0);
    for (size_t l = 0; l < layers_.size(); ++l) {
      Layer& layer = layers_[l];
      const auto level = static_cast<int64_t>(l);
      auto q = layer.query->forward(torch::cat({time_features, y}, -1));
      auto attended = masked_attention(split_heads(q, config_.heads),
                                       split_heads(keys.select(2, level).slice(1, 0, seen), config_.heads),
                                       split_heads(values.select(2, level).slice(1, 0, seen), config_.heads), allowed,
                                       /*null_slot=*/true);
      y = y + layer_update(layer, merge_heads(attended));
    }
    blocks.push_back(y.reshape({B, n, S, D}));
  }
  return blocks.size() == 1 ? blocks.front() : torch::cat(blocks, 1);
}

torch::Tensor AttnhpImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  return scaled_softplus(readout_->forward(state_at(history, elapsed)), scale());
}

torch::Tensor AttnhpImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  // No monotonicity in t, so bound y(t) coordinate-wise over everything a query in interval i could
  // produce. Each head's attention output is Σ_p α_p v_p with α_p >= 0 and Σ α_p <= 1 (the null slot
  // takes the rest), i.e. a convex combination of {0} ∪ {v_p : p <= i}; so each coordinate lies in
  // [min(0, min_p v_pd), max(0, max_p v_pd)] whatever the query time. Interval arithmetic carries the
  // box through the output map, the increasing tanh and the residual sum, and then through the
  // read-out. The bound holds for every s >= 0, so `window` only sets the shape. Dropout is assumed
  // off (evaluation mode), as it is whenever a sampler asks for bounds.
  const auto& values = history.parts.at("values");  // [B, I, layers, D]
  auto low = query_seed_.expand({values.size(0), values.size(1), config_.d_model});
  auto high = low;
  for (size_t l = 0; l < layers_.size(); ++l) {
    auto v = values.select(2, static_cast<int64_t>(l));
    auto v_low = torch::clamp_max(std::get<0>(torch::cummin(v, 1)), 0.0);
    auto v_high = torch::clamp_min(std::get<0>(torch::cummax(v, 1)), 0.0);
    const auto& w = layers_[l].output->weight;  // [D, D]
    const auto& b = layers_[l].output->bias;
    auto w_pos = torch::clamp_min(w, 0.0), w_neg = torch::clamp_max(w, 0.0);
    auto out_low = torch::matmul(v_low, w_pos.t()) + torch::matmul(v_high, w_neg.t()) + b;
    auto out_high = torch::matmul(v_high, w_pos.t()) + torch::matmul(v_low, w_neg.t()) + b;
    low = low + torch::tanh(out_low);
    high = high + torch::tanh(out_high);
  }
  const auto& w = readout_->weight;  // [K, D]
  auto pre_high = torch::matmul(high, torch::clamp_min(w, 0.0).t()) + torch::matmul(low, torch::clamp_max(w, 0.0).t()) +
                  readout_->bias;
  (void)window;
  // One bound per interval: the positions its queries see end at the last I (see state_at).
  const int64_t I = window.size(1);
  return scaled_softplus(pre_high, scale()).sum(-1).narrow(1, pre_high.size(1) - I, I);
}

// An event's representation at every layer attends to strictly earlier positions only, so a new
// event is one position through the layers against the cached keys and values (O(n) per event);
// the open interval's queries then see every position.
class AttnhpState : public UserState {
 public:
  AttnhpState(AttnhpImpl& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model) {
    read(model.bos_type(), 0.0);
  }
  const History& current() override {
    if (!history_) {
      History h = open_history();
      h.parts["keys"] = keys_;
      h.parts["values"] = values_;
      h.hidden = model_.state_at(h, torch::zeros({1, 1, 1}, h.start.options())).squeeze(2);
      history_ = std::make_unique<History>(std::move(h));
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  void read(int64_t token, double relative) {
    auto opts = ctx_.options();
    auto x = model_.type_embedding_->forward(torch::full({1, 1}, token, opts.dtype(torch::kLong)));
    auto time_features = model_.time_embedding(torch::full({1, 1}, relative, opts));
    const int64_t heads = model_.config_.heads, seen = keys_.defined() ? keys_.size(1) : 0;
    std::vector<torch::Tensor> keys, values;
    for (size_t l = 0; l < model_.layers_.size(); ++l) {
      auto& layer = model_.layers_[l];
      auto input = torch::cat({time_features, x}, -1);
      auto k = layer.key->forward(input), v = layer.value->forward(input);
      // Only the null slot before any position: attention returns exactly 0, as in the batch.
      torch::Tensor attended = torch::zeros_like(x);
      if (seen > 0) {
        const auto level = static_cast<int64_t>(l);
        auto allowed = torch::ones({1, seen}, opts.dtype(torch::kBool));
        attended = merge_heads(masked_attention(split_heads(layer.query->forward(input), heads),
                                                split_heads(keys_.select(2, level), heads),
                                                split_heads(values_.select(2, level), heads), allowed, true));
      }
      x = x + model_.layer_update(layer, attended);
      keys.push_back(k);
      values.push_back(v);
    }
    auto k = torch::stack(keys, 2), v = torch::stack(values, 2);  // [1, 1, layers, D]
    keys_ = keys_.defined() ? torch::cat({keys_, k}, 1) : k;
    values_ = values_.defined() ? torch::cat({values_, v}, 1) : v;
    history_.reset();
  }
  void advance(const Event&, double relative, int64_t token, double) override {
    if (model_.is_training()) throw std::logic_error("AttNHP user state runs in evaluation mode only");
    read(token, relative);
  }
  AttnhpImpl& model_;
  torch::Tensor keys_, values_;  // [1, positions, layers, D]
  std::unique_ptr<History> history_;
};

std::unique_ptr<UserState> AttnhpImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<AttnhpState>(*this, schema, user, ctx);
}

TPP_REGISTER_MODEL(attnhp, AttnhpConfig, AttnhpImpl)

}  // namespace tpp
