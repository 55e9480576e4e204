// Checks shared by the neural models (rmtpp, thp, nhp, sahp, attnhp, expert, lognormmix, burr), each run on a tiny model in double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/models/registry.h"

namespace tpp {
namespace {

using Method = IntegralOptions::Method;

// Two action types and one stimulus type; sequence 0 holds a stimulus between actions.
Dataset stimulus_dataset() {
  Dataset d;
  d.schema.num_action_types = 2;
  d.schema.num_stimulus_types = 1;
  d.schema.action_names = {"a", "b"};
  d.schema.stimulus_names = {"s"};
  Sequence s0;
  s0.user = "u0";
  s0.t_start = 0.0;
  s0.t_end = 3.0;
  s0.events = {{0.4, 0, false, {}, {}}, {0.9, 0, true, {}, {}}, {1.3, 1, false, {}, {}}, {2.2, 0, false, {}, {}}};
  Sequence s1;
  s1.user = "u1";
  s1.t_start = 0.0;
  s1.t_end = 2.0;
  s1.events = {{0.7, 1, false, {}, {}}};
  d.sequences = {s0, s1};
  return d;
}

Dataset only(const Dataset& d, std::vector<Sequence> seqs) {
  Dataset out;
  out.schema = d.schema;
  out.sequences = std::move(seqs);
  return out;
}

struct NeuralCase {
  std::string label;
  nlohmann::json config;
  // gtest prints a parameter with its test's name; without this it dumps the struct's bytes.
  friend void PrintTo(const NeuralCase& c, std::ostream* os) { *os << c.label; }
};

class NeuralModelTest : public ::testing::TestWithParam<NeuralCase> {
 protected:
  ModelPtr build(const Schema& schema, std::uint64_t seed = 7) {
    torch::manual_seed(seed);
    auto model = ModelRegistry::instance().create(GetParam().config, schema);
    model->eval();
    return model;
  }
};

// Elapsed times [B, I, G]: G evenly spaced points on [0, span] of every interval.
torch::Tensor grid_over_spans(const torch::Tensor& span, int64_t points) {
  auto fraction = torch::linspace(0.0, 1.0, points, span.options());
  return span.unsqueeze(-1) * fraction;
}

double simpson(const torch::Tensor& values, double span) {
  const int64_t n = values.size(0) - 1;  // even
  auto w = torch::ones({n + 1}, values.options());
  for (int64_t i = 1; i < n; ++i) w[i] = (i % 2 == 1) ? 4.0 : 2.0;
  return (values * w).sum().item<double>() * span / (3.0 * n);
}

TEST_P(NeuralModelTest, MatchesBruteForcePrefixReference) {
  // Each interval is recomputed by encoding only the events before it, one sequence at a time, and
  // its integral by Simpson's rule on a fine grid: the batched encoder must agree at every time.
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  torch::NoGradGuard no_grad;
  Batch full = make_batch(d, Context{});
  History history = model->encode(full);
  const int64_t G = 2001;
  auto full_lambda = model->intensity(history, grid_over_spans(full.span, G));  // [B, L+1, G, K]
  // A model with a closed-form next-event law (lognormmix, burr) has a hazard like τ^(c−1) at 0,
  // which neither rule integrates to 1e−8; its reference integral is −log S of the prefix-encoded
  // law and its likelihood the exact one.
  const bool closed_form = model->next_event_law(history).has_value();
  auto ll = model->log_likelihood(full, {closed_form ? Method::Exact : Method::GaussLegendre, 64});
  for (std::size_t b = 0; b < d.sequences.size(); ++b) {
    const Sequence& seq = d.sequences[b];
    const std::size_t n = seq.events.size();
    double reference = 0.0;
    for (std::size_t i = 0; i <= n; ++i) {
      const double begin = i == 0 ? seq.t_start : seq.events[i - 1].time;
      const double end = i < n ? seq.events[i].time : seq.t_end;
      Sequence prefix = seq;
      prefix.events.assign(seq.events.begin(), seq.events.begin() + static_cast<long>(i));
      prefix.t_end = end;
      Batch pb = make_batch(only(d, {prefix}), Context{});
      History ph = model->encode(pb);
      auto lambda = model->intensity(ph, grid_over_spans(pb.span, G))[0][static_cast<int64_t>(i)];  // [G, K]
      auto batched = full_lambda[static_cast<int64_t>(b)][static_cast<int64_t>(i)];
      EXPECT_LT((lambda - batched).abs().max().item<double>(), 1e-10 * (1 + lambda.abs().max().item<double>()))
          << "sequence " << b << " interval " << i;
      if (closed_form) {
        auto span = torch::full({1, ph.start.size(1), 1}, end - begin, torch::kFloat64);
        reference += model->next_event_law(ph)->gap->log_survival(span)[0][static_cast<int64_t>(i)][0].item<double>();
      } else {
        reference -= simpson(lambda.sum(-1), end - begin);
      }
      if (i < n && !seq.events[i].is_stimulus) reference += std::log(std::max(1e-12, lambda[G - 1][seq.events[i].type].item<double>()));
    }
    EXPECT_NEAR(ll[static_cast<int64_t>(b)].item<double>(), reference, 1e-8) << "sequence " << b;
  }
}

TEST_P(NeuralModelTest, GradientsMatchCentralDifferences) {
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  Batch batch = make_batch(d, Context{});
  const IntegralOptions options{Method::GaussLegendre, 16};
  model->zero_grad();
  model->log_likelihood(batch, options).sum().backward();
  const double eps = 1e-5;
  int checked = 0, nonzero = 0;
  for (auto& item : model->named_parameters()) {
    auto& p = item.value();
    auto flat = p.data().view({-1});
    auto grad = p.grad().defined() ? p.grad().view({-1}) : torch::zeros_like(flat);
    const int64_t n = flat.numel();
    for (int64_t idx : {int64_t{0}, n / 2, n - 1}) {
      torch::NoGradGuard no_grad;
      const double original = flat[idx].item<double>();
      flat[idx] = original + eps;
      const double up = model->log_likelihood(batch, options).sum().item<double>();
      flat[idx] = original - eps;
      const double down = model->log_likelihood(batch, options).sum().item<double>();
      flat[idx] = original;
      const double numeric = (up - down) / (2 * eps);
      const double analytic = grad[idx].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 + 1e-5 * std::fabs(analytic)) << item.key() << "[" << idx << "]";
      ++checked;
      if (std::fabs(analytic) > 1e-4) ++nonzero;
    }
  }
  EXPECT_GT(checked, 9);
  EXPECT_GT(nonzero, checked / 3);  // the check is not passing on vanishing gradients
}

TEST_P(NeuralModelTest, LikelihoodIgnoresOtherSequencesInTheBatch) {
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  torch::NoGradGuard no_grad;
  const IntegralOptions options{Method::GaussLegendre, 32};
  auto both = model->log_likelihood(make_batch(d, Context{}), options);
  auto first = model->log_likelihood(make_batch(only(d, {d.sequences[0]}), Context{}), options);
  auto second = model->log_likelihood(make_batch(only(d, {d.sequences[1]}), Context{}), options);
  // Reversed order pads the short sequence first.
  auto reversed = model->log_likelihood(make_batch(only(d, {d.sequences[1], d.sequences[0]}), Context{}), options);
  EXPECT_NEAR(both[0].item<double>(), first[0].item<double>(), 1e-12);
  EXPECT_NEAR(both[1].item<double>(), second[0].item<double>(), 1e-12);
  EXPECT_NEAR(reversed[0].item<double>(), second[0].item<double>(), 1e-12);
  EXPECT_NEAR(reversed[1].item<double>(), first[0].item<double>(), 1e-12);
}

TEST_P(NeuralModelTest, LaterEventsNeverChangeEarlierIntervals) {
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  torch::NoGradGuard no_grad;
  const Sequence& seq = d.sequences[0];
  Batch base = make_batch(only(d, {seq}), Context{});
  auto elapsed = torch::rand({1, base.max_length() + 1, 64}, torch::kFloat64) * 2.0;
  auto lambda = model->intensity(model->encode(base), elapsed);
  for (std::size_t j = 0; j < seq.events.size(); ++j) {
    Sequence changed = seq;
    const double previous = j == 0 ? seq.t_start : seq.events[j - 1].time;
    changed.events[j].time = 0.5 * (previous + seq.events[j].time);
    if (!changed.events[j].is_stimulus) changed.events[j].type = 1 - changed.events[j].type;
    Batch b = make_batch(only(d, {changed}), Context{});
    auto other = model->intensity(model->encode(b), elapsed);
    const int64_t unaffected = static_cast<int64_t>(j) + 1;  // intervals 0..j
    EXPECT_LT((other.narrow(1, 0, unaffected) - lambda.narrow(1, 0, unaffected)).abs().max().item<double>(), 1e-13)
        << "event " << j;
    // ... while the event does condition what follows it (stimuli included).
    EXPECT_GT((other.narrow(1, unaffected, 1) - lambda.narrow(1, unaffected, 1)).abs().max().item<double>(), 1e-8)
        << "event " << j;
  }
}

TEST_P(NeuralModelTest, UpperBoundHoldsOnDenseRandomQueries) {
  Dataset d = stimulus_dataset();
  for (double weight_scale : {1.0, 4.0}) {  // also a model pushed into saturated, wilder intensities
    auto model = build(d.schema, 11);
    {
      torch::NoGradGuard no_grad;
      for (auto& p : model->parameters()) p.mul_(weight_scale);
    }
    torch::NoGradGuard no_grad;
    Batch batch = make_batch(d, Context{});
    History history = model->encode(batch);
    torch::manual_seed(3);
    auto window = 0.05 + 3.0 * torch::rand({batch.batch_size(), batch.max_length() + 1}, torch::kFloat64);
    const int64_t S = 512;
    auto fraction = torch::cat({torch::zeros({1}, torch::kFloat64), torch::ones({1}, torch::kFloat64),
                                torch::rand({S - 2}, torch::kFloat64)});
    auto elapsed = window.unsqueeze(-1) * fraction;
    auto total = model->intensity(history, elapsed).sum(-1);                  // [B, I, S]
    auto bound = model->intensity_upper_bound(history, window).unsqueeze(-1);  // [B, I, 1]
    ASSERT_EQ(bound.size(0), batch.batch_size());
    ASSERT_EQ(bound.size(1), batch.max_length() + 1);
    auto excess = (total - bound * (1 + 1e-12)).max().item<double>();
    EXPECT_LE(excess, 0.0) << "scale " << weight_scale;
  }
}

TEST_P(NeuralModelTest, MonteCarloIntegralAgreesWithGaussLegendre) {
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  torch::NoGradGuard no_grad;
  Batch batch = make_batch(d, Context{});
  const double exact = model->log_likelihood(batch, {Method::GaussLegendre, 64}).sum().item<double>();
  // The MC estimator is unbiased; its standard error comes from independent replications.
  torch::manual_seed(5);
  const int replications = 40;
  std::vector<double> estimates;
  for (int r = 0; r < replications; ++r)
    estimates.push_back(model->log_likelihood(batch, {Method::MonteCarlo, 4}).sum().item<double>());
  double mean = 0, var = 0;
  for (double e : estimates) mean += e / replications;
  for (double e : estimates) var += (e - mean) * (e - mean) / (replications - 1);
  const double standard_error = std::sqrt(var / replications);
  ASSERT_GT(standard_error, 0.0);
  EXPECT_LT(std::fabs(mean - exact), 4.5 * standard_error);  // t(39): P(|t| > 4.5) < 1e-4
}

TEST_P(NeuralModelTest, ConfigRoundTripsAndSavedModelReloadsIdentically) {
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  auto rebuilt = ModelRegistry::instance().create(model->config(), d.schema);
  EXPECT_EQ(rebuilt->config(), model->config());
  EXPECT_EQ(model->config()["model"], GetParam().config["model"]);
  for (auto& [key, value] : GetParam().config.items()) EXPECT_EQ(model->config()[key], value) << key;
  testing::TempDir dir;
  save_model(dir.file("m.tpp"), model, d.schema, TimeScale{});
  auto loaded = load_model(dir.file("m.tpp"), Context{});
  loaded.model->eval();
  Batch batch = make_batch(d, Context{});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(model->log_likelihood(batch), loaded.model->log_likelihood(batch)));
}

TEST_P(NeuralModelTest, SavedModelLoadsInTheOtherPrecision) {
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  testing::TempDir dir;
  save_model(dir.file("m64.tpp"), model, d.schema, TimeScale{});
  Context single;
  single.dtype = torch::kFloat32;
  auto loaded = load_model(dir.file("m64.tpp"), single);
  loaded.model->eval();
  for (const auto& p : loaded.model->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat32);
  torch::NoGradGuard no_grad;
  auto reference = model->log_likelihood(make_batch(d, Context{}));
  auto in_float32 = loaded.model->log_likelihood(make_batch(d, single)).to(torch::kFloat64);
  // Parameters rounded to float32 (relative 6e-8) move a log-likelihood of a few nats by ~1e-6.
  EXPECT_TRUE(torch::allclose(in_float32, reference, 1e-4, 1e-4)) << in_float32 << reference;

  // And back: a float32 file read into float64 gives the float32 model's values exactly widened.
  save_model(dir.file("m32.tpp"), loaded.model, d.schema, TimeScale{});
  auto widened = load_model(dir.file("m32.tpp"), Context{});
  widened.model->eval();
  for (const auto& p : widened.model->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat64);
  auto in_float64 = widened.model->log_likelihood(make_batch(d, Context{}));
  EXPECT_TRUE(torch::allclose(in_float64, in_float32, 1e-4, 1e-4)) << in_float64 << in_float32;
}

TEST_P(NeuralModelTest, AdamStepsImproveLikelihood) {
  Dataset d = stimulus_dataset();
  auto model = build(d.schema);
  model->train();
  Batch batch = make_batch(d, Context{});
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.02));
  auto objective = [&] { return model->log_likelihood(batch, {Method::GaussLegendre, 16}).sum(); };
  const double before = objective().item<double>();
  for (int step = 0; step < 40; ++step) {
    adam.zero_grad();
    auto loss = -objective();
    loss.backward();
    adam.step();
  }
  const double after = objective().item<double>();
  EXPECT_GT(after, before + 0.1);
}

TEST_P(NeuralModelTest, RejectsBadSizes) {
  Dataset d = stimulus_dataset();
  for (const char* key : {"hidden_size", "hidden", "embed_dim", "d_model", "heads", "layers"}) {
    if (!GetParam().config.contains(key)) continue;
    auto bad = GetParam().config;
    bad[key] = 0;
    EXPECT_THROW(ModelRegistry::instance().create(bad, d.schema), Error) << key;
  }
  auto wrong_type = GetParam().config;
  wrong_type["layers"] = "two";
  wrong_type["hidden_size"] = "two";
  EXPECT_THROW(ModelRegistry::instance().create(wrong_type, d.schema), Error);
}

INSTANTIATE_TEST_SUITE_P(
    Models, NeuralModelTest,
    ::testing::Values(NeuralCase{"rmtpp", {{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}, {"w_init", -0.3}}},
                      NeuralCase{"thp",
                                 {{"model", "thp"}, {"d_model", 4}, {"heads", 2}, {"layers", 2}, {"d_ff", 8},
                                  {"dropout", 0.0}}},
                      NeuralCase{"nhp", {{"model", "nhp"}, {"hidden_size", 4}}},
                      NeuralCase{"lognormmix", {{"model", "lognormmix"}, {"embed_dim", 3}, {"hidden", 4}, {"components", 3}}},
                      NeuralCase{"burr", {{"model", "burr"}, {"embed_dim", 3}, {"hidden", 4}}},
                      NeuralCase{"burr_defective",
                                 {{"model", "burr"}, {"embed_dim", 3}, {"hidden", 4}, {"defective", true}}},
                      NeuralCase{"sahp",
                                 {{"model", "sahp"}, {"d_model", 4}, {"heads", 2}, {"layers", 2}, {"d_ff", 8},
                                  {"dropout", 0.0}}},
                      NeuralCase{"attnhp",
                                 {{"model", "attnhp"}, {"d_model", 4}, {"d_time", 4}, {"heads", 2}, {"layers", 2},
                                  {"dropout", 0.0}}},
                      NeuralCase{"expert",
                                 // Without the imminent-stimulus window, which sees stimuli ahead by design
                                 // (tested in expert_test.cpp), so the prefix checks apply.
                                 {{"model", "expert"}, {"d_model", 4}, {"heads", 2}, {"layers", 2}, {"d_ff", 8},
                                  {"dropout", 0.0}, {"future_window", 0.0}}}),
    [](const ::testing::TestParamInfo<NeuralCase>& info) { return info.param.label; });

}  // namespace
}  // namespace tpp
