// The intensity error (infer/intensity_error.h) against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/infer/intensity_error.h"
#include "tpp/infer/simulation.h"

namespace tpp {
namespace {

Predictor from_config(const nlohmann::json& cfg) { return Predictor(model_for_simulation(cfg, 0, Context{}), Context{}); }

nlohmann::json poisson(double rate) { return {{"model", "poisson"}, {"rate", {rate}}}; }

// Two users on different windows; the categories "x" and "y" as a users file gives them.
Dataset two_users() {
  Dataset d = testing::make_dataset(1, {{{1.0, 0}, {2.5, 0}}, {{0.5, 0}}}, {4.0, 10.0});
  d.schema.category_names = {"x", "y"};
  d.sequences[0].category = 0;
  d.sequences[1].category = 1;
  return d;
}

// Poisson truth against a Poisson model: |μ1 − μ2| on every window, whatever the grid.
TEST(IntensityError, PoissonAgainstPoissonIsTheRateDifference) {
  const Predictor model = from_config(poisson(0.7));
  const auto truth = IntensityTruth::from_json(poisson(2.0), "", Context{});
  IntensityErrorOptions o;
  o.points = 7;
  const IntensityError e = intensity_error(model, two_users(), truth, o);
  ASSERT_EQ(e.per_sequence.size(), 2u);
  for (double v : e.per_sequence) EXPECT_NEAR(v, 1.3, 1e-12);
  EXPECT_NEAR(e.mean(), 1.3, 1e-12);
  EXPECT_NEAR(e.sd(), 0.0, 1e-12);
}

// A truth per category: user 0 (x) against rate 1, user 1 (y) against rate 5; model rate 2.
TEST(IntensityError, PerCategoryTruthUsesEachUsersCategory) {
  const Predictor model = from_config(poisson(2.0));
  const auto truth = IntensityTruth::from_json({{"by_category", {{"x", poisson(1.0)}, {"y", poisson(5.0)}}}}, "", Context{});
  const IntensityError e = intensity_error(model, two_users(), truth);
  EXPECT_NEAR(e.per_sequence[0], 1.0, 1e-12);
  EXPECT_NEAR(e.per_sequence[1], 3.0, 1e-12);
  EXPECT_NEAR(e.mean(), 2.0, 1e-12);
  EXPECT_NEAR(e.sd(), std::sqrt(2.0), 1e-12);
  const auto j = e.to_json();
  EXPECT_NEAR(j.at("by_category").at("y").at("mean").get<double>(), 3.0, 1e-12);

  Dataset missing = two_users();
  missing.sequences[1].category = -1;
  EXPECT_THROW(intensity_error(model, missing, truth), Error);
  const auto only_x = IntensityTruth::from_json({{"by_category", {{"x", poisson(1.0)}}}}, "", Context{});
  EXPECT_THROW(intensity_error(model, two_users(), only_x), Error);
}

// A truth per user (parameters drawn per sequence): user 0 against rate 1.5, user 1 against 0.5;
// the users' categories still group the report. A user without a truth, or a truth mixing
// by_user with another key, is an error.
TEST(IntensityError, PerUserTruthUsesEachUsersOwnGenerator) {
  const Predictor model = from_config(poisson(2.0));
  Dataset d = two_users();
  const std::string u0 = d.sequences[0].user, u1 = d.sequences[1].user;
  const auto truth = IntensityTruth::from_json({{"by_user", {{u0, poisson(1.5)}, {u1, poisson(0.5)}}}}, "", Context{});
  const IntensityError e = intensity_error(model, d, truth);
  EXPECT_NEAR(e.per_sequence[0], 0.5, 1e-12);
  EXPECT_NEAR(e.per_sequence[1], 1.5, 1e-12);
  EXPECT_NEAR(e.to_json().at("by_category").at("x").at("mean").get<double>(), 0.5, 1e-12);
  const auto only_u0 = IntensityTruth::from_json({{"by_user", {{u0, poisson(1.5)}}}}, "", Context{});
  EXPECT_THROW(intensity_error(model, d, only_u0), Error);
  EXPECT_THROW(IntensityTruth::from_json({{"by_user", {{u0, poisson(1.5)}}}, {"by_category", {{"x", poisson(1.0)}}}},
                                         "", Context{}),
               Error);
  EXPECT_THROW(IntensityTruth::from_json({{"by_user", {{u0, {{"model", "nonesuch"}}}}}}, "", Context{}), Error);
}

// A ground process split into types by a schedule (experiment 6): a Poisson ground of rate 2 with
// p = (0.25, 0.75) up to t = 5 and (1, 0) after, against a Poisson model of rates (0.5, 1.5): no
// error up to 5, |2 − 0.5| + |0 − 1.5| = 3 after. On [0, 10] with 1001 points the trapezoid puts
// the switch between the grid points 5 and 5.01, so the error is (3·5 − 3·0.01/2) / 10.
TEST(IntensityError, MarkScheduleSplitsTheGroundIntensityByTime) {
  const Predictor model = from_config({{"model", "poisson"}, {"rate", {0.5, 1.5}}});
  const Dataset d = testing::make_dataset(2, {{{1.0, 0}, {6.5, 1}}}, {10.0});
  const nlohmann::json schedule = {{"types", {"0", "1"}},
                                   {"phases", {{{"until", 5.0}, {"p", {0.25, 0.75}}}, {{"p", {1.0, 0.0}}}}}};
  const auto truth = IntensityTruth::from_json({{"ground", poisson(2.0)}, {"mark_schedule", schedule}}, "", Context{});
  IntensityErrorOptions o;
  o.points = 1001;
  EXPECT_NEAR(intensity_error(model, d, truth, o).mean(), (15.0 - 0.015) / 10.0, 1e-9);
  // Malformed schedules and a ground with more than one type are errors.
  auto with = [&](const nlohmann::json& phases) {
    return nlohmann::json{{"ground", poisson(2.0)}, {"mark_schedule", {{"types", {"0", "1"}}, {"phases", phases}}}};
  };
  EXPECT_THROW(IntensityTruth::from_json(with({{{"until", 5.0}, {"p", {0.5, 0.6}}}, {{"p", {1.0, 0.0}}}}), "", Context{}),
               Error);
  EXPECT_THROW(IntensityTruth::from_json(with({{{"p", {0.5, 0.5}}}, {{"p", {1.0, 0.0}}}}), "", Context{}), Error);
  EXPECT_THROW(IntensityTruth::from_json(with({{{"until", 5.0}, {"p", {0.5, 0.5}}}}), "", Context{}), Error);
  EXPECT_THROW(IntensityTruth::from_json(with({{{"until", 5.0}, {"p", {1.0}}}, {{"p", {1.0, 0.0}}}}), "", Context{}), Error);
  const auto two_type_ground = IntensityTruth::from_json(
      {{"ground", {{"model", "poisson"}, {"rate", {1.0, 1.0}}}}, {"mark_schedule", schedule}}, "", Context{});
  EXPECT_THROW(intensity_error(model, d, two_type_ground, o), Error);
}

// Hawkes truth λ(t) = μ + αβ e^{−β(t − t_i)} summed over events, against a Poisson model of rate
// μ̂ ≤ μ: the difference never changes sign, so the error is (Λ(T) − μ̂ T) / T with the exact
// compensator Λ(T) = μT + α Σ_i (1 − e^{−β(T − t_i)}). Only the one-sided limits at the events
// keep the jumps from being smeared over a grid step (which would cost O(αβ h) per event).
TEST(IntensityError, HawkesAgainstPoissonMatchesTheExactCompensator) {
  const double mu = 0.4, alpha = 0.5, beta = 1.0, rate = 0.3, T = 10.0;
  const std::vector<double> events = {1.0, 2.5, 2.7, 6.0};
  std::vector<std::pair<double, int>> seq;
  for (double t : events) seq.push_back({t, 0});
  const Dataset d = testing::make_dataset(1, {seq}, {T});
  const auto truth = IntensityTruth::from_json(
      {{"model", "hawkes"}, {"mu", {mu}}, {"alpha", {{alpha}}}, {"beta", beta}}, "", Context{});
  IntensityErrorOptions o;
  o.points = 1001;
  const IntensityError e = intensity_error(from_config(poisson(rate)), d, truth, o);
  double compensator = mu * T;
  for (double t : events) compensator += alpha * (1 - std::exp(-beta * (T - t)));
  const double exact = (compensator - rate * T) / T;
  // Trapezoid error on a grid step h: at most h² max|f''| / 12 per unit time, f'' ≤ Σ αβ³ over
  // the events' kernels (each at most αβ³), a bound independent of the event positions.
  const double h = T / (o.points - 1);
  const double bound = h * h * events.size() * alpha * beta * beta * beta / 12;
  EXPECT_NEAR(e.per_sequence[0], exact, bound);
  // The grid matters: a coarse one is measurably off, so the test can see quadrature errors.
  o.points = 11;
  EXPECT_GT(std::fabs(intensity_error(from_config(poisson(rate)), d, truth, o).per_sequence[0] - exact), bound);
}

TEST(IntensityError, TruthFileNamesModelsRelativeToItsFolder) {
  testing::TempDir dir;
  {
    std::ofstream f(dir.file("truth.json"));
    f << R"({"by_category": {"x": {"model": "poisson", "rate": [1.0]}, "y": "y.tpp"}})";
  }
  // "y" as a saved model file beside the truth file, rate 5 per file unit.
  save_model(dir.file("y.tpp"), model_for_simulation(poisson(5.0), 1, Context{}).model, simulation_schema(poisson(5.0), 1),
             TimeScale{});
  const auto truth = IntensityTruth::load(dir.file("truth.json"), Context{});
  EXPECT_EQ(truth.by_category.size(), 2u);
  const IntensityError e = intensity_error(from_config(poisson(2.0)), two_users(), truth);
  EXPECT_NEAR(e.per_sequence[1], 3.0, 1e-12);
  EXPECT_THROW(IntensityTruth::load(dir.file("absent.json"), Context{}), Error);
  EXPECT_THROW(IntensityTruth::from_json(nlohmann::json{{"rate", 1}}, "", Context{}), Error);
}

}  // namespace
}  // namespace tpp
