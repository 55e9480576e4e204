// Splits (by sequence, k-fold, ExPERT's protocol), target masks and time rescaling.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/data/batch.h"
#include "tpp/data/split.h"
#include "tpp/models/poisson.h"

namespace tpp {

namespace {

// n users, user s with (s % 9) + 1 events of types s+i mod 3 at increasing times, window [s, end].
Dataset ladder(std::size_t n) {
  std::vector<std::vector<std::pair<double, int>>> seqs;
  std::vector<double> ends;
  for (std::size_t s = 0; s < n; ++s) {
    std::vector<std::pair<double, int>> ev;
    for (std::size_t i = 0; i < s % 9 + 1; ++i) ev.push_back({static_cast<double>(s) + 0.5 * i + 0.1, static_cast<int>((s + i) % 3)});
    ends.push_back(ev.back().first + 1.0);
    seqs.push_back(ev);
  }
  auto d = testing::make_dataset(3, seqs, ends);
  for (std::size_t s = 0; s < n; ++s) d.sequences[s].t_start = static_cast<double>(s);
  return d;
}

std::vector<std::size_t> joined(const SplitIndices& s) {
  std::vector<std::size_t> all = s.train;
  all.insert(all.end(), s.dev.begin(), s.dev.end());
  all.insert(all.end(), s.test.begin(), s.test.end());
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace

TEST(Split, BySequenceIsDisjointCompleteSizedAndSeeded) {
  const std::size_t n = 101;
  auto s = split_indices(n, 0.7, 0.1, 5);
  EXPECT_EQ(s.train.size(), 71u);  // round(70.7)
  EXPECT_EQ(s.dev.size(), 10u);    // round(10.1)
  EXPECT_EQ(s.test.size(), 20u);
  std::vector<std::size_t> expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(joined(s), expected);  // each index exactly once
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
  auto again = split_indices(n, 0.7, 0.1, 5);
  EXPECT_EQ(again.train, s.train);
  EXPECT_EQ(again.test, s.test);
  EXPECT_NE(split_indices(n, 0.7, 0.1, 6).train, s.train);
  EXPECT_THROW(split_indices(n, 0.8, 0.3, 0), Error);
  auto d = ladder(20);
  auto parts = split_by_sequence(d, 0.5, 0.25, 1);
  EXPECT_EQ(parts.train.sequences.size() + parts.dev.sequences.size() + parts.test.sequences.size(), 20u);
  EXPECT_EQ(parts.train.schema.num_action_types, 3);
}

TEST(Split, KFoldTestsEachSequenceOnce) {
  const std::size_t n = 23;
  auto folds = kfold_indices(n, 5, 11);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<int> tested(n, 0);
  for (const auto& f : folds) {
    EXPECT_TRUE(f.dev.empty());
    EXPECT_GE(f.test.size(), 4u);
    EXPECT_LE(f.test.size(), 5u);
    EXPECT_EQ(f.train.size() + f.test.size(), n);
    std::set<std::size_t> train(f.train.begin(), f.train.end());
    for (auto i : f.test) {
      ++tested[i];
      EXPECT_EQ(train.count(i), 0u);
    }
  }
  for (int t : tested) EXPECT_EQ(t, 1);
  EXPECT_EQ(kfold_indices(n, 5, 11)[2].test, folds[2].test);
  EXPECT_THROW(kfold_indices(3, 4, 0), Error);
}

TEST(Split, ExpertProtocolKeepsHalfWholeAndCutsTheRestAt70Percent) {
  auto d = ladder(40);
  ExpertSplitOptions options;
  options.seed = 3;
  auto s = expert_split(d, options);
  EXPECT_TRUE(s.dev.sequences.empty());
  ASSERT_EQ(s.train.sequences.size(), d.sequences.size());  // every user trains on something
  std::size_t whole = 0, cut = 0;
  std::size_t t = 0;
  for (std::size_t i = 0; i < d.sequences.size(); ++i) {
    const Sequence& orig = d.sequences[i];
    const Sequence& tr = s.train.sequences[i];
    ASSERT_EQ(tr.user, orig.user);  // dataset order kept
    EXPECT_EQ(tr.first_target, 0u);
    if (tr.events.size() == orig.events.size()) {
      ++whole;
      EXPECT_EQ(tr.t_end, orig.t_end);
      continue;
    }
    ++cut;
    const std::size_t n = orig.events.size();
    const std::size_t m = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(0.7 * n)), 1, n - 1);
    EXPECT_EQ(tr.events.size(), m) << orig.user;
    EXPECT_EQ(tr.t_start, orig.t_start);
    EXPECT_EQ(tr.t_end, orig.events[m - 1].time);  // train window ends at its last event
    ASSERT_LT(t, s.test.sequences.size());
    const Sequence& te = s.test.sequences[t++];
    EXPECT_EQ(te.user, orig.user);
    EXPECT_EQ(te.events.size(), n);  // the test sequence keeps its full history
    EXPECT_EQ(te.first_target, m);
    EXPECT_EQ(te.t_end, orig.t_end);
  }
  EXPECT_EQ(t, s.test.sequences.size());
  // Users of length 1 (i % 9 == 0) cannot be cut and train whole, on top of the seeded half.
  std::size_t singles = 0;
  for (const auto& seq : d.sequences) singles += seq.events.size() < 2;
  EXPECT_GE(whole, 20u);
  EXPECT_LE(whole, 20u + singles);
  EXPECT_EQ(whole + cut, 40u);
  auto again = expert_split(d, options);
  ASSERT_EQ(again.test.sequences.size(), s.test.sequences.size());
  for (std::size_t i = 0; i < s.test.sequences.size(); ++i) EXPECT_EQ(again.test.sequences[i].user, s.test.sequences[i].user);
}

TEST(Split, ExpertTargetLikelihoodIsFullMinusHistory) {
  // A Poisson model with rates r_k: the target part of a test sequence must score
  // Σ_{i >= m} log r_{k_i} − Σ_k r_k · (t_end − t_{m−1}), and train + target = the whole sequence.
  auto d = testing::make_dataset(2, {{{0.5, 0}, {1.0, 1}, {1.75, 1}, {2.5, 0}, {4.0, 1}}}, {5.0});
  d.sequences.push_back(d.sequences[0]);
  d.sequences[1].user = "twin";
  ExpertSplitOptions options;
  auto s = expert_split(d, options);
  ASSERT_EQ(s.test.sequences.size(), 1u);
  const Sequence& te = s.test.sequences[0];
  ASSERT_EQ(te.first_target, 4u);  // round(0.7 · 5)

  PoissonConfig config;
  config.num_types = 2;
  config.rate = {0.75, 2.0};
  auto model = std::make_shared<PoissonImpl>(config);
  Context ctx;
  auto ll = [&](const Dataset& data) { return model->log_likelihood(make_batch(data, ctx))[0].item<double>(); };
  Dataset test_only = subset(s.test, {0});
  const double target = ll(test_only) - ll(history_prefix(test_only));
  const double expected = std::log(2.0) - (0.75 + 2.0) * (5.0 - 2.5);
  EXPECT_NEAR(target, expected, 1e-12);
  Dataset train_part;
  train_part.schema = d.schema;
  for (const auto& seq : s.train.sequences)
    if (seq.user == te.user) train_part.sequences.push_back(seq);
  Dataset full = subset(d, {0});
  full.sequences[0] = te;
  full.sequences[0].first_target = 0;
  EXPECT_NEAR(ll(train_part) + target, ll(full), 1e-12);

  auto masks = target_masks(test_only, {0}, 6);
  EXPECT_EQ(masks.events.sizes(), (std::vector<int64_t>{1, 6}));
  EXPECT_EQ(masks.events.sum().item<int64_t>(), 1);  // event 4 only
  EXPECT_TRUE(masks.events[0][4].item<bool>());
  EXPECT_EQ(masks.intervals.sum().item<int64_t>(), 2);  // intervals 4 and 5
  EXPECT_TRUE(masks.intervals[0][5].item<bool>());
  EXPECT_FALSE(masks.intervals[0][3].item<bool>());
}

TEST(TimeScale, FitMapsAllWindowsOntoZeroToHundredAndReverses) {
  auto d = ladder(12);
  for (auto& s : d.sequences) {
    s.t_start += 1.7e9;  // Unix-like clock values
    s.t_end += 1.7e9;
    for (auto& e : s.events) e.time += 1.7e9;
  }
  TimeScale scale = fit_time_scale(d);
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : d.sequences) {
    lo = std::min(lo, scale.to_model(s.t_start));
    hi = std::max(hi, scale.to_model(s.t_end));
    for (const auto& e : s.events) {
      const double back = scale.to_file(scale.to_model(e.time));
      EXPECT_NEAR(back, e.time, 4 * std::numeric_limits<double>::epsilon() * e.time);
    }
  }
  EXPECT_DOUBLE_EQ(lo, 0.0);
  EXPECT_NEAR(hi, 100.0, 1e-12);
  d.time_scale = scale;
  Batch b = make_batch(d, Context{});
  EXPECT_NEAR(b.t_end[3].item<double>(), (d.sequences[3].t_end - d.sequences[3].t_start) * scale.scale, 1e-9);
  EXPECT_NEAR(scale.duration_to_file(b.t_end[3].item<double>()), d.sequences[3].t_end - d.sequences[3].t_start, 1e-6);
  TimeScale json_back = time_scale_from_json(to_json(scale));
  EXPECT_EQ(json_back.offset, scale.offset);
  EXPECT_EQ(json_back.scale, scale.scale);
  TimeScale f = time_scale_factor(0.01);
  EXPECT_DOUBLE_EQ(f.to_model(250.0), 2.5);
  EXPECT_THROW(time_scale_factor(0.0), Error);
}

}  // namespace tpp
