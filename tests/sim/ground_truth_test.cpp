// Ground-truth stimulus processes: intensities against their formulas, bounds on dense grids, the
// time-rescaling theorem on simulated data, and the coupon perturbation property.
#include <gtest/gtest.h>

#include <set>

#include <algorithm>
#include <cmath>

#include "tpp/core/error.h"
#include "tpp/sim/complex_stimuli.h"
#include "tpp/sim/ecommerce.h"
#include "tpp/sim/ground_truth.h"
#include "tpp/sim/stimulus_count.h"

namespace tpp {
namespace {

constexpr double kPi = 3.14159265358979323846;

double total(GroundTruthTarget& target, double t) {
  std::vector<double> out;
  target.intensities(t, out);
  double s = 0;
  for (double v : out) s += v;
  return s;
}

// Kolmogorov–Smirnov p-value of `samples` against Exp(1) (asymptotic Kolmogorov distribution with
// Stephens' small-sample correction).
double ks_exponential_pvalue(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double d = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double F = 1 - std::exp(-samples[i]);
    d = std::max({d, (i + 1) / n - F, F - i / n});
  }
  const double x = d * (std::sqrt(n) + 0.12 + 0.11 / std::sqrt(n));
  double p = 0;
  for (int k = 1; k <= 100; ++k) p += 2 * ((k % 2) ? 1 : -1) * std::exp(-2.0 * k * k * x * x);
  return std::clamp(p, 0.0, 1.0);
}

// Replays `seq` and checks, on windows starting at and between its events, that the bound covers a
// dense grid of intensities.
void expect_bound_holds(GroundTruthTarget& target, const Sequence& seq, double window, int grid) {
  double t = seq.t_start;
  auto check_from = [&](double from, double until) {
    for (double start : {from, 0.5 * (from + until)}) {
      const double end = std::min(start + window, seq.t_end);
      const double bound = target.upper_bound(start, end);
      for (int g = 0; g <= grid; ++g) {
        const double s = start + (end - start) * g / grid;
        ASSERT_LE(total(target, s), bound) << "at " << s << " window [" << start << ", " << end << "]";
      }
    }
  };
  for (const Event& e : seq.events) {
    if (e.time > t) check_from(t, e.time);
    target.observe(e);
    t = std::max(t, e.time);
  }
  check_from(t, seq.t_end);
}

std::vector<double> pooled_increments(const GeneratedData& gen, const std::string& process, double intensity_factor = 1.0) {
  std::vector<double> all;
  for (std::size_t i = 0; i < gen.data.sequences.size(); ++i) {
    auto target = make_process_target(process, gen.config, gen.truth[i]);
    const SequenceScore score = score_sequence(*target, gen.data.sequences[i]);
    for (double inc : score.increments) all.push_back(inc * intensity_factor);
  }
  return all;
}

void expect_wellformed(const GeneratedData& gen) {
  const Schema& schema = gen.data.schema;
  ASSERT_EQ(gen.truth.size(), gen.data.sequences.size());
  ASSERT_EQ(static_cast<int>(schema.affects.size()), schema.num_stimulus_types);
  for (const Sequence& seq : gen.data.sequences) {
    for (std::size_t i = 0; i < seq.events.size(); ++i) {
      const Event& e = seq.events[i];
      EXPECT_GE(e.time, seq.t_start);
      EXPECT_LE(e.time, seq.t_end);
      if (i > 0) {
        EXPECT_LE(seq.events[i - 1].time, e.time);
      }
      EXPECT_LT(e.type, e.is_stimulus ? schema.num_stimulus_types : schema.num_action_types);
      EXPECT_GE(e.type, 0);
    }
    EXPECT_EQ(static_cast<int>(seq.features.size()), schema.user_feature_dim);
  }
}

// ---- stimulus_count (ExPERT eq. 7) ----

TEST(StimulusCount, IntensityMatchesEquation7) {
  StimulusCountConfig c;
  c.num_stimuli = 2;
  c.t_end = 90;
  c.placement = "uniform";  // t_k = 30, 60; onsets t_k/γ = 60, 120
  c.onset_ratio = 0.5;
  c.stimulus_slope = 0.2;
  c.scale = 10;
  c.mu = 0.4, c.alpha = 0.2, c.beta = 1.0;
  EXPECT_EQ(c.stimulus_times(), (std::vector<double>{30, 60}));
  StimulusCountTarget target(c);
  EXPECT_DOUBLE_EQ(total(target, 59.9), 0.4);                  // t_1 passed but not its onset 60
  EXPECT_NEAR(total(target, 70.0), 0.4 + 0.2 * (70 - 30) / 10, 1e-12);
  target.observe(Event{65.0, 0, false, {}, {}});
  target.observe(Event{69.0, 0, false, {}, {}});
  const double hawkes = 0.2 * 1.0 * (std::exp(-(70.0 - 65)) + std::exp(-(70.0 - 69)));
  EXPECT_NEAR(total(target, 70.0), 0.4 + 0.8 + hawkes, 1e-12);
  // "onsets" placement: onsets evenly spaced at kT/(K+1).
  c.placement = "onsets";
  StimulusCountTarget spread(c);
  EXPECT_NEAR(c.stimulus_times()[0] / c.onset_ratio, 30.0, 1e-12);
  EXPECT_NEAR(c.stimulus_times()[1] / c.onset_ratio, 60.0, 1e-12);
  EXPECT_NEAR(total(spread, 80.0), 0.4 + 0.2 * (80 - 15) / 10 + 0.2 * (80 - 30) / 10, 1e-12);
}

TEST(StimulusCount, ScoreMatchesClosedFormCompensator) {
  StimulusCountConfig c;
  c.num_stimuli = 3;
  const GeneratedData gen = generate_stimulus_count(c, 3, 11);
  for (const Sequence& seq : gen.data.sequences) {
    StimulusCountTarget target(c);
    const SequenceScore score = score_sequence(target, seq);
    double integral = c.mu * c.t_end, log_sum = 0;
    for (double tk : c.stimulus_times()) {
      const double onset = tk / c.onset_ratio;
      if (onset < c.t_end)
        integral += c.stimulus_slope / c.scale * 0.5 * ((c.t_end - tk) * (c.t_end - tk) - (onset - tk) * (onset - tk));
    }
    std::vector<double> past;
    for (const Event& e : seq.events) {
      if (e.is_stimulus) continue;
      double lambda = c.mu;
      for (double tk : c.stimulus_times())
        if (c.onset_ratio * e.time > tk) lambda += c.stimulus_slope * (e.time - tk) / c.scale;
      for (double ti : past) lambda += c.alpha * c.beta * std::exp(-c.beta * (e.time - ti));
      log_sum += std::log(lambda);
      past.push_back(e.time);
      integral += c.alpha * (1 - std::exp(-c.beta * (c.t_end - e.time)));
    }
    EXPECT_NEAR(score.compensator, integral, 1e-7 * integral);
    EXPECT_NEAR(score.log_intensity, log_sum, 1e-9 * (1 + std::abs(log_sum)));
    EXPECT_EQ(score.num_actions, seq.num_actions());
  }
}

TEST(StimulusCount, BoundHoldsOnDenseGrid) {
  StimulusCountConfig c;
  c.num_stimuli = 4;
  const GeneratedData gen = generate_stimulus_count(c, 2, 5);
  for (const Sequence& seq : gen.data.sequences) {
    StimulusCountTarget target(c);
    expect_bound_holds(target, seq, 3.0, 200);
  }
}

TEST(StimulusCount, TimeRescalingKS) {
  StimulusCountConfig c;
  c.num_stimuli = 5;
  const GeneratedData gen = generate_stimulus_count(c, 40, 2024);
  expect_wellformed(gen);
  const auto inc = pooled_increments(gen, "stimulus_count");
  ASSERT_GT(inc.size(), 1000u);
  EXPECT_GT(ks_exponential_pvalue(inc), 1e-3);
  // The test has power: a compensator 20% off is rejected on the same data.
  EXPECT_LT(ks_exponential_pvalue(pooled_increments(gen, "stimulus_count", 1.2)), 1e-3);
}

// "random" placement: the stimulus times differ between sequences, fall in [0, γT), are the
// sequence's stimulus events and its truth entry, and the truth target rebuilt from that entry
// passes the time-rescaling test (and rejects a compensator 20% off).
TEST(StimulusCount, RandomPlacementDrawsTimesPerSequenceAndKeepsThemInTheTruth) {
  StimulusCountConfig c;
  c.num_stimuli = 5;
  c.placement = "random";
  EXPECT_THROW(c.stimulus_times(), std::logic_error);
  const GeneratedData gen = generate_stimulus_count(c, 40, 2024);
  expect_wellformed(gen);
  std::set<double> firsts;
  for (std::size_t i = 0; i < gen.data.sequences.size(); ++i) {
    std::vector<double> stimuli;
    for (const Event& e : gen.data.sequences[i].events)
      if (e.is_stimulus) stimuli.push_back(e.time);
    const auto truth = gen.truth[i]["stimulus_times"].get<std::vector<double>>();
    ASSERT_EQ(truth.size(), 5u);
    EXPECT_EQ(stimuli, truth);
    EXPECT_TRUE(std::is_sorted(truth.begin(), truth.end()));
    EXPECT_GE(truth.front(), 0.0);
    EXPECT_LT(truth.back(), c.onset_ratio * c.t_end);
    firsts.insert(truth.front());
  }
  EXPECT_EQ(firsts.size(), 40u);
  const auto inc = pooled_increments(gen, "stimulus_count");
  ASSERT_GT(inc.size(), 1000u);
  EXPECT_GT(ks_exponential_pvalue(inc), 1e-3);
  EXPECT_LT(ks_exponential_pvalue(pooled_increments(gen, "stimulus_count", 1.2)), 1e-3);
  EXPECT_THROW(make_process_target("stimulus_count", gen.config, nlohmann::json::object()), Error);
}

TEST(StimulusCount, SameSeedSameData) {
  StimulusCountConfig c;
  c.num_stimuli = 2;
  const GeneratedData a = generate_stimulus_count(c, 3, 9), b = generate_stimulus_count(c, 3, 9);
  const GeneratedData other = generate_stimulus_count(c, 3, 10);
  ASSERT_EQ(a.data.num_events(), b.data.num_events());
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < a.data.sequences[i].events.size(); ++j)
      EXPECT_EQ(a.data.sequences[i].events[j].time, b.data.sequences[i].events[j].time);
  EXPECT_NE(a.data.sequences[0].events.size() * 1000 + a.data.sequences[1].events.size(),
            other.data.sequences[0].events.size() * 1000 + other.data.sequences[1].events.size());
  EXPECT_THROW(StimulusCountConfig::from_json({{"onset_ratio", 1.5}}), Error);
  EXPECT_THROW(StimulusCountConfig::from_json({{"nu", 1.0}}), Error);
}

// ---- complex_stimuli ----

TEST(ComplexStimuli, IntensityMatchesFormula) {
  ComplexStimuliConfig c;  // s = 10, d = 10, β = 1
  ComplexStimuliParams p;
  p.alpha = 0.5, p.m = 3, p.gamma_d = 15, p.gamma_o = 5, p.gamma_h = 0.5, p.v = 20, p.b = 0.4, p.p = 6, p.c = 1.2;
  ComplexStimuliTarget target(c, p);
  auto formula = [&](double t) {
    const double x = 10 - 3 - t / 10;
    const double deadline = x > 0 ? 15 * std::exp(-std::pow(std::log(x), 2) / 20) / (std::sqrt(2 * kPi * 20) * x) : 0.0;
    return 0.5 * (std::sin(2 * kPi / 10 * (t + 6)) + 1.2) + 5 * std::pow(0.4, t / 10) + deadline;
  };
  for (double t : {0.0, 3.7, 25.0, 55.5, 69.0, 69.99, 69.9999, 70.0, 85.0})
    EXPECT_NEAR(total(target, t), formula(t), 1e-12 * (1 + formula(t))) << t;
  EXPECT_DOUBLE_EQ(target.deadline_term(75.0), 0.0);  // past the personal deadline s(d − m) = 70
  EXPECT_DOUBLE_EQ(target.personal_deadline(), 70.0);
  target.observe(Event{50.0, 0, false, {}, {}});
  EXPECT_NEAR(total(target, 51.0), formula(51.0) + 0.5 * std::exp(-1.0), 1e-12);
  // Peaks: sin(2π(t+6)/10) = 1 at t = 10n − 3.5.
  const auto peaks = target.peak_times();
  ASSERT_EQ(peaks.size(), 10u);
  EXPECT_NEAR(peaks[0], 6.5, 1e-12);
  const auto stimuli = target.stimuli();
  EXPECT_EQ(stimuli.front().type, 0);
  EXPECT_EQ(std::count_if(stimuli.begin(), stimuli.end(), [](const Event& e) { return e.type == 2 && e.time == 70.0; }), 1);
}

TEST(ComplexStimuli, DrawsRespectTruncation) {
  ComplexStimuliConfig c;
  Rng rng(3);
  for (int i = 0; i < 2000; ++i) {
    const ComplexStimuliParams p = c.draw(rng);
    EXPECT_NO_THROW(c.validate(p));
    ASSERT_TRUE(p.b > 0 && p.b < 1 && p.c >= 1 && p.v > 0 && p.m >= 0 && p.m < c.deadline && p.alpha < 1);
  }
  nlohmann::json bad = {{"priors", {{"v", {-100.0, 1.0}}}}};
  const ComplexStimuliConfig impossible = ComplexStimuliConfig::from_json(bad);
  EXPECT_THROW(impossible.draw(rng), Error);
}

TEST(ComplexStimuli, BoundHoldsOnDenseGrid) {
  ComplexStimuliConfig c;
  const GeneratedData gen = generate_complex_stimuli(c, 4, 17);
  for (std::size_t i = 0; i < gen.data.sequences.size(); ++i) {
    ComplexStimuliTarget target(c, ComplexStimuliParams::from_json(gen.truth[i]));
    expect_bound_holds(target, gen.data.sequences[i], 2.0, 400);
  }
  // Right at the deadline bump's mode, where the intensity is largest.
  ComplexStimuliParams p;
  p.m = 2;
  ComplexStimuliTarget target(c, p);
  const double mode_time = 10 * (10 - 2 - std::exp(-p.v / 2));
  EXPECT_GE(target.upper_bound(mode_time - 1e-3, mode_time + 1e-3), total(target, mode_time));
}

TEST(ComplexStimuli, TimeRescalingKS) {
  ComplexStimuliConfig c;
  const GeneratedData gen = generate_complex_stimuli(c, 30, 99);
  expect_wellformed(gen);
  const auto inc = pooled_increments(gen, "complex_stimuli");
  ASSERT_GT(inc.size(), 1000u);
  EXPECT_GT(ks_exponential_pvalue(inc), 1e-3);
  EXPECT_LT(ks_exponential_pvalue(pooled_increments(gen, "complex_stimuli", 1.2)), 1e-3);
}

// ---- ecommerce ----

EcommerceUser hand_user() {
  EcommerceUser u;
  u.features = {0.2f, 1.0f, 0.5f, -0.3f};
  u.coupons = {Coupon{1, 10.0, 0.2, 7.0}, Coupon{5, 30.0, 0.3, 5.0}};  // fashion; sitewide (C = 5)
  return u;
}

TEST(Ecommerce, IntensityMatchesFormula) {
  EcommerceConfig c;  // C = 5
  const EcommerceUser u = hand_user();
  EcommerceTarget target(c, u);
  auto base = [&](int k) {
    const double a = 2 * kPi * k / 5;
    return 0.05 * std::exp(0.2f + 0.8 * (std::cos(a) * 0.5f + std::sin(a) * -0.3f));
  };
  const double rho = std::exp(0.5 * 1.0);
  std::vector<double> out;
  target.intensities(5.0, out);
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(out[k], base(k), 1e-12);
  target.intensities(12.0, out);  // fashion coupon live: 2 days after issue, 5 days before expiry
  const double g = 2.0 * std::exp(-2.0 / 1.0) + 4.0 * std::exp(-5.0 / 0.5);
  EXPECT_NEAR(out[1], base(1) * (1 + rho * 1.0 * g), 1e-12);
  EXPECT_NEAR(out[0], base(0), 1e-12);
  // A grocery purchase excites groceries (self) and the others (cross), and redeems nothing.
  target.observe(Event{13.0, 0, false, {}, {}});
  target.intensities(14.0, out);
  const double g14 = 2.0 * std::exp(-4.0) + 4.0 * std::exp(-3.0 / 0.5);
  EXPECT_NEAR(out[0], base(0) + 0.5 * 0.3 * std::exp(-0.5), 1e-12);
  EXPECT_NEAR(out[1], base(1) * (1 + rho * g14) + 0.5 * 0.02 * std::exp(-0.5), 1e-12);
  // A fashion purchase redeems the fashion coupon: its lift is gone.
  target.observe(Event{15.0, 1, false, {}, {}});
  target.intensities(16.0, out);
  EXPECT_NEAR(out[1], base(1) + 0.5 * (0.3 * std::exp(-0.5) + 0.02 * std::exp(-1.5)), 1e-12);
  // The sitewide coupon (30% → 1.5× the nominal lift) lifts every category on (30, 35].
  target.intensities(33.0, out);
  const double gs = 1.5 * rho * (2.0 * std::exp(-3.0) + 4.0 * std::exp(-2.0 / 0.5));
  for (int k = 0; k < 5; ++k) {
    const double excite = 0.5 * std::exp(-0.5 * (33.0 - 13.0)) * (k == 0 ? 0.3 : 0.02) +
                          0.5 * std::exp(-0.5 * (33.0 - 15.0)) * (k == 1 ? 0.3 : 0.02);
    EXPECT_NEAR(out[k], base(k) * (1 + gs) + excite, 1e-12) << k;
  }
}

TEST(Ecommerce, CouponsOnlyRaiseTheirCategories) {
  EcommerceConfig c;
  c.single_use = false;
  Rng rng(8);
  const EcommerceUser user = draw_ecommerce_user(c, rng);
  ASSERT_GE(user.coupons.size(), 3u);
  for (std::size_t drop = 0; drop < user.coupons.size(); ++drop) {
    EcommerceUser without = user;
    without.coupons.erase(without.coupons.begin() + drop);
    EcommerceTarget with_t(c, user), without_t(c, without);
    const int family = user.coupons[drop].family;
    std::vector<double> a, b;
    for (double t = 0.05; t < c.t_end; t += 0.1) {
      if (static_cast<int>(t * 10) % 50 == 0) {  // the same purchases in both worlds
        const Event e{t, static_cast<int>(t) % c.num_categories, false, {}, {}};
        with_t.observe(e);
        without_t.observe(e);
      }
      with_t.intensities(t, a);
      without_t.intensities(t, b);
      const bool live = t > user.coupons[drop].issued && t <= user.coupons[drop].expiry();
      for (int k = 0; k < c.num_categories; ++k) {
        if (with_t.covers(family, k) && live) {
          EXPECT_GT(a[k], b[k]) << "coupon " << drop << " category " << k << " t " << t;
        } else {
          EXPECT_DOUBLE_EQ(a[k], b[k]) << "coupon " << drop << " category " << k << " t " << t;
        }
      }
    }
  }
  const Schema schema = c.schema();
  for (int s = 0; s < schema.num_stimulus_types; ++s) {
    const int family = s % (c.num_categories + 1);
    for (int k = 0; k < c.num_categories; ++k)
      EXPECT_EQ(schema.stimulus_affects(s, k), family == c.num_categories || family == k) << s << " " << k;
  }
}

TEST(Ecommerce, BoundHoldsOnDenseGrid) {
  EcommerceConfig c;
  const GeneratedData gen = generate_ecommerce(c, 3, 21);
  for (std::size_t i = 0; i < gen.data.sequences.size(); ++i) {
    EcommerceTarget target(c, EcommerceUser::from_json(gen.truth[i]));
    expect_bound_holds(target, gen.data.sequences[i], 2.0, 300);
  }
}

TEST(Ecommerce, TimeRescalingKS) {
  EcommerceConfig c;
  const GeneratedData gen = generate_ecommerce(c, 60, 5);
  expect_wellformed(gen);
  std::size_t coupon_texts = 0;
  for (const auto& seq : gen.data.sequences)
    for (const auto& e : seq.events)
      if (e.is_stimulus && e.text.find("% off") != std::string::npos) ++coupon_texts;
  EXPECT_GT(coupon_texts, 100u);
  const auto inc = pooled_increments(gen, "ecommerce");
  ASSERT_GT(inc.size(), 1000u);
  EXPECT_GT(ks_exponential_pvalue(inc), 1e-3);
  EXPECT_LT(ks_exponential_pvalue(pooled_increments(gen, "ecommerce", 1.2)), 1e-3);
}

TEST(GroundTruth, OverridesAndProcessLookup) {
  const auto cfg = apply_overrides(nlohmann::json::object(), {"num_stimuli=3", "placement=uniform", "mu=0.5"});
  EXPECT_EQ(cfg["num_stimuli"], 3);
  EXPECT_EQ(cfg["placement"], "uniform");
  EXPECT_THROW(apply_overrides({}, {"novalue"}), Error);
  EXPECT_THROW(generate_process("nope", {}, 1, 0), Error);
  const GeneratedData gen = generate_process("stimulus_count", cfg, 2, 1);
  EXPECT_EQ(gen.data.schema.num_stimulus_types, 1);
  EXPECT_EQ(gen.config["num_stimuli"], 3);
}

}  // namespace
}  // namespace tpp
