// The IPTW estimator on hand-made inputs: bins and transition counts against a histogram done by
// hand, weights against their definition (plain and stabilised), truncation and normalisation,
// the projection, Proposition 3's rule, and the sparse table's memory for q = 3.
#include "tpp/train/iptw.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"

namespace tpp {
namespace {

// Exact small rationals through one log and one exp each: a few ulps.
constexpr double kTight = 1e-12;

torch::Tensor points(const std::vector<std::vector<double>>& rows) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())}, torch::kFloat64);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t d = 0; d < rows[i].size(); ++d) t[i][d] = rows[i][d];
  return t;
}

TEST(Iptw, BinsFollowTheMinMaxUnitCube) {
  const UnitCubeBins one(points({{0.0}, {0.1}, {0.25}, {0.5}, {0.74}, {1.0}}), 4);
  std::vector<std::uint64_t> cells;
  for (double v : {0.0, 0.1, 0.25, 0.5, 0.74, 1.0, -3.0, 7.0}) cells.push_back(one.cell(&v));
  // floor(4 v), the maximum in the last bin, points outside the box in the boundary bins.
  EXPECT_EQ(cells, (std::vector<std::uint64_t>{0, 0, 1, 2, 2, 3, 0, 3}));

  // Two dimensions with different ranges; a constant third dimension is a single bin.
  const UnitCubeBins three(points({{0.0, 10.0, 5.0}, {1.0, 20.0, 5.0}, {0.5, 15.0, 5.0}}), 2);
  const double a[] = {0.0, 10.0, 5.0}, b[] = {1.0, 20.0, 5.0}, c[] = {0.5, 12.0, 5.0};
  EXPECT_EQ(three.cell(a), 0u);            // (0, 0, 0)
  EXPECT_EQ(three.cell(b), 1u + 2u * 1u);  // (1, 1, 0)
  EXPECT_EQ(three.cell(c), 1u + 2u * 0u);  // 0.5 → bin 1 of 2; 12 → 0.2 → bin 0
}

// Three trajectories (cells of h_0..h_n) whose histogram is counted by hand below:
//   category 0: 0→1, 1→1, 1→2 (user A) and 0→1, 1→2 (user B); category 1: 0→0, 0→1 (user C).
std::vector<CellTrajectory> toy() { return {{{0, 1, 1, 2}, 0}, {{0, 1, 2}, 0}, {{0, 0, 1}, 1}}; }

TEST(Iptw, TransitionCountsMatchAHandComputedHistogram) {
  const TransitionTable table = count_transitions(toy());
  EXPECT_EQ(table.transitions(), 7u);
  // f̂(u | u', r) = N(u, u', r) / N(·, u', r).
  EXPECT_NEAR(std::exp(table.log_conditional(1, 0, 0)), 2.0 / 2.0, kTight);
  EXPECT_NEAR(std::exp(table.log_conditional(1, 1, 0)), 1.0 / 3.0, kTight);
  EXPECT_NEAR(std::exp(table.log_conditional(2, 1, 0)), 2.0 / 3.0, kTight);
  EXPECT_NEAR(std::exp(table.log_conditional(0, 0, 1)), 1.0 / 2.0, kTight);
  EXPECT_NEAR(std::exp(table.log_conditional(1, 0, 1)), 1.0 / 2.0, kTight);
  // Pooled over categories: from cell 0, 0→1 three times and 0→0 once; from 1, 1→1 once, 1→2 twice.
  EXPECT_NEAR(std::exp(table.log_marginal(1, 0)), 3.0 / 4.0, kTight);
  EXPECT_NEAR(std::exp(table.log_marginal(0, 0)), 1.0 / 4.0, kTight);
  EXPECT_NEAR(std::exp(table.log_marginal(2, 1)), 2.0 / 3.0, kTight);
  // Stored keys: 5 joint (u, u', r), 3 origins (u', r), 4 pooled joint, 2 pooled origins.
  EXPECT_EQ(table.entries(), 14u);
  EXPECT_THROW(table.log_conditional(2, 0, 0), Error);  // never observed
}

TEST(Iptw, WeightsFollowTheirDefinitionOnAToyTrajectory) {
  const auto trajectories = toy();
  const TransitionTable table = count_transitions(trajectories);
  auto weights = [&](std::size_t k, bool stabilized) {
    std::vector<double> w;
    for (double lw : iptw_log_weights(table, trajectories[k], stabilized)) w.push_back(std::exp(lw));
    return w;
  };
  auto expect_near = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t j = 0; j < got.size(); ++j) EXPECT_NEAR(got[j], want[j], kTight * want[j]) << "interval " << j;
  };
  // Plain, user A: w_j = 1 / Π_{r<=j} f̂(h_r | h_{r−1}, 0) = 1, 1/1, 1/(1·1/3), 1/(1·1/3·2/3).
  expect_near(weights(0, false), {1.0, 1.0, 3.0, 4.5});
  // Stabilised, user A: each step multiplies by f̂(h_r | h_{r−1}) / f̂(h_r | h_{r−1}, 0).
  expect_near(weights(0, true), {1.0, 0.75 / 1.0, 0.75 * (1.0 / 3) / (1.0 / 3), 0.75 * (2.0 / 3) / (2.0 / 3)});
  // User C (category 1): plain 1, 2, 4; stabilised (1/4)/(1/2), then × (3/4)/(1/2).
  expect_near(weights(2, false), {1.0, 2.0, 4.0});
  expect_near(weights(2, true), {1.0, 0.5, 0.75});
  // One bin: every f̂ is 1, so every weight is exactly 1 (the unweighted model).
  const std::vector<CellTrajectory> single = {{{0, 0, 0}, 0}, {{0, 0}, 1}};
  const TransitionTable one = count_transitions(single);
  for (bool stabilized : {false, true})
    for (const auto& t : single)
      for (double lw : iptw_log_weights(one, t, stabilized)) EXPECT_EQ(lw, 0.0);
}

TEST(Iptw, TruncationAtAQuantileThenMeanOne) {
  const std::vector<std::vector<double>> log_w = {{0.0, std::log(2.0)}, {std::log(4.0), std::log(100.0), std::log(50.0)}};
  // The last interval of the second user is closed by t_end (or a stimulus): not counted.
  const std::vector<std::vector<bool>> counted = {{true, true}, {true, true, false}};
  // Nearest rank: ceil(0.75 · 4) = 3rd of {1, 2, 4, 100} is 4, so 100 and 50 become 4; the counted
  // weights {1, 2, 4, 4} then average 11/4.
  auto w = finalize_weights(log_w, counted, 0.75);
  const double mean = 11.0 / 4.0;
  EXPECT_NEAR(w[0][0], 1.0 / mean, kTight);
  EXPECT_NEAR(w[0][1], 2.0 / mean, kTight);
  EXPECT_NEAR(w[1][0], 4.0 / mean, kTight);
  EXPECT_NEAR(w[1][1], 4.0 / mean, kTight);
  EXPECT_NEAR(w[1][2], 4.0 / mean, kTight);
  const WeightSummary s = summarize_weights(w, counted);
  EXPECT_EQ(s.count, 4u);
  EXPECT_NEAR(s.min, 1.0 / mean, kTight);
  EXPECT_NEAR(s.median, 3.0 / mean, kTight);
  EXPECT_NEAR(s.max, 4.0 / mean, kTight);
  EXPECT_NEAR(s.ess, 11.0 * 11.0 / (1 + 4 + 16 + 16), kTight);  // (Σw)²/Σw², scale-free
  // truncate = 1 keeps every weight: {1, 2, 4, 100} / 26.75.
  auto untruncated = finalize_weights(log_w, counted, 1.0);
  EXPECT_NEAR(untruncated[1][1], 100.0 / 26.75, 1e-12 * 4);
  EXPECT_NEAR(untruncated[1][2], 50.0 / 26.75, 1e-12 * 2);
  // Log weights far beyond double range still normalise: only differences matter.
  auto huge = finalize_weights({{800.0, 801.0}}, {{true, true}}, 1.0);
  EXPECT_NEAR(huge[0][0], 2.0 / (1.0 + std::exp(1.0)), kTight);
}

TEST(Iptw, ProjectionIsSeededAndOrthonormal) {
  const torch::Tensor p = embedding_projection(32, 3, 7);
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{32, 3}));
  EXPECT_TRUE(torch::allclose(p.t().matmul(p), torch::eye(3, torch::kFloat64), 0, 1e-12));
  EXPECT_TRUE(torch::equal(p, embedding_projection(32, 3, 7)));
  EXPECT_FALSE(torch::equal(p, embedding_projection(32, 3, 8)));
  // A state no wider than q is binned as it is.
  EXPECT_TRUE(torch::equal(embedding_projection(2, 3, 7), torch::eye(2, torch::kFloat64)));
}

TEST(Iptw, Proposition3FollowsTheNormalReferenceRule) {
  // Trajectories 0, 1, 1, 0, 0 give the transitions (0,1), (1,1), (1,0), (0,0): ρ = 0, σ² = 1/4 in
  // unit-cube coordinates. 5000 of them are m = 20,000 transitions.
  std::vector<std::vector<double>> rows(5000, std::vector<double>{0.0, 1.0, 1.0, 0.0, 0.0});
  auto rule = [](double m) { return static_cast<int>(std::lround(1.0 / (0.5 * std::pow(24 * M_PI * M_PI / m, 0.2)))); };
  EXPECT_EQ(rule(20000), 5);
  EXPECT_EQ(proposition3_bins(rows, 1, 1), rule(20000));
  // The same transitions over two categories: half as many per category, coarser bins.
  EXPECT_EQ(rule(10000), 4);
  EXPECT_EQ(proposition3_bins(rows, 1, 2), rule(10000));
}

TEST(Iptw, TransitionTableMemoryIsBoundedForThreeDimensions) {
  // q = 3 with 5 bins (125 cells, 125² pairs per category) and with 50 bins (125,000 cells, a dense
  // table of 1.6e10 pairs per category): the sparse table holds at most 4 keys per transition and
  // its bytes grow with the transitions, not with bins^q.
  for (int bins : {5, 50}) {
    const std::uint64_t cells = static_cast<std::uint64_t>(bins) * bins * bins;
    Rng rng(3);
    std::vector<CellTrajectory> trajectories;
    std::size_t transitions = 0;
    for (int k = 0; k < 200; ++k) {
      CellTrajectory t;
      t.category = k % 3;
      for (int r = 0; r < 51; ++r) t.cells.push_back(static_cast<std::uint64_t>(rng.uniform() * cells));
      transitions += t.cells.size() - 1;
      trajectories.push_back(std::move(t));
    }
    const TransitionTable table = count_transitions(trajectories);
    EXPECT_EQ(table.transitions(), transitions);
    EXPECT_LE(table.entries(), 4 * transitions);
    // A node is 48 bytes and a bucket 8; the map keeps at most about 2 buckets per node.
    EXPECT_LE(table.memory_bytes(), 4 * transitions * (48 + 2 * 8)) << bins << " bins";
  }
}

}  // namespace
}  // namespace tpp
