// ExPERT-specific checks: two-query attention against a loop reference, the per-type causal mask
// (a stimulus cannot move the intensity of a type outside its affects set), the imminent-stimulus
// window without future-action leakage, stimuli outside the losses, personalization, and the THP
// variant being THP. The checks every neural model passes run in neural_test.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/infer/head_prediction.h"
#include "tpp/models/expert.h"
#include "tpp/models/registry.h"
#include "tpp/models/user_state.h"

namespace tpp {
namespace {

// Three action types, two stimulus types: s0 affects {a0}, s1 affects {a1, a2}. User features and
// event metadata on every event.
Dataset shop_dataset() {
  Dataset d;
  d.schema.num_action_types = 3;
  d.schema.num_stimulus_types = 2;
  d.schema.action_names = {"a0", "a1", "a2"};
  d.schema.stimulus_names = {"s0", "s1"};
  d.schema.affects = {{0}, {1, 2}};
  d.schema.user_feature_dim = 2;
  d.schema.event_meta_dim = 3;
  Sequence s;
  s.user = "u";
  s.t_start = 0;
  s.t_end = 6;
  s.features = {0.3, -1.2};
  auto event = [](double t, int k, bool stimulus, float m) {
    return Event{t, k, stimulus, {}, {m, -m, 0.5f * m}};
  };
  s.events = {event(0.5, 0, false, 0.1f), event(1.0, 0, true, 0.7f), event(1.4, 1, false, -0.3f),
              event(2.0, 1, true, 0.2f),  event(2.5, 0, false, 0.9f), event(3.1, 0, true, -0.6f),
              event(3.6, 2, false, 0.4f), event(4.4, 1, false, -0.8f), event(5.0, 1, true, 0.5f)};
  d.sequences = {s};
  return d;
}

Dataset with_sequence(const Dataset& d, Sequence s) {
  Dataset out;
  out.schema = d.schema;
  out.sequences = {std::move(s)};
  return out;
}

nlohmann::json tiny(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json j{{"model", "expert"}, {"d_model", 4}, {"d_ff", 8}, {"heads", 2}, {"layers", 2}, {"dropout", 0.0}};
  j.update(extra);
  return j;
}

ModelPtr build(const nlohmann::json& config, const Schema& schema, std::uint64_t seed = 3) {
  torch::manual_seed(seed);
  auto model = ModelRegistry::instance().create(config, schema);
  model->eval();
  return model;
}

// λ_k(t) [G, K] at absolute times t of the one sequence of `d`: t lies in the interval after the
// last event before it.
torch::Tensor intensity_at(Model& model, const Dataset& d, const std::vector<double>& times) {
  torch::NoGradGuard no_grad;
  Batch batch = make_batch(d, Context{});
  History history = model.encode(batch);
  auto t = torch::tensor(times, torch::kFloat64);
  auto elapsed = (t.view({1, 1, -1}) - history.start.unsqueeze(-1));  // [1, L+1, G]
  auto lambda = model.intensity(history, elapsed)[0];                 // [L+1, G, K]
  const auto& events = d.sequences[0].events;
  std::vector<torch::Tensor> rows;
  for (std::size_t g = 0; g < times.size(); ++g) {
    int64_t interval = 0;
    while (interval < static_cast<int64_t>(events.size()) && events[interval].time < times[g]) ++interval;
    rows.push_back(lambda[interval][static_cast<int64_t>(g)]);
  }
  return torch::stack(rows);
}

std::vector<double> grid(double from, double to, int n) {
  std::vector<double> out;
  for (int i = 1; i <= n; ++i) out.push_back(from + (to - from) * i / n);
  return out;
}

double max_change(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(Expert, GroupsTypesByVisibleStimuliAndReadsVariants) {
  Schema schema = shop_dataset().schema;
  auto full = std::dynamic_pointer_cast<ExpertImpl>(build(tiny(), schema));
  EXPECT_EQ(full->num_patterns(), 2);  // {a0} sees s0, {a1, a2} see s1
  auto unmasked = std::dynamic_pointer_cast<ExpertImpl>(build(tiny({{"causal_mask", false}}), schema));
  EXPECT_EQ(unmasked->num_patterns(), 1);
  auto ext = build(tiny({{"variant", "ext"}}), schema)->config();
  EXPECT_TRUE(ext["stimulus_query"]);
  EXPECT_FALSE(ext["user_features"]);
  EXPECT_FALSE(ext["causal_mask"]);
  EXPECT_FALSE(ext["event_meta"]);
  auto overridden = build(tiny({{"variant", "thp"}, {"causal_mask", true}}), schema)->config();
  EXPECT_TRUE(overridden["causal_mask"]);
  EXPECT_FALSE(overridden["stimulus_query"]);
  EXPECT_THROW(build(tiny({{"variant", "everything"}}), schema), Error);
  EXPECT_THROW(build(tiny({{"future_window", -1.0}}), schema), Error);
  EXPECT_THROW(build(tiny({{"mask_rule", "key_type"}}), schema), Error);
  // The paper puts the imminent-stimulus window in its causal-mask section: on with the mask's variants.
  EXPECT_EQ(full->config()["future_window"], 1.0);
  EXPECT_EQ(build(tiny({{"variant", "ext_p_user_cm"}}), schema)->config()["future_window"], 1.0);
  EXPECT_EQ(ext["future_window"], 0.0);
  EXPECT_EQ(full->config()["mask_rule"], "predicted_type");
  auto paper = std::dynamic_pointer_cast<ExpertImpl>(build(tiny({{"mask_rule", "query_type"}}), schema));
  EXPECT_EQ(paper->num_patterns(), 1);  // one pass, masked by the query's type
  // Variants without a component have none of its parameters.
  auto thp_variant = build(tiny({{"variant", "thp"}}), schema);
  for (const auto& item : thp_variant->named_parameters()) {
    EXPECT_EQ(item.key().find("query_stimulus"), std::string::npos) << item.key();
    EXPECT_EQ(item.key().find("projection"), std::string::npos) << item.key();
  }
}

TEST(Expert, StimulusQueryLayerMatchesALoopReference) {
  torch::manual_seed(5);
  const int64_t T = 5, D = 4, heads = 2, dh = D / heads;
  ThpLayer layer(D, 6, heads, 0.0, /*stimulus_query=*/true);
  layer->to(torch::kFloat64);
  layer->eval();
  auto x = torch::randn({1, T, D}, torch::kFloat64);
  auto x0 = torch::randn({1, T, D}, torch::kFloat64);
  auto stimulus = torch::tensor({false, true, false, true, true}).view({1, T});
  auto allowed = torch::ones({T, T}, torch::kBool).tril();
  auto future = torch::zeros({T, T}, torch::kBool);
  future[0][3] = true;  // query 0 may see the stimulus at 3 through its input encoding
  future[2][4] = true;
  AttentionContext context{allowed, stimulus, x0, future};
  torch::NoGradGuard no_grad;
  auto out = layer->forward(x, context)[0];

  std::map<std::string, torch::Tensor> p;
  for (const auto& item : layer->named_parameters()) p[item.key()] = item.value();
  auto linear = [&](const std::string& name, const torch::Tensor& v) {
    return torch::matmul(p[name + ".weight"], v) + p[name + ".bias"];
  };
  for (int64_t t = 0; t < T; ++t) {
    auto mixed = torch::zeros({D}, torch::kFloat64);
    for (int64_t h = 0; h < heads; ++h) {
      auto head = [&](const torch::Tensor& v) { return v.narrow(0, h * dh, dh); };
      std::vector<double> scores;
      std::vector<torch::Tensor> values;
      for (int64_t u = 0; u < 2 * T; ++u) {
        const bool ahead = u >= T;
        const int64_t key = ahead ? u - T : u;
        if (!(ahead ? future[t][key] : allowed[t][key]).item<bool>()) continue;
        auto source = ahead ? x0[0][key] : x[0][key];
        auto query = head(linear(stimulus[0][key].item<bool>() ? "query_stimulus" : "query", x[0][t]));
        scores.push_back(torch::dot(query, head(linear("key", source))).item<double>() / std::sqrt(double(dh)));
        values.push_back(head(linear("value", source)));
      }
      double norm = 0;
      for (double s : scores) norm += std::exp(s);
      for (std::size_t i = 0; i < scores.size(); ++i)
        mixed.narrow(0, h * dh, dh).add_(values[i] * (std::exp(scores[i]) / norm));
    }
    auto layer_norm = [&](const std::string& name, const torch::Tensor& v) {
      auto centred = v - v.mean();
      auto variance = (centred * centred).mean();
      return centred / torch::sqrt(variance + 1e-5) * p[name + ".weight"] + p[name + ".bias"];
    };
    auto y = layer_norm("norm_attention", x[0][t] + linear("out", mixed));
    auto ff = linear("ff_out", torch::gelu(linear("ff_in", y)));
    auto expected = layer_norm("norm_ff", y + ff);
    EXPECT_LT(max_change(out[t], expected), 1e-12) << "token " << t;
  }
}

TEST(Expert, StimulusCannotMoveTheIntensityOfATypeOutsideItsAffectsSet) {
  Dataset d = shop_dataset();
  const auto times = grid(0.0, 6.0, 240);
  for (bool mask : {true, false}) {
    auto model = build(tiny({{"causal_mask", mask}}), d.schema);
    auto reference = intensity_at(*model, d, times);
    // Stimulus 1 (s0, affects a0) and stimulus 3 (s1, affects a1 and a2): move it, change its text,
    // remove it.
    for (std::size_t j : {std::size_t{1}, std::size_t{3}}) {
      const int s = d.sequences[0].events[j].type;
      for (int change = 0; change < 2; ++change) {
        Sequence seq = d.sequences[0];
        if (change == 0) {
          seq.events[j].time += 0.2;
          seq.events[j].meta = {2.0, 1.0, -3.0};
        } else {
          seq.events.erase(seq.events.begin() + static_cast<std::ptrdiff_t>(j));
        }
        auto perturbed = intensity_at(*model, with_sequence(d, seq), times);
        for (int k = 0; k < 3; ++k) {
          const double moved = max_change(perturbed.select(1, k), reference.select(1, k));
          if (mask && !d.schema.stimulus_affects(s, k))
            EXPECT_LT(moved, 1e-13) << "stimulus " << j << " type " << k << " change " << change;
          else  // affected types (and every type without the mask) do respond to the stimulus
            EXPECT_GT(moved, 1e-6) << "stimulus " << j << " type " << k << " change " << change;
        }
      }
    }
  }
}

TEST(Expert, TypeScoresOfUnaffectedTypesIgnoreTheStimulus) {
  Dataset d = shop_dataset();
  auto model = std::dynamic_pointer_cast<ExpertImpl>(build(tiny(), d.schema));
  Sequence seq = d.sequences[0];
  seq.events[1].meta = {5.0, 5.0, 5.0};  // s0: only a0 may notice
  torch::NoGradGuard no_grad;
  auto before = model->type_logits(model->encode(make_batch(d, Context{})));
  auto after = model->type_logits(model->encode(make_batch(with_sequence(d, seq), Context{})));
  EXPECT_LT(max_change(before.narrow(2, 1, 2), after.narrow(2, 1, 2)), 1e-13);
  EXPECT_GT(max_change(before.select(2, 0), after.select(2, 0)), 1e-6);
}

TEST(Expert, FutureWindowSeesImminentStimuliButNeverFutureActions) {
  Dataset d = shop_dataset();
  const auto& events = d.sequences[0].events;
  const double window = 1.5;
  auto model = build(tiny({{"future_window", window}, {"causal_mask", false}}), d.schema);
  auto closed = build(tiny({{"causal_mask", false}, {"future_window", 0.0}}), d.schema);
  torch::NoGradGuard no_grad;
  auto lambda = [&](Model& m, const Dataset& data) {
    Batch b = make_batch(data, Context{});
    auto elapsed = torch::linspace(0.0, 2.0, 16, torch::kFloat64).expand({1, b.max_length() + 1, 16});
    return m.intensity(m.encode(b), elapsed)[0];  // [L+1, 16, K]
  };
  auto base = lambda(*model, d), closed_base = lambda(*closed, d);
  for (std::size_t j = 0; j < events.size(); ++j) {
    Sequence seq = d.sequences[0];
    seq.events[j].meta = {3.0, -2.0, 1.0};
    if (!seq.events[j].is_stimulus) seq.events[j].type = (seq.events[j].type + 1) % 3;
    auto changed = lambda(*model, with_sequence(d, seq));
    for (std::size_t i = 0; i <= j; ++i) {  // intervals that end at or before event j
      const double interval_start = i == 0 ? 0.0 : events[i - 1].time;
      const bool imminent = events[j].is_stimulus && events[j].time - interval_start <= window;
      const double moved = max_change(changed[static_cast<int64_t>(i)], base[static_cast<int64_t>(i)]);
      if (imminent)
        EXPECT_GT(moved, 1e-8) << "interval " << i << " should see stimulus " << j;
      else
        EXPECT_LT(moved, 1e-13) << "interval " << i << " leaks event " << j;
    }
    // Without the window nothing ahead is seen.
    auto closed_changed = lambda(*closed, with_sequence(d, seq));
    const int64_t before = static_cast<int64_t>(j) + 1;
    EXPECT_LT(max_change(closed_changed.narrow(0, 0, before), closed_base.narrow(0, 0, before)), 1e-13);
  }
}

// The paper's literal mask (eq. 2) against a reference written from the text: an action query of
// type k sees stimulus j only if k ∈ X(k_j); stimulus and BOS queries see every earlier token;
// stimuli ahead are seen inside the window under the same rule. With one layer, token t's output
// depends on event j's input exactly when t may attend to it, so perturbing each event's metadata
// and watching which outputs move reads the mask back.
TEST(Expert, PaperMaskMatchesAReferenceWrittenFromEquationTwo) {
  Dataset d = shop_dataset();
  const auto& events = d.sequences[0].events;
  const double window = 1.0;
  auto model = build(tiny({{"mask_rule", "query_type"}, {"layers", 1}, {"future_window", window}}), d.schema);
  auto reference_sees = [&](std::size_t query, std::size_t key) {  // tokens: 0 = BOS, e + 1 = event e
    if (query == key) return true;
    const Event& k = events[key - 1];
    const double query_time = query == 0 ? 0.0 : events[query - 1].time;
    if (key > query && !(k.is_stimulus && k.time - query_time <= window)) return false;
    if (!k.is_stimulus || query == 0 || events[query - 1].is_stimulus) return true;
    return d.schema.stimulus_affects(k.type, events[query - 1].type);  // a stimulus event's type is its s
  };
  torch::NoGradGuard no_grad;
  auto hidden = [&](const Dataset& data) { return model->encode(make_batch(data, Context{})).hidden[0]; };
  auto base = hidden(d);
  int seen = 0, unseen = 0;
  for (std::size_t j = 0; j < events.size(); ++j) {
    Sequence seq = d.sequences[0];
    seq.events[j].meta = {3.0, -2.0, 1.0};
    auto changed = hidden(with_sequence(d, seq));
    for (std::size_t t = 0; t <= events.size(); ++t) {
      const double moved = max_change(changed[static_cast<int64_t>(t)], base[static_cast<int64_t>(t)]);
      if (reference_sees(t, j + 1)) {
        EXPECT_GT(moved, 1e-8) << "token " << t << " should see event " << j;
        ++seen;
      } else {
        EXPECT_LT(moved, 1e-13) << "token " << t << " must not see event " << j;
        ++unseen;
      }
    }
  }
  EXPECT_GT(unseen, 10);  // the mask does remove keys: some action queries miss some stimuli
  EXPECT_GT(seen, 40);
}

// Why the per-predicted-type mask is the default: under the paper's mask a stimulus still moves an
// action type outside its affects set, on the interval its own token governs and through deeper
// layers (a stimulus query relays it).
TEST(Expert, PaperMaskLetsAStimulusMoveTypesOutsideItsAffectsSet) {
  Dataset d = shop_dataset();
  const auto times = grid(0.0, 6.0, 120);
  Sequence seq = d.sequences[0];
  seq.events[1].meta = {2.0, 1.0, -3.0};  // s0: affects a0 only
  for (const std::string rule : {"predicted_type", "query_type"}) {
    auto model = build(tiny({{"mask_rule", rule}, {"future_window", 0.0}}), d.schema);
    auto moved = max_change(intensity_at(*model, with_sequence(d, seq), times).select(1, 1),
                            intensity_at(*model, d, times).select(1, 1));
    if (rule == "predicted_type")
      EXPECT_LT(moved, 1e-13);
    else
      EXPECT_GT(moved, 1e-6);
  }
}

// Head predictions (--predictor heads) against the heads computed by hand from the parameters.
TEST(Expert, HeadPredictionsAreTheTimeAndTypeHeads) {
  Dataset d = shop_dataset();
  auto model = build(tiny({{"causal_mask", false}}), d.schema);  // one pattern: logits = type_head(hidden)
  torch::NoGradGuard no_grad;
  Batch batch = make_batch(d, Context{});
  History history = model->encode(batch);
  PredictOptions po;
  po.top_k = 2;
  auto p = predict_next_event(*model, history, po, PointPredictor::Heads);
  std::map<std::string, torch::Tensor> w;
  for (const auto& item : model->named_parameters()) w[item.key()] = item.value();
  const int64_t intervals = static_cast<int64_t>(d.sequences[0].events.size()) + 1;
  for (int64_t i = 0; i < intervals; ++i) {
    auto z = history.hidden[0][i];
    const double gap = (torch::dot(w["time_head.weight"][0], z) + w["time_head.bias"][0]).item<double>();
    auto logits = torch::matmul(w["type_head.weight"], z) + w["type_head.bias"];
    auto prob = torch::exp(logits) / torch::exp(logits).sum();
    EXPECT_NEAR(p.expected_time[0][i].item<double>(), gap, 1e-12) << i;
    EXPECT_NEAR(p.median_time[0][i].item<double>(), gap, 1e-12) << i;
    EXPECT_LT(max_change(p.type_probability[0][i], prob), 1e-12) << i;
    EXPECT_EQ(p.predicted_type[0][i].item<int64_t>(), prob.argmax().item<int64_t>()) << i;
    EXPECT_NEAR(p.top_k_probability[0][i][0].item<double>(), prob.max().item<double>(), 1e-12) << i;
    EXPECT_TRUE(p.converged[0][i].item<bool>());
  }
  // The intensity predictor is a different estimate of the same quantities.
  auto q = predict_next_event(*model, history, po, PointPredictor::Intensity);
  EXPECT_GT(max_change(q.expected_time[0], p.expected_time[0]), 1e-6);
  // A model without heads says so.
  auto poisson = ModelRegistry::instance().create({{"model", "poisson"}}, d.schema);
  EXPECT_THROW(predict_next_event(*poisson, poisson->encode(batch), po, PointPredictor::Heads), Error);
  EXPECT_EQ(parse_point_predictor("heads"), PointPredictor::Heads);
  EXPECT_THROW(parse_point_predictor("head"), Error);
}

// The incremental state (models/user_state.h) after each observed event against the encode of
// the same prefix, with every component on: two visibility patterns, the stimulus query, user
// features, metadata, the imminent-stimulus window (a stimulus re-reads the tokens within w before
// it, BOS included at w = 2.5) and the paper's query-type mask. A stimulus tied with an action
// exercises the window's boundary. Intensities at three elapsed times, the type head and the time
// head, to 1e-10 in float64.
TEST(Expert, StateEqualsTheEncodeOfEachPrefix) {
  Dataset d = shop_dataset();
  auto& events = d.sequences[0].events;
  events.insert(events.begin() + 5, Event{2.5, 0, true, {}, {0.3f, -0.3f, 0.15f}});
  const Sequence& seq = d.sequences[0];
  for (const auto& extra : std::vector<nlohmann::json>{
           nlohmann::json::object(), {{"mask_rule", "query_type"}}, {{"future_window", 2.5}}, {{"variant", "ext"}},
           {{"causal_mask", false}, {"future_window", 0.6}}, {{"mask_rule", "query_type"}, {"future_window", 0.0}}}) {
    SCOPED_TRACE(extra.dump());
    auto model = build(tiny(extra), d.schema);
    auto& heads = dynamic_cast<PredictionHeads&>(*model);
    torch::NoGradGuard no_grad;
    Sequence header = seq;
    header.events.clear();
    auto state = model->start(d.schema, header);
    for (std::size_t i = 0; i <= seq.events.size(); ++i) {
      SCOPED_TRACE("after " + std::to_string(i) + " events");
      Sequence prefix = header;
      prefix.events.assign(seq.events.begin(), seq.events.begin() + static_cast<std::ptrdiff_t>(i));
      prefix.t_end = state->last_time();
      History batch = model->encode(make_batch(with_sequence(d, prefix), Context{}));
      const int64_t last = static_cast<int64_t>(i);
      auto elapsed = torch::zeros({1, last + 1, 3}, torch::kFloat64);
      elapsed[0][last] = torch::tensor({0.0, 0.3, 1.7}, torch::kFloat64);
      auto expected = model->intensity(batch, elapsed)[0][last];
      const double t = state->last_time();
      auto got = state->intensity_at(*model, {t, t + 0.3, t + 1.7});
      EXPECT_TRUE(torch::allclose(got, expected, 1e-10, 1e-10)) << got << "\n" << expected;
      const History& open = state->current();
      EXPECT_TRUE(torch::allclose(heads.type_logits(open)[0][0], heads.type_logits(batch)[0][last], 1e-10, 1e-10));
      EXPECT_NEAR(heads.predicted_gap(open)[0][0].item<double>(), heads.predicted_gap(batch)[0][last].item<double>(),
                  1e-10);
      if (i < seq.events.size()) state->observe(seq.events[i]);
    }
  }
}

TEST(Expert, LossesCountUserActionsOnly) {
  Dataset d = shop_dataset();
  auto model = std::dynamic_pointer_cast<ExpertImpl>(build(tiny({{"future_window", 1.0}}), d.schema));
  torch::NoGradGuard no_grad;
  Batch batch = make_batch(d, Context{});
  History history = model->encode(batch);
  const auto& events = d.sequences[0].events;
  auto logits = torch::log_softmax(model->type_logits(history)[0], -1);
  auto gap = model->predicted_gap(history)[0];
  auto elapsed = torch::cat({batch.dtime, torch::zeros({1, 1}, torch::kFloat64)}, 1).unsqueeze(-1);
  auto at_events = model->intensity(history, elapsed)[0].squeeze(1);  // [L+1, K]
  double ce = 0, squared = 0, log_lambda = 0;
  int actions = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].is_stimulus) continue;
    ++actions;
    const auto k = static_cast<int64_t>(events[i].type), row = static_cast<int64_t>(i);
    ce -= logits[row][k].item<double>();
    const double g = events[i].time - (i == 0 ? 0.0 : events[i - 1].time);
    squared += std::pow(g - gap[row].item<double>(), 2);
    log_lambda += std::log(at_events[row][k].item<double>());
  }
  ASSERT_EQ(actions, 5);
  auto aux = model->auxiliary_loss(history, {{"type", 0.7}, {"time", 0.2}});
  EXPECT_NEAR(aux[0].sum().item<double>(), 0.7 * ce + 0.2 * squared, 1e-10);
  auto ll = model->log_likelihood(batch, {IntegralOptions::Method::GaussLegendre, 64});
  auto numeric = [&] {  // ∫ Σ_k λ_k over every interval by Simpson's rule
    double total = 0;
    const int n = 2000;
    for (int64_t i = 0; i <= batch.max_length(); ++i) {
      const double span = batch.span[0][i].item<double>();
      auto e = torch::linspace(0.0, span, n + 1, torch::kFloat64).view({1, 1, -1}).expand({1, batch.max_length() + 1, n + 1});
      auto values = model->intensity(history, e)[0][i].sum(-1);
      auto w = torch::full({n + 1}, 2.0, torch::kFloat64);
      for (int m = 1; m < n; m += 2) w[m] = 4.0;
      w[0] = 1.0;
      w[n] = 1.0;
      total += (values * w).sum().item<double>() * span / (3.0 * n);
    }
    return total;
  }();
  EXPECT_NEAR(ll[0].item<double>(), log_lambda - numeric, 1e-8);
}

TEST(Expert, PersonalizationUsesUserFeaturesAndEventText) {
  Dataset d = shop_dataset();
  Sequence other_user = d.sequences[0];
  other_user.features = {-2.0, 0.5};
  Sequence other_text = d.sequences[0];
  for (auto& e : other_text.events) e.meta = {1.0, 1.0, 1.0};
  const std::vector<std::pair<std::string, std::pair<bool, bool>>> cases{
      {"full", {true, true}}, {"ext_p_user_cm", {true, false}}, {"ext", {false, false}}};
  for (const auto& [variant, uses] : cases) {
    auto model = build(tiny({{"variant", variant}}), d.schema);
    torch::NoGradGuard no_grad;
    auto base = model->log_likelihood(make_batch(d, Context{}));
    auto user = model->log_likelihood(make_batch(with_sequence(d, other_user), Context{}));
    auto text = model->log_likelihood(make_batch(with_sequence(d, other_text), Context{}));
    EXPECT_EQ(std::fabs((user - base).item<double>()) > 1e-8, uses.first) << variant;
    EXPECT_EQ(std::fabs((text - base).item<double>()) > 1e-8, uses.second) << variant;
  }
  // A model with user features refuses data without them.
  Dataset bare = d;
  bare.schema.user_feature_dim = 0;
  bare.sequences[0].features.clear();
  auto model = build(tiny(), d.schema);
  EXPECT_THROW(model->log_likelihood(make_batch(bare, Context{})), Error);
}

TEST(Expert, ThpVariantIsThpWithTheSameWeights) {
  Dataset d = shop_dataset();
  auto thp = build({{"model", "thp"}, {"d_model", 4}, {"d_ff", 8}, {"heads", 2}, {"layers", 2}, {"dropout", 0.0}},
                   d.schema, 1);
  auto expert = build(tiny({{"variant", "thp"}}), d.schema, 2);
  auto source = thp->named_parameters();
  ASSERT_EQ(expert->named_parameters().size(), source.size());
  {
    torch::NoGradGuard no_grad;
    for (auto& item : expert->named_parameters()) item.value().copy_(source[item.key()]);
  }
  torch::NoGradGuard no_grad;
  Batch batch = make_batch(d, Context{});
  EXPECT_LT(max_change(expert->log_likelihood(batch), thp->log_likelihood(batch)), 1e-12);
  nlohmann::json weights{{"type", 1.0}, {"time", 1.0}};
  EXPECT_LT(max_change(expert->auxiliary_loss(expert->encode(batch), weights),
                       thp->auxiliary_loss(thp->encode(batch), weights)),
            1e-12);
}

TEST(Expert, FullModelGradientsMatchCentralDifferences) {
  Dataset d = shop_dataset();
  auto model = build(tiny({{"future_window", 1.0}}), d.schema);
  Batch batch = make_batch(d, Context{});
  const IntegralOptions options{IntegralOptions::Method::GaussLegendre, 8};
  const nlohmann::json weights{{"type", 0.5}, {"time", 0.1}};
  auto objective = [&] {
    History h = model->encode(batch);
    return model->likelihood_terms(h, options).log_likelihood().sum() - model->auxiliary_loss(h, weights).sum();
  };
  model->zero_grad();
  objective().backward();
  const double eps = 1e-5;
  int checked = 0;
  for (auto& item : model->named_parameters()) {
    auto flat = item.value().data().view({-1});
    auto grad = item.value().grad().view({-1});
    for (int64_t idx : {int64_t{0}, flat.numel() - 1}) {
      torch::NoGradGuard no_grad;
      const double original = flat[idx].item<double>();
      flat[idx] = original + eps;
      const double up = objective().item<double>();
      flat[idx] = original - eps;
      const double down = objective().item<double>();
      flat[idx] = original;
      const double numeric = (up - down) / (2 * eps);
      EXPECT_NEAR(grad[idx].item<double>(), numeric, 1e-6 + 1e-5 * std::fabs(numeric)) << item.key() << "[" << idx << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
}

}  // namespace
}  // namespace tpp
