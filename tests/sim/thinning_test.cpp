#include "tpp/sim/thinning.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tpp/core/error.h"
#include "tpp/core/stats.h"
#include "tpp/data/batch.h"
#include "tpp/models/hawkes.h"
#include "tpp/models/registry.h"
#include "tpp/models/self_correcting.h"
#include "tpp/sim/simulate.h"

namespace tpp {

namespace {

Schema action_schema(int K, int K_s = 0) {
  Schema s;
  s.num_action_types = K;
  s.num_stimulus_types = K_s;
  for (int k = 0; k < K; ++k) s.action_names.push_back(std::to_string(k));
  for (int k = 0; k < K_s; ++k) s.stimulus_names.push_back("s" + std::to_string(k));
  return s;
}

const nlohmann::json kHawkes3 = {{"model", "hawkes"},
                                 {"mu", {0.3, 0.2, 0.4}},
                                 {"alpha", {{0.3, 0.2, 0.1}, {0.1, 0.4, 0.1}, {0.2, 0.1, 0.3}}},
                                 {"beta", 2.0}};
const nlohmann::json kSelfCorrecting2 = {{"model", "self_correcting"},
                                         {"mu", {1.0, 0.5}},
                                         {"alpha", {{0.5, 0.2}, {0.3, 0.6}}}};

// Ground-compensator increments between consecutive events (the censored last interval left out).
template <class M>
std::vector<double> rescaled_gaps(M& model, const Dataset& data) {
  torch::NoGradGuard no_grad;
  Batch b = make_batch(data, Context{});
  auto increments = model.compensator(model.encode(b));  // [B, L+1]
  std::vector<double> out;
  for (int64_t s = 0; s < b.batch_size(); ++s)
    for (int64_t i = 0; i < b.length[s].template item<int64_t>(); ++i) out.push_back(increments[s][i].template item<double>());
  return out;
}

// Σ_k λ_k of a target is its bound + 1 right after t_start: the loop must notice.
class LyingTarget : public ThinningTarget {
 public:
  int num_types() const override { return 1; }
  double upper_bound(double, double) override { return 1.0; }
  void intensities(double, std::vector<double>& out) override { out.assign(1, 2.0); }
  void observe(const Event&) override {}
};

}  // namespace

TEST(Thinning, HawkesPassesTimeRescalingAndWrongParametersFail) {
  auto schema = action_schema(3);
  auto model = std::dynamic_pointer_cast<HawkesImpl>(ModelRegistry::instance().create(kHawkes3, schema));
  SimulateOptions opt;
  opt.num_sequences = 20;
  opt.t_end = 300.0;
  opt.seed = 7;
  Dataset data = simulate(*model, schema, opt);
  auto gaps = rescaled_gaps(*model, data);
  ASSERT_GE(gaps.size(), 5000u);
  auto good = ks_test_exponential(gaps);
  EXPECT_GT(good.p_value, 0.01) << "D = " << good.statistic << ", n = " << good.n;

  nlohmann::json wrong = kHawkes3;
  wrong["beta"] = 0.7;   // slower decay
  wrong["mu"] = {0.2, 0.15, 0.3};
  auto misfit = std::dynamic_pointer_cast<HawkesImpl>(ModelRegistry::instance().create(wrong, schema));
  auto bad = ks_test_exponential(rescaled_gaps(*misfit, data));
  EXPECT_LT(bad.p_value, 1e-4) << "D = " << bad.statistic;
}

TEST(Thinning, SelfCorrectingPassesTimeRescalingAndWrongParametersFail) {
  auto schema = action_schema(2);
  auto model = std::dynamic_pointer_cast<SelfCorrectingImpl>(ModelRegistry::instance().create(kSelfCorrecting2, schema));
  SimulateOptions opt;
  opt.num_sequences = 10;
  opt.t_end = 400.0;
  opt.seed = 11;
  opt.lookahead = 0.5;  // the intensity grows between events: bound it on short windows
  Dataset data = simulate(*model, schema, opt);
  auto gaps = rescaled_gaps(*model, data);
  ASSERT_GE(gaps.size(), 5000u);
  auto good = ks_test_exponential(gaps);
  EXPECT_GT(good.p_value, 0.01) << "D = " << good.statistic << ", n = " << good.n;

  nlohmann::json wrong = kSelfCorrecting2;
  wrong["alpha"] = {{0.4, 0.2}, {0.3, 0.5}};
  auto misfit = std::dynamic_pointer_cast<SelfCorrectingImpl>(ModelRegistry::instance().create(wrong, schema));
  auto bad = ks_test_exponential(rescaled_gaps(*misfit, data));
  EXPECT_LT(bad.p_value, 1e-4) << "D = " << bad.statistic;
}

TEST(Thinning, StationaryHawkesRateMatchesBranchingSolution) {
  auto schema = action_schema(3);
  auto model = std::dynamic_pointer_cast<HawkesImpl>(ModelRegistry::instance().create(kHawkes3, schema));
  SimulateOptions opt;
  opt.num_sequences = 10;
  opt.t_end = 2000.0;
  opt.seed = 3;
  Dataset data = simulate(*model, schema, opt);
  // Λ = (I − αᵀ)⁻¹ μ; the counts' long-run covariance per unit time is (I − αᵀ)⁻¹ diag(Λ) (I − α)⁻¹.
  auto alpha = model->alpha().detach();
  auto inv = torch::inverse(torch::eye(3, torch::kFloat64) - alpha.t());
  auto rate = inv.matmul(model->mu().detach());
  auto cov = inv.matmul(torch::diag(rate)).matmul(inv.t());
  const double total_time = opt.num_sequences * (opt.t_end - opt.t_start);
  std::vector<double> counts(3, 0.0);
  for (const auto& s : data.sequences)
    for (const auto& e : s.events) counts[e.type] += 1;
  for (int k = 0; k < 3; ++k) {
    const double empirical = counts[k] / total_time;
    const double sd = std::sqrt(cov[k][k].item<double>() / total_time);
    EXPECT_NEAR(empirical, rate[k].item<double>(), 4 * sd) << "type " << k;
  }
}

TEST(Thinning, StimuliAreObservedAndReturnedInPlace) {
  auto schema = action_schema(2, 1);
  nlohmann::json cfg = {{"model", "hawkes"}, {"mu", {0.05, 0.05}}, {"alpha", {{0.1, 0.1}, {0.1, 0.1}, {3.0, 0.0}}}, {"beta", 5.0}};
  auto model = ModelRegistry::instance().create(cfg, schema);
  std::vector<Event> stimuli;
  for (double t : {1.0, 4.0, 4.0, 9.5, 20.0}) stimuli.push_back(Event{t, 0, true, {}, {}});
  SimulateOptions opt;
  opt.num_sequences = 200;
  opt.t_end = 20.0;
  opt.seed = 5;
  Dataset data = simulate(*model, schema, opt, std::vector<std::vector<Event>>(opt.num_sequences, stimuli));
  std::size_t type0_soon_after = 0, type1_soon_after = 0;
  for (const auto& s : data.sequences) {
    std::vector<double> seen;
    for (std::size_t i = 0; i < s.events.size(); ++i) {
      if (i > 0) {
        EXPECT_LE(s.events[i - 1].time, s.events[i].time);
      }
      if (s.events[i].is_stimulus) {
        seen.push_back(s.events[i].time);
        EXPECT_EQ(s.events[i].type, 0);
      } else {
        for (double st : {1.0, 4.0, 9.5})
          if (s.events[i].time > st && s.events[i].time < st + 0.5) ++(s.events[i].type == 0 ? type0_soon_after : type1_soon_after);
      }
    }
    EXPECT_EQ(seen, (std::vector<double>{1.0, 4.0, 4.0, 9.5, 20.0}));
  }
  // The stimulus excites type 0 only (α_{s,0} = 3: ~2.8 expected children within 0.5 of each
  // stimulus; type 1 sees only its background and second-generation events).
  EXPECT_GT(type0_soon_after, 3 * type1_soon_after);
}

TEST(Thinning, BoundViolationThrows) {
  LyingTarget target;
  Rng rng(1);
  ThinningOptions opt;
  opt.t_end = 100.0;
  EXPECT_THROW(simulate_thinning(target, opt, rng), Error);
}

TEST(Thinning, BadStimuliAndModelsWithoutSimulatorThrow) {
  auto schema = action_schema(2, 1);
  auto model = ModelRegistry::instance().create({{"model", "hawkes"}}, schema);
  auto target = model->thinning_target(0.0);
  Rng rng(1);
  ThinningOptions opt;
  opt.t_end = 10.0;
  EXPECT_THROW(simulate_thinning(*target, opt, rng, {Event{11.0, 0, true, {}, {}}}), Error);
  EXPECT_THROW(simulate_thinning(*target, opt, rng, {Event{2.0, 0, true, {}, {}}, Event{1.0, 0, true, {}, {}}}), Error);
  EXPECT_THROW(simulate_thinning(*target, opt, rng, {Event{2.0, 0, false, {}, {}}}), Error);
  auto rmtpp = ModelRegistry::instance().create({{"model", "rmtpp"}}, action_schema(2));
  SimulateOptions sim;
  try {
    simulate(*rmtpp, action_schema(2), sim);
    FAIL() << "rmtpp has no scalar simulator";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no scalar simulator"), std::string::npos);
  }
  // A bound that is infinite over the window (an increasing intensity asked for an unbounded
  // window) is a clear error, not a hang.
  auto sc = ModelRegistry::instance().create(kSelfCorrecting2, action_schema(2));
  EXPECT_TRUE(std::isinf(sc->thinning_target(0.0)->upper_bound(0.0, std::numeric_limits<double>::infinity())));
}

TEST(Thinning, SameSeedSameData) {
  auto schema = action_schema(3);
  auto model = ModelRegistry::instance().create(kHawkes3, schema);
  SimulateOptions opt;
  opt.num_sequences = 3;
  opt.t_end = 50.0;
  opt.seed = 42;
  auto a = simulate(*model, schema, opt), b = simulate(*model, schema, opt);
  opt.num_sequences = 1;
  auto first = simulate(*model, schema, opt);
  ASSERT_EQ(a.num_events(), b.num_events());
  for (std::size_t s = 0; s < 3; ++s)
    for (std::size_t i = 0; i < a.sequences[s].events.size(); ++i)
      EXPECT_EQ(a.sequences[s].events[i].time, b.sequences[s].events[i].time);
  ASSERT_EQ(first.sequences[0].events.size(), a.sequences[0].events.size());  // per-sequence seeds
  opt.seed = 43;
  EXPECT_NE(simulate(*model, schema, opt).sequences[0].events.at(0).time, first.sequences[0].events.at(0).time);
}

TEST(Stats, KolmogorovDistributionAndKsStatistic) {
  // Tabulated critical values: P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01.
  EXPECT_NEAR(kolmogorov_survival(1.3581), 0.05, 2e-5);
  EXPECT_NEAR(kolmogorov_survival(1.6276), 0.01, 2e-5);
  EXPECT_NEAR(kolmogorov_survival(1.0 - 1e-12), kolmogorov_survival(1.0 + 1e-12), 1e-10);  // two series agree
  EXPECT_NEAR(kolmogorov_survival(0.5), 0.9639452436648751, 1e-12);
  // Exact D for a hand-made sample against Exp(1): the largest gap is at the first point.
  auto r = ks_test_exponential({2.0, 3.0});
  EXPECT_NEAR(r.statistic, 1 - std::exp(-2.0), 1e-15);
}

}  // namespace tpp
