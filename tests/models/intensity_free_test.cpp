// The models with a closed-form next-event law (the intensity-free lognormmix and burr, and rmtpp
// whose gap is Gompertz): exact likelihood against numerical integration,
// closed-form prediction against the quadrature predictor on the same model, exact sampling by a
// time-rescaling KS test, parameter recovery on renewal processes with known laws, and located
// config errors. The checks every neural model shares (gradients, incremental state, save/load)
// run in neural_test.cpp, user_state_test.cpp and state_prediction_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../test_support.h"
#include "closed_form_checks.h"
#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/core/stats.h"
#include "tpp/infer/predict.h"
#include "tpp/infer/sampling.h"
#include "tpp/infer/state_prediction.h"
#include "tpp/models/burr_law.h"
#include "tpp/models/intensity_free.h"
#include "tpp/models/lognormal_mixture_law.h"
#include "tpp/models/registry.h"
#include "tpp/train/mle.h"

namespace tpp {
namespace {

using Method = IntegralOptions::Method;


struct ModelCase {
  std::string label;
  nlohmann::json config;
  friend void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.label; }
};

class IntensityFreeTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  Dataset data() const {
    auto d = testing::make_dataset(3, {{{0.4, 0}, {0.9, 2}, {0.95, 1}, {2.1, 0}, {2.6, 2}}, {{0.3, 1}, {1.7, 0}}},
                                   {3.1, 2.0});
    d.schema.num_stimulus_types = 1;
    d.schema.stimulus_names = {"s"};
    d.sequences[1].events.insert(d.sequences[1].events.begin() + 1, Event{1.1, 0, true, {}, {}});
    return d;
  }
  // E[τ] of the quadrature route: see ClosedFormPredictionMatchesTheQuadraturePredictor.
  double tail_tolerance() const { return GetParam().label == "lognormmix" ? 1e-8 : 2e-5; }
  ModelPtr build(const Dataset& d, int seed = 3) const {
    torch::manual_seed(seed);
    auto model = ModelRegistry::instance().create(GetParam().config, d.schema);
    model->eval();
    return model;
  }
};

TEST_P(IntensityFreeTest, ExactLikelihoodEqualsNumericalIntegration) {
  auto d = data();
  auto model = build(d);
  torch::NoGradGuard no_grad;
  Batch batch = make_batch(d, Context{});
  auto exact = model->log_likelihood(batch, {Method::Exact, 0});
  // Burr's hazard behaves like τ^(c−1) at 0 (c ≈ 1.5 untrained), where an n-point rule errs by
  // O(n^−(c+1)); 2048 nodes put that below 1e−9.
  auto numeric = model->log_likelihood(batch, {Method::GaussLegendre, 2048});
  EXPECT_TRUE(torch::allclose(exact, numeric, 1e-8, 1e-8)) << (exact - numeric);
  // Stimuli add no log term: the action terms are log p_k + log h at the actions only.
  auto terms = model->likelihood_terms(model->encode(batch), {Method::Exact, 0});
  EXPECT_EQ(terms.log_intensity[1][1].item<double>(), 0.0);
}

TEST_P(IntensityFreeTest, ClosedFormPredictionMatchesTheQuadraturePredictor) {
  auto d = data();
  auto model = build(d);
  // The quadrature extrapolates the tail beyond its horizon H as S(H)/λ(H); for Burr's power tail
  // of index c·k that misses ∫_H^∞ S by about H·S(H)/(c·k (c·k − 1)): with S(H) < 1e−10 and the
  // untrained law (c·k ≈ 2.25, H ≈ 1e5) about 4e−6 of E[τ] ≈ 1.2 (tail_tolerance).
  testing::expect_closed_form_matches_quadrature(*model, make_batch(d, Context{}), tail_tolerance());
}

TEST_P(IntensityFreeTest, StatePredictionAfterAQuietPeriodMatchesQuadrature) {
  auto d = data();
  auto model = build(d);
  auto state = model->start(d.schema, d.sequences[0]);
  testing::expect_state_prediction_matches_quadrature(*model, *state, tail_tolerance());
}

// Time-rescaling: on every interval that an event closes, −log S(τ) of its own law is Exp(1),
// independently across intervals, if the sampler draws exactly from the model.
TEST_P(IntensityFreeTest, SimulatedGapsPassTheTimeRescalingTest) {
  auto d = data();
  auto model = build(d, 7);
  torch::NoGradGuard no_grad;
  const Dataset simulated = simulate_dataset(*model, d.schema, 60, 25.0, 11);
  Batch batch = make_batch(simulated, Context{});
  History history = model->encode(batch);
  auto terms = model->likelihood_terms(history, {Method::Exact, 0});
  // A defective law puts mass p on no event: given an event, (S(τ) − p)/(1 − p) is uniform, so
  // −log of it is Exp(1) (for p = 0 it is the compensator −log S(τ) itself).
  auto never = model->next_event_law(history)->gap->never_probability();
  std::vector<double> rescaled;
  for (int64_t b = 0; b < batch.batch_size(); ++b)
    for (int64_t i = 0; i < batch.length[b].item<int64_t>(); ++i) {
      const double p = never[b][i].item<double>(), survival = std::exp(-terms.compensator[b][i].item<double>());
      rescaled.push_back(-std::log((survival - p) / (1 - p)));
    }
  ASSERT_GT(rescaled.size(), 200u);
  const KsResult ks = ks_test_exponential(rescaled);
  EXPECT_LT(ks.statistic, 1.949 / std::sqrt(static_cast<double>(rescaled.size()))) << ks.statistic << " n " << ks.n;
  // The marks follow p(k | h): their probability integral transform is checked by the type
  // counts against Σ p over the same intervals (a 5-sigma band per type).
  auto marks = torch::exp(history.parts.at("log_mark"));
  for (int k = 0; k < 3; ++k) {
    double expected = 0, variance = 0, count = 0;
    for (int64_t b = 0; b < batch.batch_size(); ++b)
      for (int64_t i = 0; i < batch.length[b].item<int64_t>(); ++i) {
        const double p = marks[b][i][k].item<double>();
        expected += p;
        variance += p * (1 - p);
        count += batch.type[b][i].item<int64_t>() == k;
      }
    EXPECT_LT(std::abs(count - expected), 5 * std::sqrt(variance)) << "type " << k;
  }
}

// The next action after a prefix, from the state: the first sampled gap given τ > t_end − last
// follows S(τ)/S(q), the type the interval's marks.
TEST_P(IntensityFreeTest, NextEventSamplesFollowTheConditionalLaw) {
  auto d = data();
  auto model = build(d);
  Sequence prefix = d.sequences[0];
  prefix.t_end = 3.1;  // 0.5 after the last event
  testing::expect_next_event_draws_follow_the_law(*model, d.schema, prefix, 600, 5);
}

INSTANTIATE_TEST_SUITE_P(
    Models, IntensityFreeTest,
    ::testing::Values(
        ModelCase{"lognormmix", {{"model", "lognormmix"}, {"embed_dim", 3}, {"hidden", 4}, {"components", 3}}},
        ModelCase{"burr", {{"model", "burr"}, {"embed_dim", 3}, {"hidden", 4}}},
        ModelCase{"burr_defective", {{"model", "burr"}, {"embed_dim", 3}, {"hidden", 4}, {"defective", true}}},
        // RMTPP's next gap is Gompertz: a rising hazard, and a decaying one (a defective law).
        ModelCase{"rmtpp_rising", {{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}, {"w_init", 0.6}}},
        ModelCase{"rmtpp_decaying", {{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}, {"w_init", -0.7}}}),
    [](const ::testing::TestParamInfo<ModelCase>& info) { return info.param.label; });

// A renewal process: 20 users × 100 gaps drawn from `law` (one type), window ending at the last event.
Dataset renewal(const TimingLaw& law, std::uint64_t seed) {
  Dataset d;
  d.schema.num_action_types = 1;
  d.schema.action_names = {"a"};
  Rng rng(seed);
  for (int u = 0; u < 20; ++u) {
    std::vector<double> v(100);
    for (double& x : v) x = 1 - rng.uniform();
    auto gaps = law.inverse_log_survival(torch::log(torch::tensor(v, torch::kFloat64)).unsqueeze(0))[0];
    Sequence s;
    s.user = "u" + std::to_string(u);
    double t = 0;
    for (int i = 0; i < 100; ++i) s.events.push_back({t += gaps[i].item<double>(), 0, false, {}, {}});
    s.t_end = t;
    d.sequences.push_back(s);
  }
  return d;
}

// Fits by maximum likelihood and compares the fitted law with the truth at the true quartiles.
// The fitted model's marginal law of a gap is the average of its per-interval laws; a renewal
// process's gaps are iid, so that average estimates S(τ) with an error no larger than the
// empirical survival function's, whose standard error at S is sqrt(S(1 − S)/n): 4 of those bound
// it. (Single intervals can drift from it: the RNN can fit noise in the history.)
void expect_recovers(const nlohmann::json& config, const TimingLaw& truth) {
  const Dataset d = renewal(truth, 23);
  torch::manual_seed(1);
  auto model = ModelRegistry::instance().create(config, d.schema);
  Batch batch = make_batch(d, Context{});
  MleOptions o;
  o.max_iterations = 100;
  o.tolerance = 1e-8;
  fit_mle(*model, batch, o);
  model->eval();
  torch::NoGradGuard no_grad;
  auto* fitted_model = dynamic_cast<IntensityFreeModel*>(model.get());
  ASSERT_NE(fitted_model, nullptr);
  History h = fitted_model->encode(batch);
  auto law = fitted_model->gap_law(h);
  const double n = 2000;
  for (double s : {0.75, 0.5, 0.25}) {
    const double tau = truth.inverse_log_survival(torch::full({1, 1}, std::log(s), torch::kFloat64)).item<double>();
    auto fitted = torch::exp(law->log_survival(torch::full({20, 101, 1}, tau, torch::kFloat64))).squeeze(-1);
    const double marginal = fitted.narrow(1, 0, 100).mean().item<double>();  // the intervals events close
    EXPECT_LT(std::abs(marginal - s), 4 * std::sqrt(s * (1 - s) / n)) << "S = " << s << " at τ = " << tau;
  }
}

TEST(IntensityFreeFit, LogNormMixRecoversALogNormalRenewalProcess) {
  LogNormalMixtureLaw truth(torch::zeros({1, 1}, torch::kFloat64), torch::full({1, 1}, 0.3, torch::kFloat64),
                            torch::full({1, 1}, 0.6, torch::kFloat64));
  expect_recovers({{"model", "lognormmix"}, {"embed_dim", 2}, {"hidden", 3}, {"components", 2}}, truth);
}

TEST(IntensityFreeFit, BurrRecoversABurrRenewalProcess) {
  BurrLaw truth(torch::full({1}, 1.5, torch::kFloat64), torch::full({1}, 2.0, torch::kFloat64),
                torch::full({1}, 1.2, torch::kFloat64));
  expect_recovers({{"model", "burr"}, {"embed_dim", 2}, {"hidden", 3}}, truth);
}

TEST(IntensityFreeConfig, ErrorsNameTheModelAndTheKey) {
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  auto error = [&](const nlohmann::json& config) {
    try {
      ModelRegistry::instance().create(config, schema);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error({{"model", "lognormmix"}, {"components", 0}}), "lognormmix: \"components\" must be in [1, 1024], got 0");
  EXPECT_EQ(error({{"model", "burr"}, {"hidden", -1}}), "burr: \"hidden\" must be in [1, 16384], got -1");
  EXPECT_NE(error({{"model", "burr"}, {"defective", "yes"}}).find("burr: \"defective\""), std::string::npos);
  EXPECT_NE(error({{"model", "burr"}, {"gap_input", "exp"}}).find("burr: \"gap_input\""), std::string::npos);
  EXPECT_NE(error({{"model", "lognormmix"}, {"component", 3}}).find("lognormmix"), std::string::npos);
}

}  // namespace
}  // namespace tpp
