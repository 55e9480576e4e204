// The Burr XII, log-normal mixture, Gompertz and decaying-rate laws (models/burr_law.h,
// lognormal_mixture_law.h, gompertz_law.h, decaying_rate_law.h):
// every closed form against quadrature or its defining identity, sampling by the inverse CDF
// against the CDF (Kolmogorov–Smirnov), the defective mass, and autograd gradients against
// central differences, in double precision with fixed seeds.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tpp/core/numerics.h"
#include "tpp/core/rng.h"
#include "tpp/core/stats.h"
#include "tpp/models/burr_law.h"
#include "tpp/models/decaying_rate_law.h"
#include "tpp/models/exponential_law.h"
#include "tpp/models/gompertz_law.h"
#include "tpp/models/lognormal_mixture_law.h"

namespace tpp {
namespace {

torch::Tensor scalar(double x) { return torch::full({1}, x, torch::kFloat64); }

double at(const torch::Tensor& t) { return t.reshape({-1})[0].item<double>(); }
double log_f(const TimingLaw& law, double tau) { return at(law.log_density(scalar(tau).unsqueeze(-1))); }
double log_s(const TimingLaw& law, double tau) { return at(law.log_survival(scalar(tau).unsqueeze(-1))); }
double log_h(const TimingLaw& law, double tau) { return at(law.log_hazard(scalar(tau).unsqueeze(-1))); }

struct LawCase {
  std::string label;
  std::function<std::unique_ptr<TimingLaw>()> make;
  double never;  // S(∞)
  // log S_event(τ) of the law of τ given τ < ∞, where the law is defective: S − S(∞) is then
  // integrated as (1 − S(∞)) S_event, without the cancellation of S − S(∞) in the tail.
  std::function<double(double)> event_log_survival{};
  // gtest prints a parameter with its test's name; without this it dumps the struct's bytes.
  friend void PrintTo(const LawCase& c, std::ostream* os) { *os << c.label; }
};

std::vector<LawCase> cases() {
  return {
      {"burr_rising", [] { return std::make_unique<BurrLaw>(scalar(1.3), scalar(2.5), scalar(1.2)); }, 0.0},
      {"burr_decreasing", [] { return std::make_unique<BurrLaw>(scalar(0.7), scalar(0.6), scalar(3.0)); }, 0.0},
      {"lomax", [] { return std::make_unique<BurrLaw>(scalar(2.0), scalar(1.0), scalar(2.5)); }, 0.0},
      {"burr_defective",
       [] { return std::make_unique<BurrLaw>(scalar(1.3), scalar(1.8), scalar(1.4), scalar(std::log(0.3 / 0.7))); },
       0.3, [](double tau) { return log_s(BurrLaw(scalar(1.3), scalar(1.8), scalar(1.4)), tau); }},
      {"exponential", [] { return std::make_unique<ExponentialLaw>(scalar(0.8)); }, 0.0},
      {"lognormal_mixture",
       [] {
         auto w = torch::log(torch::tensor({{0.2, 0.5, 0.3}}, torch::kFloat64));
         return std::make_unique<LogNormalMixtureLaw>(w, torch::tensor({{-1.0, 0.4, 1.5}}, torch::kFloat64),
                                                      torch::tensor({{0.3, 0.8, 0.5}}, torch::kFloat64));
       },
       0.0},
      {"gompertz_rising", [] { return std::make_unique<GompertzLaw>(scalar(-0.5), scalar(0.7)); }, 0.0},
      // w → 0: the exponential law, through the series branches.
      {"gompertz_flat", [] { return std::make_unique<GompertzLaw>(scalar(0.3), scalar(1e-10)); }, 0.0},
      {"gompertz_fast", [] { return std::make_unique<GompertzLaw>(scalar(2.5), scalar(0.02)); }, 0.0},
      // w < 0: total hazard c = e^b/|w| = 1.2/0.8, S(∞) = e^{−c}; given an event,
      // S_event(τ) = (e^{−c} e^{c e^{wτ}} − e^{−c})/(1 − e^{−c}) = e^{−c} expm1(c e^{wτ})/(1 − e^{−c}).
      {"gompertz_defective", [] { return std::make_unique<GompertzLaw>(scalar(std::log(1.2)), scalar(-0.8)); },
       std::exp(-1.5),
       [](double tau) {
         return -1.5 + std::log(std::expm1(1.5 * std::exp(-0.8 * tau))) - std::log(-std::expm1(-1.5));
       }},
      // A large total hazard: nearly proper, through the asymptotic branch of the mean (c = 80).
      {"gompertz_decaying", [] { return std::make_unique<GompertzLaw>(scalar(std::log(40.0)), scalar(-0.5)); },
       std::exp(-80.0),
       [](double tau) {
         return -80.0 + std::log(std::expm1(80.0 * std::exp(-0.5 * tau))) - std::log(-std::expm1(-80.0));
       }},
      // The gap of λ(τ) = M + A e^{−βτ} (a one-decay Hawkes interval): a = A/β = 1.5, the series
      // from n = 0; a burst (a = 600), where the series is a window around a; no excitation
      // (the exponential law).
      {"decaying_rate", [] { return std::make_unique<DecayingRateLaw>(scalar(0.7), scalar(2.25), scalar(1.5)); }, 0.0},
      {"decaying_rate_burst",
       [] { return std::make_unique<DecayingRateLaw>(scalar(0.05), scalar(300.0), scalar(0.5)); }, 0.0},
      {"decaying_rate_flat", [] { return std::make_unique<DecayingRateLaw>(scalar(0.8), scalar(0.0), scalar(2.0)); },
       0.0},
  };
}


// ∫_{e^lo}^{e^hi} g(τ) dτ = ∫_lo^hi g(e^y) e^y dy, by 400 Gauss–Legendre panels of 16 nodes: the
// integrand in y decays exponentially (Burr) or like a Gaussian (log-normal) at both ends.
double integrate_log_time(const std::function<double(double)>& g, double lo, double hi) {
  static const Quadrature q = gauss_legendre(16);
  const int panels = 400;
  const double width = (hi - lo) / panels;
  double sum = 0;
  for (int p = 0; p < panels; ++p)
    for (std::size_t j = 0; j < q.nodes.size(); ++j) {
      const double y = lo + width * (p + (q.nodes[j] + 1) / 2);
      sum += q.weights[j] / 2 * width * g(std::exp(y)) * std::exp(y);
    }
  return sum;
}

class TimingLawTest : public ::testing::TestWithParam<LawCase> {};

TEST_P(TimingLawTest, DensityIntegratesToTheEventMassAndSurvivalIsOneMinusCdf) {
  auto law = GetParam().make();
  const double total = integrate_log_time([&](double t) { return std::exp(log_f(*law, t)); }, -60, 60);
  EXPECT_NEAR(total, 1 - GetParam().never, 1e-9);
  for (double tau : {0.05, 0.5, 1.0, 2.7, 9.0}) {
    const double cdf = integrate_log_time([&](double t) { return std::exp(log_f(*law, t)); }, -60, std::log(tau));
    EXPECT_NEAR(std::exp(log_s(*law, tau)), 1 - cdf, 1e-9) << tau;
    EXPECT_NEAR(at(law->cdf(scalar(tau).unsqueeze(-1))), cdf, 1e-9) << tau;
  }
  EXPECT_NEAR(at(law->never_probability()), GetParam().never, 1e-15);
  EXPECT_NEAR(std::exp(log_s(*law, 1e60)), GetParam().never, 1e-12);  // defective mass: S(∞)
  EXPECT_NEAR(log_s(*law, 0.0), 0.0, 1e-15);
}

TEST_P(TimingLawTest, HazardIsDensityOverSurvival) {
  auto law = GetParam().make();
  auto tau = torch::tensor({{1e-6, 0.01, 0.3, 1.0, 4.0, 50.0, 1e4}}, torch::kFloat64);
  auto direct = law->log_hazard(tau);
  auto ratio = law->log_density(tau) - law->log_survival(tau);
  // log f − log S cancels: its rounding error is a few ulps of |log S|, which is far beyond the
  // hazard for a rising Gompertz law late (log S ≈ −9e88 at τ = 1e4 for b = 2.5, w = 0.02), and
  // where S underflows to 0 (log S = −e^{7000}) f/S is 0/0; the hazard itself stays exact there.
  // The identity is checked wherever S is representable, to 1e−12 plus that rounding error.
  auto log_surv = law->log_survival(tau);
  auto representable = torch::isfinite(log_surv);
  EXPECT_TRUE(representable.narrow(1, 0, 5).all().item<bool>());
  auto gap = (direct - ratio).abs().masked_select(representable);
  auto allowed = (1e-12 * (1 + direct.abs()) + 4 * std::numeric_limits<double>::epsilon() * log_surv.abs())
                     .masked_select(representable);
  EXPECT_TRUE((gap <= allowed).all().item<bool>()) << direct << "\n" << ratio;
  // At τ = 0 the ratio is taken at the smallest normal τ (f ≈ 0 there unless the hazard is
  // unbounded); the hazard is exactly 0 where its limit is 0.
  const double at_zero = log_h(*law, 0.0), ratio_zero = log_f(*law, 0.0) - log_s(*law, 0.0);
  EXPECT_FALSE(std::isnan(at_zero));
  if (std::isinf(at_zero)) {
    EXPECT_LT(at_zero, 0.0);
    EXPECT_LT(ratio_zero, -300.0);
  } else {
    EXPECT_NEAR(at_zero, ratio_zero, 1e-12 * (1 + std::abs(ratio_zero)));
  }
}

TEST_P(TimingLawTest, InverseSurvivalInvertsAndSamplesPassKolmogorovSmirnov) {
  auto law = GetParam().make();
  const double p = GetParam().never;
  auto levels = torch::tensor({{0.999, 0.9, 0.5, 0.1, 1e-3, 1e-8}}, torch::kFloat64) * (1 - p) + p;
  auto tau = law->inverse_log_survival(torch::log(levels));
  auto back = torch::exp(law->log_survival(tau));
  EXPECT_TRUE(torch::allclose(back, levels, 1e-11, 0)) << back << "\n" << levels;
  if (p > 0) {
    EXPECT_TRUE(std::isinf(at(law->inverse_log_survival(torch::log(scalar(p * 0.999)).unsqueeze(-1)))));
  }

  // n draws τ = F⁻¹(U): the returned ones follow F restricted to the event part.
  const int n = 4000;
  Rng rng(17);
  std::vector<double> u(n);
  for (double& x : u) x = rng.uniform();
  auto draws = law->inverse_cdf(torch::tensor(u, torch::kFloat64).unsqueeze(0));
  std::vector<double> returned;
  int never = 0;
  for (int i = 0; i < n; ++i) {
    const double t = draws[0][i].item<double>();
    if (std::isinf(t)) {
      ++never;
    } else {
      returned.push_back(t);
    }
  }
  // P(never) = p: binomial, within 4.5 standard deviations.
  EXPECT_LE(std::abs(never - n * p), 4.5 * std::sqrt(n * p * (1 - p)) + 1e-9);
  auto cdf = [&](double t) { return (1 - std::exp(log_s(*law, t))) / (1 - p); };
  const KsResult ks = ks_test(returned, cdf);
  // α = 0.001: the asymptotic critical value 1.949/√n.
  EXPECT_LT(ks.statistic, 1.949 / std::sqrt(static_cast<double>(returned.size()))) << ks.statistic;
}

TEST_P(TimingLawTest, MeansAndMedianMatchQuadrature) {
  auto law = GetParam().make();
  const double p = GetParam().never;
  auto event_log_s = [&](double tau) {
    return GetParam().event_log_survival ? GetParam().event_log_survival(tau) : log_s(*law, tau);
  };
  // The defective law's S is p + (1 − p) S_event.
  if (p > 0) EXPECT_NEAR(std::exp(log_s(*law, 0.8)), p + (1 - p) * std::exp(event_log_s(0.8)), 1e-14);
  // E[τ | q < τ < ∞] = q + ∫_0^∞ S_event(q + t) dt / S_event(q).
  for (double q : {0.0, 0.4, 2.0}) {
    const double sq = std::exp(event_log_s(q));
    const double tail = integrate_log_time([&](double t) { return std::exp(event_log_s(q + t)); }, -60, 60);
    const double expected = q + tail / sq;
    const double got = at(law->conditional_mean(scalar(q)));
    EXPECT_NEAR(got, expected, 1e-7 * expected) << "q = " << q;
  }
  EXPECT_NEAR(at(law->mean()), at(law->conditional_mean(scalar(0.0))), 1e-12 * at(law->mean()));
  EXPECT_NEAR(std::exp(log_s(*law, at(law->median()))), (1 + p) / 2, 1e-12);
}

TEST_P(TimingLawTest, HazardBoundHoldsOverEveryWindow) {
  auto law = GetParam().make();
  for (double window : {0.01, 0.3, 1.0, 3.0, 40.0}) {
    const double bound = at(law->hazard_upper_bound(scalar(window)));
    auto tau = torch::linspace(0, window, 4001, torch::kFloat64).unsqueeze(0);
    const double sup = torch::exp(law->log_hazard(tau)).max().item<double>();
    EXPECT_LE(sup, bound * (1 + 1e-12)) << "window " << window;
  }
}

// Autograd of log f and log S with respect to every parameter, at τ = 0 and beyond, against
// central differences; no NaN anywhere.
TEST_P(TimingLawTest, GradientsMatchCentralDifferences) {
  const bool burr = GetParam().label.rfind("burr", 0) == 0 || GetParam().label == "lomax";
  const bool gompertz = GetParam().label.rfind("gompertz", 0) == 0;
  const bool decaying = GetParam().label.rfind("decaying_rate", 0) == 0;
  std::vector<torch::Tensor> params;
  if (decaying) {
    params = {scalar(0.7), scalar(2.25), scalar(1.5)};
  } else if (gompertz) {
    // Both signs of w and one near 0, where the series branch of (e^x − 1)/x carries the gradient.
    params = {torch::tensor({{-0.5, 0.2, 0.3}}, torch::kFloat64), torch::tensor({{0.7, -0.8, 1e-5}}, torch::kFloat64)};
  } else if (burr) {
    const bool defective = GetParam().never > 0;
    params = {scalar(1.3), scalar(1.7), scalar(1.4)};
    if (defective) params.push_back(scalar(-0.8));
  } else {
    params = {torch::log(torch::tensor({{0.2, 0.5, 0.3}}, torch::kFloat64)),
              torch::tensor({{-1.0, 0.4, 1.5}}, torch::kFloat64), torch::tensor({{0.3, 0.8, 0.5}}, torch::kFloat64)};
  }
  auto tau = torch::tensor({0.0, 0.2, 1.1, 3.0}, torch::kFloat64).unsqueeze(0);
  auto objective = [&](const std::vector<torch::Tensor>& x) {
    std::unique_ptr<TimingLaw> law;
    if (decaying) {
      law = std::make_unique<DecayingRateLaw>(x[0], x[1], x[2]);
    } else if (gompertz) {
      law = std::make_unique<GompertzLaw>(x[0], x[1]);
    } else if (burr) {
      law = std::make_unique<BurrLaw>(x[0], x[1], x[2], x.size() > 3 ? x[3] : torch::Tensor());
    } else {
      law = std::make_unique<LogNormalMixtureLaw>(x[0], x[1], x[2]);
    }
    auto inner = tau.narrow(1, 1, 3);
    return law->log_density(inner).sum() + law->log_survival(tau).sum() + law->log_hazard(inner).sum();
  };
  for (auto& x : params) x.requires_grad_(true);
  objective(params).backward();
  // The gradient of log S at τ = 0 alone is finite (it is 0).
  for (auto& x : params) {
    ASSERT_TRUE(x.grad().defined());
    EXPECT_FALSE(torch::isnan(x.grad()).any().item<bool>());
  }
  const double eps = 1e-6;
  for (std::size_t i = 0; i < params.size(); ++i)
    for (int64_t j = 0; j < params[i].numel(); ++j) {
      auto shifted = [&](double delta) {
        torch::NoGradGuard no_grad;
        std::vector<torch::Tensor> x;
        for (auto& p : params) x.push_back(p.detach().clone());
        x[i].view({-1})[j] += delta;
        return objective(x).item<double>();
      };
      const double numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
      const double analytic = params[i].grad().view({-1})[j].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 * (1 + std::abs(numeric))) << "parameter " << i << " entry " << j;
    }
}

INSTANTIATE_TEST_SUITE_P(Laws, TimingLawTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<LawCase>& info) { return info.param.label; });

TEST(BurrLaw, SpecialCasesAndInfiniteMean) {
  // k = 1: log-logistic, S = 1/(1 + (τ/λ)^c); c = 1: Lomax, S = (1 + τ/λ)^(−k).
  BurrLaw loglogistic(scalar(2.0), scalar(3.0), scalar(1.0));
  EXPECT_NEAR(std::exp(log_s(loglogistic, 1.5)), 1 / (1 + std::pow(0.75, 3.0)), 1e-14);
  BurrLaw lomax(scalar(2.0), scalar(1.0), scalar(2.5));
  EXPECT_NEAR(std::exp(log_s(lomax, 1.5)), std::pow(1.75, -2.5), 1e-14);
  // Mean of the Lomax law: λ/(k − 1).
  EXPECT_NEAR(at(lomax.mean()), 2.0 / 1.5, 1e-12);
  // c·k <= 1: the tail is too heavy for a mean; the median stays finite.
  BurrLaw heavy(scalar(1.0), scalar(0.8), scalar(1.2));
  EXPECT_TRUE(std::isinf(at(heavy.mean())));
  EXPECT_TRUE(std::isinf(at(heavy.conditional_mean(scalar(1.0)))));
  EXPECT_NEAR(at(heavy.median()), std::pow(std::pow(2.0, 1 / 1.2) - 1, 1 / 0.8), 1e-12);
  // c < 1: the hazard is unbounded at 0, so no finite bound exists.
  BurrLaw decreasing(scalar(1.0), scalar(0.5), scalar(2.0));
  EXPECT_TRUE(std::isinf(at(decreasing.hazard_upper_bound(scalar(1.0)))));
}

TEST(BurrLaw, IncompleteBetaMatchesClosedForms) {
  for (double x : {1e-6, 0.05, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9}) {
    EXPECT_NEAR(std::exp(log_incomplete_beta(x, 1.0, 2.5)), 1 - std::pow(1 - x, 2.5), 1e-13) << x;
    EXPECT_NEAR(std::exp(log_incomplete_beta(x, 3.2, 1.0)), std::pow(x, 3.2), 1e-13 * (1 + std::pow(x, 3.2))) << x;
    // I_x(2, 2) = 3x² − 2x³.
    EXPECT_NEAR(std::exp(log_incomplete_beta(x, 2.0, 2.0)), 3 * x * x - 2 * x * x * x, 1e-13) << x;
  }
  // Relative precision in the far lower tail: I_x(a, 1) = x^a.
  EXPECT_NEAR(log_incomplete_beta(1e-30, 3.0, 1.0), 3 * std::log(1e-30), 1e-10);
}

TEST(GompertzLaw, ExponentialLimitAndRmtppCompensator) {
  // w = 0 is the exponential law of rate e^b; tiny |w| on either side agrees with it.
  for (double w : {0.0, 1e-12, -1e-12}) {
    GompertzLaw law(scalar(0.4), scalar(w));
    EXPECT_NEAR(at(law.mean()), std::exp(-0.4), 1e-10) << w;
    EXPECT_NEAR(log_s(law, 2.0), -2 * std::exp(0.4), 1e-10) << w;
    EXPECT_NEAR(at(law.conditional_mean(scalar(3.0))), 3 + std::exp(-0.4), 1e-10) << w;
  }
  // −log S over a span is RMTPP's compensator e^b Δ (e^{wΔ} − 1)/(wΔ).
  GompertzLaw law(scalar(-0.2), scalar(0.9));
  EXPECT_NEAR(-log_s(law, 1.7), std::exp(-0.2) * std::expm1(0.9 * 1.7) / 0.9, 1e-13);
  // The scaled exponential integral on both sides of its branch point A = r/w = 1.
  for (double w : {0.999 * std::exp(-0.2), 1.001 * std::exp(-0.2)}) {
    GompertzLaw branch(scalar(-0.2), scalar(w));
    const double tail = integrate_log_time([&](double t) { return std::exp(log_s(branch, t)); }, -60, 60);
    EXPECT_NEAR(at(branch.mean()), tail, 1e-9 * tail) << w;
  }
}

// The type masses of λ_k(τ) = μ_k + A_k e^{−βτ} after a quiet time q, ∫_q^∞ λ_k S / S(q), against
// quadrature; P(k | τ) is λ_k(τ)/λ(τ); the law built for a batch of intervals is the same.
TEST(DecayingRateMarks, TypeMassesMatchQuadratureAndSumToOne) {
  const double beta = 1.5;
  const std::vector<double> mu{0.2, 0.5}, excitation{1.5, 0.25};
  auto rates = torch::tensor(mu, torch::kFloat64);
  auto a_k = torch::tensor(excitation, torch::kFloat64).reshape({1, 1, 2});
  const NextEventLaw law = decaying_rate_next_event_law(rates, a_k, scalar(beta).reshape({}));
  ASSERT_TRUE(law.marks);
  auto lambda_k = [&](int k, double tau) { return mu[k] + excitation[k] * std::exp(-beta * tau); };
  auto survival = [&](double tau) {
    return std::exp(log_s(*law.gap, tau));
  };
  for (double q : {0.0, 0.6, 3.0}) {
    auto after = law.marks->after(torch::full({1, 1}, q, torch::kFloat64));
    double sum = 0;
    for (int k = 0; k < 2; ++k) {
      const double mass =
          integrate_log_time([&](double t) { return lambda_k(k, q + t) * survival(q + t); }, -60, 60) / survival(q);
      EXPECT_NEAR(after[0][0][k].item<double>(), mass, 1e-10) << "q = " << q << " type " << k;
      sum += after[0][0][k].item<double>();
    }
    EXPECT_NEAR(sum, 1.0, 1e-14);
  }
  EXPECT_TRUE(torch::allclose(law.mark_probability, law.marks->after(torch::zeros({1, 1}, torch::kFloat64))));
  auto at_tau = law.marks->at(torch::full({1, 1}, 0.8, torch::kFloat64));
  const double total = lambda_k(0, 0.8) + lambda_k(1, 0.8);
  EXPECT_NEAR(at_tau[0][0][0].item<double>(), lambda_k(0, 0.8) / total, 1e-15);
  // The mean of the gap is E[1/(M + βN)], N ~ Poisson(A/β): against the direct integral of S.
  const double mean = integrate_log_time(survival, -60, 60);
  EXPECT_NEAR(at(law.gap->mean()), mean, 1e-10 * mean);
}

}  // namespace
}  // namespace tpp
