#include "tpp/train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {
// Rates per model time unit; the data file's unit is half a model unit (scale 2).
Dataset poisson_data() {
  auto d = testing::make_dataset(3, {{{0.1, 1}, {0.4, 0}, {1.0, 1}, {1.2, 2}}, {{0.3, 2}, {0.5, 1}}}, {2.0, 1.0});
  d.time_scale = TimeScale{0.0, 2.0};
  return d;
}
}  // namespace

TEST(Metrics, PoissonClosedFormsInFileUnits) {
  auto d = poisson_data();
  const std::vector<double> rate = {0.5, 2.0, 1.5};
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", rate}}, d.schema);
  EvaluationOptions o;
  o.top_k = 2;
  auto m = evaluate(*model, d, Context{}, o);
  const double total = 4.0, mean_file = 1 / total / 2.0;  // E[τ] = 1/Σλ model units = 1/8 file units
  const double median_file = std::log(2.0) * mean_file;   // the MAE's point estimate: log 2/Σλ
  double se = 0, ae = 0, ll = 0, target_ll = 0;
  int correct = 0, top2 = 0, n = 0;
  for (const auto& s : d.sequences) {
    double prev = 0;
    for (const auto& e : s.events) {
      const double gap = e.time - prev;
      se += (mean_file - gap) * (mean_file - gap);
      ae += std::fabs(median_file - gap);
      correct += e.type == 1;
      top2 += e.type == 1 || e.type == 2;
      target_ll += std::log(rate[e.type]) - total * 2 * gap;
      ll += std::log(rate[e.type]);
      prev = e.time;
      ++n;
    }
    ll -= total * 2 * s.t_end;
  }
  EXPECT_EQ(m.num_targets, 6u);
  EXPECT_EQ(m.num_actions, 6u);
  EXPECT_EQ(m.num_unconverged, 0u);
  EXPECT_NEAR(m.time_rmse(), std::sqrt(se / n), 1e-9);
  EXPECT_NEAR(m.time_mae(), ae / n, 1e-9);
  EXPECT_NEAR(m.type_accuracy(), correct / 6.0, 1e-15);
  EXPECT_NEAR(m.top_k_accuracy(), top2 / 6.0, 1e-15);
  EXPECT_NEAR(m.log_likelihood_per_event(), ll / 6, 1e-12);
  EXPECT_NEAR(m.target_log_likelihood_per_event(), target_ll / 6, 1e-9);
  auto j = m.to_json();
  EXPECT_EQ(j.at("num_targets").get<int>(), 6);
  EXPECT_NEAR(j.at("time_mae").get<double>(), ae / n, 1e-9);
}

TEST(Metrics, BatchSizeDoesNotChangeTheResult) {
  auto d = poisson_data();
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 2.0, 1.5}}}, d.schema);
  EvaluationOptions whole, split;
  split.batch_size = 1;
  auto a = evaluate(*model, d, Context{}, whole), b = evaluate(*model, d, Context{}, split);
  EXPECT_NEAR(a.time_rmse(), b.time_rmse(), 1e-12);
  EXPECT_NEAR(a.log_likelihood, b.log_likelihood, 1e-12);
  EXPECT_EQ(a.type_correct, b.type_correct);
}

TEST(Metrics, ProgressLinePerBatchOnlyWhenAskedFor) {
  auto d = poisson_data();
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 2.0, 1.5}}}, d.schema);
  EvaluationOptions o;
  o.batch_size = 1;
  std::ostringstream lines;
  o.progress = &lines;
  Context quiet;
  evaluate(*model, d, quiet, o);
  EXPECT_EQ(lines.str(), "");  // ctx.progress is off (no TTY, --quiet, --json)
  Context tty;
  tty.progress = true;
  evaluate(*model, d, tty, o);
  const std::string total = std::to_string(d.sequences.size());
  EXPECT_NE(lines.str().find("evaluate: 1/" + total + " sequences"), std::string::npos) << lines.str();
  EXPECT_NE(lines.str().find("evaluate: " + total + "/" + total + " sequences"), std::string::npos);
  EXPECT_NE(lines.str().find("ETA 0:00:00"), std::string::npos);
}

TEST(Metrics, TargetMaskScoresOnlyTheLastFractionAndStimuliNever) {
  auto d = testing::make_dataset(2, {{{0.1, 0}, {0.2, 1}, {0.3, 0}, {0.5, 1}, {0.6, 1}, {0.9, 0}}}, {1.0});
  d.schema.num_stimulus_types = 1;
  d.schema.stimulus_names = {"s"};
  d.sequences[0].events[4].is_stimulus = true;  // t = 0.6: history, never a target
  d.sequences[0].events[4].type = 0;
  Batch batch = make_batch(d, Context{});
  // 5 actions, fraction 0.4: the first floor(0.6·5) = 3 are history, actions at 0.5 and 0.9 are scored.
  batch.target_mask = last_fraction_targets(batch, 0.4);
  auto t = batch.targets();
  std::vector<bool> expected = {false, false, false, true, false, true};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t[0][i].item<bool>(), expected[i]) << i;
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {1.0, 3.0}}}, d.schema);
  auto m = evaluate_batch(*model, batch, d.time_scale, {});
  EXPECT_EQ(m.num_targets, 2u);
  EXPECT_EQ(m.num_actions, 5u);
  EXPECT_EQ(m.type_correct, 1u);  // argmax is type 1: right at 0.5, wrong at 0.9
  // The event at 0.9 is predicted from the stimulus at 0.6: gap 0.3. MAE of the median log 2/4.
  const double e = std::log(2.0) / 4;
  EXPECT_NEAR(m.absolute_time_error, std::fabs(e - 0.2) + std::fabs(e - 0.3), 1e-9);
  EXPECT_THROW(last_fraction_targets(batch, 0.0), Error);
}

TEST(Metrics, SliceAndDeviceMoveKeepTheTargetMask) {
  auto d = testing::make_dataset(1, {{{0.1, 0}, {0.2, 0}}, {{0.3, 0}}}, {1.0, 1.0});
  Batch batch = make_batch(d, Context{});
  batch.target_mask = last_fraction_targets(batch, 0.5);
  Batch second = batch.slice(1, 2).to(Context{});
  ASSERT_TRUE(second.target_mask.defined());
  EXPECT_EQ(second.target_mask.sizes(), second.action_mask.sizes());
  EXPECT_TRUE(second.targets()[0][0].item<bool>());
  EXPECT_FALSE(batch.targets()[0][0].item<bool>());
}

}  // namespace tpp

namespace tpp {

TEST(Metrics, AnActionAtTheWindowStartOnlyConditions) {
  // Poisson rates (1, 3): the action at t_start = 0 has no interval before it, so it adds neither
  // log λ nor a target; the window's compensator is unchanged.
  auto d = testing::make_dataset(2, {{{0.0, 1}, {0.5, 0}, {1.5, 1}}}, {2.0});
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {1.0, 3.0}}}, d.schema);
  EvaluationOptions o;
  o.top_k = 1;
  const Metrics m = evaluate(*model, d, Context{}, o);
  EXPECT_EQ(m.num_actions, 2u);
  EXPECT_EQ(m.num_targets, 2u);
  EXPECT_EQ(m.num_at_window_start, 1u);
  EXPECT_NEAR(m.log_likelihood, std::log(1.0) + std::log(3.0) - 4.0 * 2.0, 1e-12);
  EXPECT_EQ(make_batch(d, Context{}).action_mask[0][0].item<bool>(), false);
}

}  // namespace tpp
