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
#include "tpp/models/user_state.h"

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

void ExpertImpl::check_user_features(const torch::Tensor& user_features) const {
  if (user_projection_ && (!user_features.defined() || user_features.size(1) != config_.user_feature_dim))
    throw Error("expert: the data's user features do not match the model's " +
                std::to_string(config_.user_feature_dim) + " dimensions");
}

void ExpertImpl::check_event_meta(const torch::Tensor& event_meta) const {
  if (meta_projection_ && (!event_meta.defined() || event_meta.size(2) != config_.event_meta_dim))
    throw Error("expert: the data's event metadata do not match the model's " +
                std::to_string(config_.event_meta_dim) + " dimensions");
}

torch::Tensor ExpertImpl::embed(const torch::Tensor& tokens, const torch::Tensor& time,
                                const torch::Tensor& user_features, const torch::Tensor& meta) {
  auto x = type_embedding_->forward(tokens) + thp_temporal_encoding(time, config_.thp.d_model);
  if (user_projection_) x = x + user_projection_->forward(user_features).unsqueeze(1);
  if (meta_projection_) x = x + meta_projection_->forward(meta);
  return x;
}

torch::Tensor ExpertImpl::input_encoding(const Batch& batch, const torch::Tensor& start) {
  const int64_t B = batch.batch_size();
  const ThpConfig& c = config_.thp;
  check_user_features(batch.user_features);
  check_event_meta(batch.event_meta);
  const int64_t bos = c.num_types + c.num_stimulus_types;
  auto tokens = torch::cat({torch::full({B, 1}, bos, batch.type.options()), batch.type}, 1);
  torch::Tensor meta;  // BOS carries no metadata
  if (meta_projection_)
    meta = torch::cat({torch::zeros({B, 1, config_.event_meta_dim}, batch.event_meta.options()), batch.event_meta}, 1);
  return embed(tokens, start, batch.user_features, meta);
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

// O(n) per event, like THP's cache, for each stimulus-visibility pattern: pattern p is THP (with
// the stimulus query and the query-type mask) over the tokens it can see, since its invisible
// stimuli are removed from every query's keys and never read out. Imminent stimuli make earlier
// tokens depend on a later one: a stimulus at time s enters the attention of every token of its
// patterns at or after s − w, so those tokens are read again, from the first of them, with the
// caches cut back to it. With w = 0 a new event is one token read per pattern that sees it. The
// open interval sees no stimulus ahead (none is observed yet), as the encode of the same prefix.
class ExpertState : public UserState {
 public:
  ExpertState(ExpertImpl& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model), patterns_(model.num_patterns()) {
    user_features_ = empty_batch().user_features;
    model.check_user_features(user_features_);  // each event's metadata is checked as it arrives
    const auto& c = model.config_;
    type_pattern_ = model.type_pattern_.to(ctx.device);
    for (auto& p : patterns_) p.caches.resize(model.layers_.size());
    add({c.thp.num_types + c.thp.num_stimulus_types, 0.0, false, -1, -1, Event{}, torch::Tensor()});  // BOS at t_start
  }

  const History& current() override {
    if (history_) return *history_;
    const ThpConfig& c = model_.config_.thp;
    History h = open_history();
    auto opts = h.start.options();
    const int64_t K = c.num_types, P = static_cast<int64_t>(patterns_.size());
    auto base = torch::zeros({1, 1, K}, opts), logits = torch::zeros({1, 1, K}, opts);
    auto offset = torch::zeros({1, 1, K}, opts), slope = torch::zeros({1, 1, K}, opts);
    auto hidden = torch::zeros({1, 1, c.d_model}, opts);
    for (int64_t p = 0; p < P; ++p) {
      const Pattern& pattern = patterns_[p];
      const auto& z = pattern.top;
      auto anchor = torch::full({1, 1, 1}, tokens_[pattern.members.back()].time, opts);
      auto mine = (type_pattern_ == p);
      base = torch::where(mine, model_.intensity_head_->forward(z), base);
      logits = torch::where(mine, model_.type_head_->forward(z), logits);
      offset = torch::where(mine, h.start.unsqueeze(-1) - anchor, offset);
      slope = torch::where(mine, 1.0 / (anchor + c.time_guard), slope);
      hidden = hidden + z / static_cast<double>(P);
    }
    h.hidden = hidden;
    h.parts["base"] = base;
    h.parts["offset"] = offset;
    h.parts["slope"] = slope;
    h.parts["type_logits"] = logits;
    history_ = std::make_unique<History>(std::move(h));
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  struct Token {
    int64_t id;             // batch token: action k, stimulus K + s, BOS K + K_s
    double time;            // relative to t_start
    bool stimulus;
    int64_t stimulus_type;  // s, or −1
    int64_t action_type;    // k, or −1 (stimuli and BOS)
    Event event;            // for its metadata
    torch::Tensor x0;       // [1, 1, D] input encoding
  };
  struct Pattern {
    std::vector<int64_t> members;                  // indices into tokens_ it can see, in order
    std::vector<ThpLayerImpl::Cache> caches;       // per layer, over the members read so far
    std::vector<uint8_t> member_is_stimulus;       // per member (bool bytes for the key mask)
    torch::Tensor top;                             // [1, 1, D]: the last member's top-layer state
  };

  void advance(const Event& event, double relative, int64_t token, double) override {
    const int64_t K = model_.config_.thp.num_types;
    add({token, relative, event.is_stimulus, event.is_stimulus ? token - K : -1, event.is_stimulus ? -1 : token,
         event, torch::Tensor()});
  }

  void add(Token token) {
    const auto& c = model_.config_;
    auto opts = ctx_.options();
    torch::Tensor meta;
    if (model_.meta_projection_) {
      const auto& m = token.event.meta;
      if (!m.empty() && static_cast<int>(m.size()) != c.event_meta_dim)
        throw Error("user state: event metadata has " + std::to_string(m.size()) + " values, the model " +
                    std::to_string(c.event_meta_dim));
      meta = m.empty() ? torch::zeros({1, 1, c.event_meta_dim}, opts)
                       : torch::tensor(std::vector<double>(m.begin(), m.end()), opts).view({1, 1, -1});
    }
    token.x0 = model_.embed(torch::full({1, 1}, token.id, opts.dtype(torch::kLong)),
                            torch::full({1, 1}, token.time, opts), user_features_, meta);
    tokens_.push_back(std::move(token));
    const int64_t index = static_cast<int64_t>(tokens_.size()) - 1;
    const Token& added = tokens_.back();
    for (std::size_t p = 0; p < patterns_.size(); ++p) {
      if (added.stimulus && !c.visible[p][added.stimulus_type]) continue;
      Pattern& pattern = patterns_[p];
      pattern.members.push_back(index);
      pattern.member_is_stimulus.push_back(added.stimulus ? 1 : 0);
      int64_t from = static_cast<int64_t>(pattern.members.size()) - 1;
      // The batch's window test, (start_u − start_t) <= w, on the same numbers.
      if (added.stimulus && c.future_window > 0)
        while (from > 0 && added.time - tokens_[pattern.members[from - 1]].time <= c.future_window) --from;
      for (auto& cache : pattern.caches) {
        if (from == 0) {
          cache = {};
        } else if (cache.keys.defined() && cache.keys.size(2) > from) {
          cache.keys = cache.keys.narrow(2, 0, from);
          cache.values = cache.values.narrow(2, 0, from);
        }
      }
      for (int64_t j = from; j < static_cast<int64_t>(pattern.members.size()); ++j) pattern.top = read(pattern, j);
    }
    history_.reset();
  }

  // A stimulus key u is open to query token q under the paper's query-type mask.
  bool query_sees(const Token& q, const Token& u) const {
    const auto& affects = model_.config_.query_affects;
    if (affects.empty() || !u.stimulus || q.action_type < 0) return true;
    return affects[q.action_type][u.stimulus_type];
  }

  // Member j's top-layer state, its keys and values appended to the caches (which hold members < j).
  torch::Tensor read(Pattern& pattern, int64_t j) {
    const auto& c = model_.config_;
    const Token& q = tokens_[pattern.members[j]];
    const auto device = ctx_.device;
    ThpLayerImpl::NextTokenContext context;
    if (c.stimulus_query)
      context.key_is_stimulus = torch::from_blob(pattern.member_is_stimulus.data(), {j + 1}, torch::kBool).clone().to(device);
    if (!c.query_affects.empty() && q.action_type >= 0) {
      std::vector<uint8_t> allowed(j + 1);
      for (int64_t u = 0; u <= j; ++u) allowed[u] = query_sees(q, tokens_[pattern.members[u]]);
      context.allowed = torch::from_blob(allowed.data(), {j + 1}, torch::kBool).clone().to(device);
    }
    if (c.future_window > 0) {
      std::vector<torch::Tensor> ahead;
      for (std::size_t u = j + 1; u < pattern.members.size(); ++u) {
        const Token& key = tokens_[pattern.members[u]];
        if (key.stimulus && key.time - q.time <= c.future_window && query_sees(q, key)) ahead.push_back(key.x0);
      }
      if (!ahead.empty()) context.future_input = torch::cat(ahead, 1);
    }
    auto x = q.x0;
    for (std::size_t l = 0; l < pattern.caches.size(); ++l) x = model_.layers_[l]->forward_next(x, pattern.caches[l], context);
    return x;
  }

  ExpertImpl& model_;
  torch::Tensor user_features_;  // [1, F] or undefined
  torch::Tensor type_pattern_;   // [K]
  std::vector<Token> tokens_;    // BOS first, then every observed event
  std::vector<Pattern> patterns_;
  std::unique_ptr<History> history_;
};

std::unique_ptr<UserState> ExpertImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<ExpertState>(*this, schema, user, ctx);
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
