#include "tpp/infer/predict.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "exp_hawkes_fixture.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {
double rel(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

double median_reference(const testing::ExpHawkesTestModel& m, double excite) {
  double lo = 0, hi = 1;
  while (m.compensator(excite, hi) < std::log(2.0)) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    (m.compensator(excite, mid) < std::log(2.0) ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}
}  // namespace

TEST(Predict, PoissonMatchesClosedFormOnEveryInterval) {
  auto d = testing::make_dataset(3, {{{0.5, 0}, {1.0, 1}, {2.0, 2}}, {{0.3, 0}}}, {4.0, 1.0});
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 2.0, 1.5}}}, d.schema);
  PredictOptions o;
  o.top_k = 2;
  auto p = predict_next_event(*model, make_batch(d, Context{}), o);
  ASSERT_EQ(p.expected_time.sizes(), (std::vector<int64_t>{2, 4}));
  const double total = 4.0;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 4; ++i) {
      if (b == 1 && i > 1) {  // padding intervals
        EXPECT_TRUE(std::isnan(p.expected_time[b][i].item<double>()));
        EXPECT_EQ(p.predicted_type[b][i].item<int64_t>(), -1);
        EXPECT_FALSE(p.valid[b][i].item<bool>());
        continue;
      }
      EXPECT_TRUE(p.converged[b][i].item<bool>());
      EXPECT_LT(rel(p.expected_time[b][i].item<double>(), 1 / total), 1e-9);
      EXPECT_LT(rel(p.median_time[b][i].item<double>(), std::log(2.0) / total), 1e-9);
      EXPECT_LT(rel(p.type_probability[b][i][0].item<double>(), 0.5 / total), 1e-9);
      EXPECT_LT(rel(p.type_probability[b][i][1].item<double>(), 2.0 / total), 1e-9);
      EXPECT_LT(rel(p.type_probability[b][i][2].item<double>(), 1.5 / total), 1e-9);
      EXPECT_EQ(p.predicted_type[b][i].item<int64_t>(), 1);
      EXPECT_EQ(p.top_k_type[b][i][0].item<int64_t>(), 1);
      EXPECT_EQ(p.top_k_type[b][i][1].item<int64_t>(), 2);
      EXPECT_LT(rel(p.top_k_probability[b][i][1].item<double>(), 1.5 / total), 1e-9);
      EXPECT_GT(std::exp(-total * p.horizon[b][i].item<double>()), 0.0);
      EXPECT_LT(std::exp(-total * p.horizon[b][i].item<double>()), o.survival_tolerance);
    }
}

TEST(Predict, OneEventHawkesMatchesSeriesClosedForm) {
  // Interval 1 follows the single event: λ_k(s) = μ_k + α_k e^{−βs}.
  testing::ExpHawkesTestModel model({0.2, 0.1}, {1.5, 0.5}, 2.0);
  auto d = testing::make_dataset(2, {{{1.0, 0}}}, {3.0});
  auto p = predict_next_event(model, make_batch(d, Context{}));
  for (int i = 0; i < 2; ++i) {
    const double excite = i == 0 ? 0.0 : 1.0;
    auto ref = model.reference(excite);
    EXPECT_TRUE(p.converged[0][i].item<bool>());
    EXPECT_LT(rel(p.expected_time[0][i].item<double>(), ref.expected_time), 1e-8) << i;
    EXPECT_LT(rel(p.median_time[0][i].item<double>(), median_reference(model, excite)), 1e-8) << i;
    double sum = ref.type_probability[0] + ref.type_probability[1];
    EXPECT_NEAR(sum, 1.0, 1e-12);  // the process fires surely: the masses are the probabilities
    for (int k = 0; k < 2; ++k)
      EXPECT_LT(rel(p.type_probability[0][i][k].item<double>(), ref.type_probability[k]), 1e-8) << i << k;
  }
}

TEST(Predict, DyingIntensityConditionsOnAnEvent) {
  // μ = 0: after the event λ(s) = A β e^{−βs} with A = Σα/β, so S(∞) = e^{−A} and
  // E[τ | τ < ∞] = e^{−A} Ein(A) / (β (1 − e^{−A})), Ein(A) = Σ_{n≥1} A^n / (n·n!).
  const double beta = 2.0;
  testing::ExpHawkesTestModel model({0.0, 0.0}, {0.3, 0.2}, beta);
  auto d = testing::make_dataset(2, {{{1.0, 0}}}, {3.0});
  auto p = predict_next_event(model, make_batch(d, Context{}));
  const double A = 0.5 / beta;
  double ein = 0, term = 1;
  for (int n = 1; n < 40; ++n) {
    term *= A / n;
    ein += term / n;
  }
  const double expected = std::exp(-A) * ein / (beta * (1 - std::exp(-A)));
  EXPECT_TRUE(p.converged[0][1].item<bool>());
  EXPECT_LT(rel(p.no_event_probability[0][1].item<double>(), std::exp(-A)), 1e-8);
  EXPECT_LT(rel(p.expected_time[0][1].item<double>(), expected), 1e-8);
  EXPECT_LT(rel(p.type_probability[0][1][0].item<double>(), 0.6), 1e-8);
  // Before any event the intensity is 0: no event ever, and no finite prediction.
  EXPECT_DOUBLE_EQ(p.no_event_probability[0][0].item<double>(), 1.0);
  EXPECT_TRUE(std::isnan(p.expected_time[0][0].item<double>()));
}

TEST(Predict, SharpBurstOverSlowBaselineNeedsHorizonGrowthAndRefinement) {
  // A burst of rate 400 decaying in 1/20 over a baseline of 0.01: 1 − e^{−20} of the mass sits in
  // the burst, the rest in a tail of mean 100. Equal panels over a fixed cut would miss one of them.
  testing::ExpHawkesTestModel model({0.004, 0.006}, {100.0, 300.0}, 20.0);
  auto d = testing::make_dataset(2, {{{1.0, 0}, {1.01, 1}, {1.5, 1}, {40.0, 0}}}, {50.0});
  auto batch = make_batch(d, Context{});
  auto p = predict_next_event(model, batch);
  auto excite = model.encode(batch).parts.at("excite");
  for (int i = 0; i < 5; ++i) {
    const double e = excite[0][i].item<double>();
    auto ref = model.reference(e);
    EXPECT_TRUE(p.converged[0][i].item<bool>()) << i;
    EXPECT_LT(rel(p.expected_time[0][i].item<double>(), ref.expected_time), 1e-7) << i;
    EXPECT_LT(rel(p.median_time[0][i].item<double>(), median_reference(model, e)), 1e-8) << i;
    for (int k = 0; k < 2; ++k)
      EXPECT_LT(rel(p.type_probability[0][i][k].item<double>(), ref.type_probability[k]), 1e-7) << i << k;
  }
}

TEST(Predict, RowsLeftUnconvergedByTheBatchPassAreRedoneAlone) {
  // Row 0 needs many panels (the burst above), row 1 is shorter; a small batch_panels forces the
  // per-row pass, whose values must land in the right row and intervals of the batch's result.
  testing::ExpHawkesTestModel model({0.004, 0.006}, {100.0, 300.0}, 20.0);
  auto d = testing::make_dataset(2, {{{1.0, 0}, {1.01, 1}, {1.5, 1}, {40.0, 0}}, {{3.0, 1}}}, {50.0, 10.0});
  auto batch = make_batch(d, Context{});
  for (int batch_panels : {8, 64, 2048}) {
    PredictOptions o;
    o.batch_panels = batch_panels;
    auto p = predict_next_event(model, batch, o);
    for (int64_t b = 0; b < 2; ++b) {
      auto alone = predict_next_event(model, batch.slice(b, b + 1), o);
      const int64_t n = alone.expected_time.size(1);
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_TRUE(p.converged[b][i].item<bool>()) << b << i;
        EXPECT_LT(rel(p.expected_time[b][i].item<double>(), alone.expected_time[0][i].item<double>()), 1e-8)
            << batch_panels << " " << b << " " << i;
        EXPECT_LT(rel(p.median_time[b][i].item<double>(), alone.median_time[0][i].item<double>()), 1e-8);
        EXPECT_EQ(p.predicted_type[b][i].item<int64_t>(), alone.predicted_type[0][i].item<int64_t>());
      }
    }
    EXPECT_FALSE(p.valid[1][2].item<bool>());  // row 1 has one event: intervals 0 and 1 only
    auto excite = model.encode(batch).parts.at("excite");
    for (int i = 0; i < 5; ++i) {
      auto ref = model.reference(excite[0][i].item<double>());
      EXPECT_LT(rel(p.expected_time[0][i].item<double>(), ref.expected_time), 1e-7) << batch_panels << " " << i;
    }
  }
  PredictOptions bad;
  bad.batch_panels = 4;
  EXPECT_THROW(predict_next_event(model, batch, bad), Error);
}

// A batch whose single panel exceeds max_chunk_elements is predicted in groups of rows, each
// encoded alone: the same values as one pass, invalid intervals filled as a pass fills them.
TEST(Predict, BatchesBeyondTheChunkBudgetArePredictedInRowGroups) {
  auto d = testing::make_dataset(3, {{{0.5, 0}, {1.0, 1}, {2.0, 2}, {2.4, 1}}, {{0.3, 0}}, {{0.2, 2}, {0.9, 0}}},
                                 {4.0, 1.0, 3.0});
  torch::manual_seed(4);
  auto model = ModelRegistry::instance().create({{"model", "thp"}, {"d_model", 8}, {"heads", 2}, {"layers", 1}}, d.schema);
  model->eval();
  auto batch = make_batch(d, Context{});
  PredictOptions whole;
  whole.top_k = 2;
  PredictOptions grouped = whole;
  grouped.max_chunk_elements = 16;  // one row per model call
  const auto a = predict_next_event(*model, batch, whole);
  const auto b = predict_next_event(*model, batch, grouped);
  ASSERT_EQ(b.expected_time.sizes(), a.expected_time.sizes());
  EXPECT_TRUE(torch::equal(a.valid, b.valid));
  auto valid = a.valid;
  auto close = [&](const torch::Tensor& x, const torch::Tensor& y) {
    return torch::allclose(x.masked_select(valid), y.masked_select(valid), 1e-9, 0);
  };
  EXPECT_TRUE(close(a.expected_time, b.expected_time));
  EXPECT_TRUE(close(a.median_time, b.median_time));
  EXPECT_TRUE(torch::allclose(a.type_probability.masked_select(valid.unsqueeze(-1)),
                              b.type_probability.masked_select(valid.unsqueeze(-1)), 1e-9, 1e-12));
  EXPECT_TRUE(torch::equal(a.predicted_type, b.predicted_type));
  EXPECT_TRUE(torch::equal(a.top_k_type, b.top_k_type));
  EXPECT_TRUE(torch::equal(a.converged, b.converged));
  // Row 1 (one event) is padded: NaN times, type −1, P(no event) 0, as the single pass has it.
  EXPECT_TRUE(std::isnan(b.expected_time[1][3].item<double>()));
  EXPECT_EQ(b.predicted_type[1][3].item<int64_t>(), -1);
  EXPECT_EQ(b.no_event_probability[1][3].item<double>(), 0.0);
  auto history = model->encode(batch);
  auto ca = compensator(*model, history, batch.span, whole), cb = compensator(*model, history, batch.span, grouped);
  EXPECT_TRUE(close(ca, cb)) << ca << cb;
}

// The generic likelihood holds at most 2²¹ intensities at once: with 2,000 types its integral is
// taken over chunks of nodes, and equals each sequence's alone (where it fits in one call).
TEST(Predict, TheGenericLikelihoodIntegratesManyTypesInChunksOfNodes) {
  auto d = testing::make_dataset(2000, {{{0.5, 10}, {1.0, 1999}, {2.0, 2}, {2.4, 1}, {3.1, 7}}, {{0.3, 0}}, {{0.2, 5}}},
                                 {4.0, 1.0, 3.0});
  torch::manual_seed(4);
  auto model = ModelRegistry::instance().create({{"model", "thp"}, {"d_model", 8}, {"heads", 2}, {"layers", 1}}, d.schema);
  model->eval();
  torch::NoGradGuard no_grad;
  const IntegralOptions gl{IntegralOptions::Method::GaussLegendre, 64};
  auto batch = make_batch(d, Context{});  // 3 × 6 intervals × 65 slots × 2000 types: chunked
  auto together = model->likelihood_terms(model->encode(batch), gl);
  for (int64_t b = 0; b < 3; ++b) {
    auto one = batch.slice(b, b + 1);  // 1 × 6 × 65 × 2000: one call
    auto alone = model->likelihood_terms(model->encode(one), gl);
    const int64_t L = one.max_length();
    EXPECT_TRUE(torch::allclose(together.compensator[b].narrow(0, 0, L + 1), alone.compensator[0], 1e-12, 0))
        << "sequence " << b;
    EXPECT_TRUE(torch::allclose(together.log_intensity[b].narrow(0, 0, L), alone.log_intensity[0], 1e-12, 1e-12));
  }
}

TEST(Predict, CompensatorMatchesClosedForm) {
  testing::ExpHawkesTestModel model({0.3}, {2.0}, 5.0);
  auto d = testing::make_dataset(1, {{{0.2, 0}, {0.4, 0}, {2.0, 0}}}, {3.0});
  auto batch = make_batch(d, Context{});
  auto h = model.encode(batch);
  auto lambda = compensator(model, h, batch.span);
  for (int i = 0; i < 4; ++i) {
    double ref = model.compensator(h.parts.at("excite")[0][i].item<double>(), batch.span[0][i].item<double>());
    EXPECT_LT(rel(lambda[0][i].item<double>(), ref), 1e-10) << i;
  }
}

TEST(Predict, IntensityCurveShowsBothLimitsAtEvents) {
  testing::ExpHawkesTestModel model({0.3, 0.2}, {2.0, 1.0}, 5.0);
  auto d = testing::make_dataset(2, {{{0.5, 0}, {1.25, 1}}, {}}, {2.0, 1.0});
  CurveOptions o;
  o.points = 9;
  auto curve = intensity_curve(model, make_batch(d, Context{}), o);
  ASSERT_EQ(curve.time.size(1), 9 + 4);
  EXPECT_EQ(curve.mask[1].sum().item<int64_t>(), 9);
  const std::vector<double> events = {0.5, 1.25};
  int right_limits = 0;
  for (int g = 0; g < 13; ++g) {
    const double t = curve.time[0][g].item<double>();
    if (g > 0) {
      EXPECT_GE(t, curve.time[0][g - 1].item<double>());
    }
    // At an event time the grid point and the left limit come first, the right limit last.
    const bool at_event = t == 0.5 || t == 1.25;
    const bool last_at_time = g == 12 || curve.time[0][g + 1].item<double>() != t;
    const bool right = at_event && last_at_time && curve.time[0][g - 1].item<double>() == t;
    right_limits += right;
    double excite = 0;
    for (double e : events)
      if (e < t || (right && e == t)) excite += std::exp(-5.0 * (t - e));
    // λ_k(t) = μ_k + α_k Σ_{events before} e^{−β(t − t_j)}; the model tracks excitation per interval.
    for (int k = 0; k < 2; ++k) {
      double expected = (k == 0 ? 0.3 : 0.2) + (k == 0 ? 2.0 : 1.0) * excite;
      EXPECT_NEAR(curve.intensity[0][g][k].item<double>(), expected, 1e-12) << g << " " << k;
    }
  }
  EXPECT_EQ(right_limits, 2);
  EXPECT_NEAR(curve.intensity[1][8][0].item<double>(), 0.3, 1e-15);
}

TEST(Predict, RejectsBadOptions) {
  auto d = testing::make_dataset(1, {{{0.5, 0}}}, {1.0});
  auto model = ModelRegistry::instance().create({{"model", "poisson"}}, d.schema);
  PredictOptions o;
  o.survival_tolerance = 0;
  EXPECT_THROW(predict_next_event(*model, make_batch(d, Context{}), o), Error);
}

}  // namespace tpp
