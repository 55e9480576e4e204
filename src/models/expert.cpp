#include "tpp/models/expert.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

struct VariantFlags {
  bool stimulus_query, user_features, causal_mask, event_meta;
};

// The paper's ablation variants (Table 3), cumulative from THP to the full model.
const std::map<std::string, VariantFlags>& variants() {
  static const std::map<std::string, VariantFlags> table{
      {"thp", {false, false, false, false}},       {"p_user", {false, true, false, false}},
      {"ext", {true, false, false, false}},        {"ext_p_user", {true, true, false, false}},
      {"ext_p_user_cm", {true, true, true, false}}, {"full", {true, true, true, true}}};
  return table;
}

std::vector<std::string> variant_names() {
  std::vector<std::string> names;
  for (const auto& item : variants()) names.push_back(item.first);
  return names;
}

// A flag whose default is the preset of the variant read before it.
std::function<bool(const ExpertConfig&)> preset(bool VariantFlags::*flag) {
  return [flag](const ExpertConfig& c) { return variants().at(c.variant).*flag; };
}

}  // namespace

const ConfigFields<ExpertConfig>& ExpertConfig::fields() {
  static const auto fields =
      ConfigFields<ExpertConfig>("expert")
          .include(&ExpertConfig::thp, ThpConfig::fields())
          .field("variant", &ExpertConfig::variant, "ablation preset of the four flags below (Table 3)",
                 rules::one_of(variant_names()))
          .field("stimulus_query", &ExpertConfig::stimulus_query, "Ext: W^Q_d2x scores stimulus keys", Rule<bool>{},
                 preset(&VariantFlags::stimulus_query), "variant preset")
          .field("user_features", &ExpertConfig::user_features, "P(User): x_i += W_u m^u", Rule<bool>{},
                 preset(&VariantFlags::user_features), "variant preset")
          .field("causal_mask", &ExpertConfig::causal_mask, "CM: per-type stimulus visibility from the schema",
                 Rule<bool>{}, preset(&VariantFlags::causal_mask), "variant preset")
          .field("event_meta", &ExpertConfig::event_meta, "Event: x_i += W_e m^e_i", Rule<bool>{},
                 preset(&VariantFlags::event_meta), "variant preset")
          .field("mask_rule", &ExpertConfig::mask_rule,
                 "whose type decides the causal mask: the type being predicted (causal per type) or the query "
                 "event's (the paper's literal eq. 2)",
                 rules::one_of({"predicted_type", "query_type"}))
          .field("future_window", &ExpertConfig::future_window,
                 "attend stimuli up to this far ahead of the interval start (model time units); 0 = off",
                 rules::non_negative<double>(),
                 std::function<double(const ExpertConfig&)>(
                     [](const ExpertConfig& c) { return variants().at(c.variant).causal_mask ? 1.0 : 0.0; }),
                 "1 with the causal mask's variants, else 0")
          .field("text_features", &ExpertConfig::text_features,
                 "text featuriser spec or fitted state (data/text_features.h); null: none",
                 Rule<nlohmann::json>{[](const nlohmann::json& v) { return v.is_null() || v.is_object(); },
                                      "null or an object"});
  return fields;
}

ExpertConfig ExpertConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  ExpertConfig c;
  c.thp.num_types = schema.num_action_types;
  c.thp.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  c.user_feature_dim = schema.user_feature_dim;
  c.event_meta_dim = schema.event_meta_dim;

  const int K = c.thp.num_types, S = c.thp.num_stimulus_types;
  if (c.causal_mask && c.mask_rule == "query_type") {
    // One pass in which every token sees every stimulus; the query's type masks inside it.
    c.visible.assign(1, std::vector<bool>(S, true));
    c.type_pattern.assign(K, 0);
    for (int k = 0; k < K; ++k) {
      c.query_affects.emplace_back(S);
      for (int s = 0; s < S; ++s) c.query_affects[k][s] = schema.stimulus_affects(s, k);
    }
    return c;
  }
  // Group action types by the set of stimulus types they may see.
  for (int k = 0; k < K; ++k) {
    std::vector<bool> visible(S);
    for (int s = 0; s < S; ++s) visible[s] = !c.causal_mask || schema.stimulus_affects(s, k);
    auto found = std::find(c.visible.begin(), c.visible.end(), visible);
    c.type_pattern.push_back(static_cast<int>(found - c.visible.begin()));
    if (found == c.visible.end()) c.visible.push_back(std::move(visible));
  }
  return c;
}

nlohmann::json ExpertConfig::to_json() const { return write_model_config(fields(), *this); }

ExpertImpl::ExpertImpl(ExpertConfig config) : config_(std::move(config)) {
  const ThpConfig& c = config_.thp;
  const int D = c.d_model;
  type_embedding_ =
      register_module("type_embedding", torch::nn::Embedding(c.num_types + c.num_stimulus_types + 1, D));
  // No biases: the type embedding already gives every token its offset.
  if (config_.user_features && config_.user_feature_dim > 0)
    user_projection_ = register_module(
        "user_projection", torch::nn::Linear(torch::nn::LinearOptions(config_.user_feature_dim, D).bias(false)));
  if (config_.event_meta && config_.event_meta_dim > 0)
    meta_projection_ = register_module(
        "meta_projection", torch::nn::Linear(torch::nn::LinearOptions(config_.event_meta_dim, D).bias(false)));
  for (int l = 0; l < c.layers; ++l)
    layers_.push_back(register_module("layer" + std::to_string(l),
                                      ThpLayer(D, c.d_ff, c.heads, c.dropout, config_.stimulus_query)));
  intensity_head_ = register_module("intensity_head", torch::nn::Linear(D, c.num_types));
  type_head_ = register_module("type_head", torch::nn::Linear(D, c.num_types));
  time_head_ = register_module("time_head", torch::nn::Linear(D, 1));
  alpha_ = register_parameter("alpha", torch::full({c.num_types}, c.alpha));

  const int64_t P = num_patterns(), S = c.num_stimulus_types;
  visible_ = torch::zeros({P, std::max<int64_t>(S, 1)}, torch::kBool);
  for (int64_t p = 0; p < P; ++p)
    for (int64_t s = 0; s < S; ++s) visible_[p][s] = static_cast<bool>(config_.visible[p][s]);
  type_pattern_ = torch::tensor(std::vector<int64_t>(config_.type_pattern.begin(), config_.type_pattern.end()));
  if (!config_.query_affects.empty()) {
    query_affects_ = torch::zeros({c.num_types, std::max<int64_t>(S, 1)}, torch::kBool);
    for (int64_t k = 0; k < c.num_types; ++k)
      for (int64_t s = 0; s < S; ++s) query_affects_[k][s] = static_cast<bool>(config_.query_affects[k][s]);
  }
  to(torch::kFloat64);
}

torch::Tensor ExpertImpl::input_encoding(const Batch& batch, const torch::Tensor& start) {
  const int64_t B = batch.batch_size();
  const ThpConfig& c = config_.thp;
  const int64_t bos = c.num_types + c.num_stimulus_types;
  auto tokens = torch::cat({torch::full({B, 1}, bos, batch.type.options()), batch.type}, 1);
  auto x = type_embedding_->forward(tokens) + thp_temporal_encoding(start, c.d_model);
  if (user_projection_) {
    if (!batch.user_features.defined() || batch.user_features.size(1) != config_.user_feature_dim)
      throw Error("expert: the data's user features do not match the model's " +
                  std::to_string(config_.user_feature_dim) + " dimensions");
    x = x + user_projection_->forward(batch.user_features).unsqueeze(1);
  }
  if (meta_projection_) {
    if (!batch.event_meta.defined() || batch.event_meta.size(2) != config_.event_meta_dim)
      throw Error("expert: the data's event metadata do not match the model's " +
                  std::to_string(config_.event_meta_dim) + " dimensions");
    auto meta = meta_projection_->forward(batch.event_meta);  // [B, L, D]
    x = x + torch::cat({torch::zeros({B, 1, c.d_model}, meta.options()), meta}, 1);
  }
  return x;
}

History ExpertImpl::encode(const Batch& batch) {
  const ThpConfig& c = config_.thp;
  History h;
  h.batch = batch;
  const int64_t B = batch.batch_size(), T = batch.max_length() + 1, D = c.d_model, K = c.num_types;
  auto opts = batch.time.options();
  auto bool_opts = opts.dtype(torch::kBool);
  auto device = batch.time.device();
  h.start = torch::cat({torch::zeros({B, 1}, opts), batch.time}, 1);  // [B, T]
  auto x0 = input_encoding(batch, h.start);

  auto is_stimulus = torch::cat({torch::zeros({B, 1}, bool_opts), batch.is_stimulus}, 1);
  auto real = torch::cat({torch::ones({B, 1}, bool_opts), batch.mask}, 1);
  auto tokens = torch::cat({torch::zeros({B, 1}, batch.type.options()), batch.type}, 1);
  auto stimulus_type = torch::where(is_stimulus, tokens - K, torch::zeros_like(tokens));
  auto position = torch::arange(T, batch.type.options()).expand({B, T});
  auto causal = torch::ones({T, T}, bool_opts).tril();

  AttentionContext context;
  if (config_.stimulus_query) context.key_is_stimulus = is_stimulus;
  torch::Tensor ahead;  // [B, T, T]: real stimulus key u after query t, within the window
  if (config_.future_window > 0) {
    auto later = causal.logical_not();
    auto near = (h.start.unsqueeze(1) - h.start.unsqueeze(2)) <= config_.future_window;
    ahead = later & near & (is_stimulus & real).unsqueeze(1);
    context.future_input = x0;
  }

  // The paper's mask: an action query of type k sees stimulus keys of the types that affect k.
  torch::Tensor query_sees;  // [B, T, T] or undefined
  if (query_affects_.defined()) {
    auto is_action = real & is_stimulus.logical_not() & (position > 0);
    auto action_type = torch::where(is_action, tokens, torch::zeros_like(tokens));
    auto affects = query_affects_.to(device).index({action_type.unsqueeze(2), stimulus_type.unsqueeze(1)});
    query_sees = is_stimulus.logical_not().unsqueeze(1) | is_action.logical_not().unsqueeze(2) | affects;
  }

  auto visible_patterns = visible_.to(device);
  auto type_pattern = type_pattern_.to(device);
  auto base = torch::zeros({B, T, K}, opts), logits = torch::zeros({B, T, K}, opts);
  auto offset = torch::zeros({B, T, K}, opts), slope = torch::zeros({B, T, K}, opts);
  auto hidden = torch::zeros({B, T, D}, opts);
  for (int64_t p = 0; p < num_patterns(); ++p) {
    auto visible = is_stimulus.logical_not() | visible_patterns[p].index({stimulus_type});  // [B, T]
    auto sees = visible.unsqueeze(1);  // [B, 1, T]: key u is visible to every query
    if (query_sees.defined()) sees = sees & query_sees;
    context.allowed = (causal.unsqueeze(0) & sees).unsqueeze(1);
    if (ahead.defined()) context.future_allowed = (ahead & sees).unsqueeze(1);
    auto x = x0;
    for (auto& layer : layers_) x = layer->forward(x, context);
    // Interval i is governed by the last visible token at or before i (BOS is always visible).
    auto last = std::get<0>(torch::cummax(torch::where(visible, position, torch::zeros_like(position)), 1));
    auto z = x.gather(1, last.unsqueeze(-1).expand({B, T, D}));
    auto anchor = h.start.gather(1, last).unsqueeze(-1);  // [B, T, 1]
    auto mine = (type_pattern == p);                      // [K]
    base = torch::where(mine, intensity_head_->forward(z), base);
    logits = torch::where(mine, type_head_->forward(z), logits);
    offset = torch::where(mine, h.start.unsqueeze(-1) - anchor, offset);
    slope = torch::where(mine, 1.0 / (anchor + c.time_guard), slope);
    hidden = hidden + z / static_cast<double>(num_patterns());
  }
  h.hidden = hidden;
  h.parts["base"] = base;
  h.parts["offset"] = offset;
  h.parts["slope"] = slope;
  h.parts["type_logits"] = logits;
  return h;
}

torch::Tensor ExpertImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  auto since_anchor = history.parts.at("offset").unsqueeze(2) + elapsed.unsqueeze(-1);  // [B, T, S, K]
  auto pre = alpha_ * since_anchor * history.parts.at("slope").unsqueeze(2) + history.parts.at("base").unsqueeze(2);
  return scaled_softplus(pre, config_.thp.beta);
}

torch::Tensor ExpertImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  // Each pre-activation is linear in the elapsed time, so each λ_k peaks at an end of the window.
  return upper_bound_at_window_ends(*this, history, window);
}

torch::Tensor ExpertImpl::predicted_gap(const History& history) {
  return time_head_->forward(history.hidden).squeeze(-1);
}

torch::Tensor ExpertImpl::auxiliary_loss(const History& history, const nlohmann::json& weights) {
  return thp_auxiliary_loss(history.batch, type_logits(history), predicted_gap(history), weights);
}

TPP_REGISTER_MODEL(expert, ExpertConfig, ExpertImpl)

}  // namespace tpp
