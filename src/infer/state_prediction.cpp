#include "tpp/infer/state_prediction.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/models/model.h"

namespace tpp {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// As in the batched predictor: S may fall by at most e^{-4} across one panel of the final pass.
constexpr double kMaxPanelStep = 4.0;
constexpr int kCoarseNodes = 4, kCoarsePanels = 8;

// Legendre polynomials P_0..P_n at y.
void legendre(double y, int n, double* p) {
  p[0] = 1;
  if (n > 0) p[1] = y;
  for (int j = 1; j < n; ++j) p[j + 1] = ((2 * j + 1) * y * p[j] - j * p[j - 1]) / (j + 1);
}

// ∫_{-1}^{y} P_j for j = 0..n−1, from (2j+1) P_j = P'_{j+1} − P'_{j−1}; p holds P_0..P_n at y.
void legendre_integrals(double y, int n, const double* p, double* out) {
  out[0] = y + 1;
  for (int j = 1; j < n; ++j) out[j] = (p[j + 1] - p[j - 1]) / (2 * j + 1);
}

// An n-point Gauss–Legendre panel on [0, 1]. A panel's integrand g, known at the nodes, is the
// degree n−1 Legendre series Σ c_i P_i(2x−1) with c = to_coefficients · g (exact by the rule's
// degree 2n−1 exactness), so ∫_0^x g is known anywhere in the panel: at the nodes (partial, for
// Λ at every node) and at the median, without further model calls.
struct Rule {
  int n{0};
  std::vector<double> fraction, weight;  // nodes on [0, 1], weights summing to 1
  std::vector<double> to_coefficients;   // [n × n]: c_i = Σ_m to_coefficients[i n + m] g_m
  std::vector<double> partial;           // [n × n]: ∫_0^{x_j} g = Σ_m partial[j n + m] g_m

  explicit Rule(int nodes) : n(nodes) {
    const auto q = gauss_legendre(n);
    fraction.resize(n);
    weight.resize(n);
    to_coefficients.assign(static_cast<std::size_t>(n) * n, 0.0);
    partial.assign(static_cast<std::size_t>(n) * n, 0.0);
    std::vector<double> p(n + 1), integral(n);
    for (int m = 0; m < n; ++m) {
      fraction[m] = (q.nodes[m] + 1) / 2;
      weight[m] = q.weights[m] / 2;
      legendre(q.nodes[m], n, p.data());
      for (int i = 0; i < n; ++i) to_coefficients[i * n + m] = (2 * i + 1) / 2.0 * q.weights[m] * p[i];
    }
    for (int j = 0; j < n; ++j) {
      legendre(q.nodes[j], n, p.data());
      legendre_integrals(q.nodes[j], n, p.data(), integral.data());
      for (int m = 0; m < n; ++m) {
        double sum = 0;
        for (int i = 0; i < n; ++i) sum += integral[i] * to_coefficients[i * n + m];
        partial[j * n + m] = sum / 2;  // dx = dy / 2
      }
    }
  }
};

struct Pass {
  double time{0};                   // ∫_0^H S
  std::vector<double> mass;         // ∫_0^H λ_k S
  std::vector<double> lambda_end;   // Λ at the panel ends
  std::vector<double> integrand;    // [P × n] Σ_k λ_k · ds/dx at the nodes
  std::vector<double> lambda_h;     // λ_k(H)
  double largest_step{0};
};

// One model call: λ at P panels of the rule over s = H·u³ (u ∈ [0, 1], as in the batched
// predictor) beyond `quiet`, plus at H. Λ, S, ∫S and ∫λ_k S follow in double arithmetic.
class StateQuadrature {
 public:
  StateQuadrature(Model& model, UserState& state, double quiet, double survival_tolerance)
      : model_(model), state_(state), quiet_(quiet), stop_(-std::log(survival_tolerance)) {}

  Pass run(double H, int P, const Rule& rule, bool survival) {
    const int n = rule.n;
    std::vector<double> elapsed(static_cast<std::size_t>(P) * n + 1);
    const double du = 1.0 / P;
    for (int p = 0; p < P; ++p)
      for (int j = 0; j < n; ++j) {
        const double u = (p + rule.fraction[j]) * du;
        elapsed[p * n + j] = quiet_ + H * u * u * u;
      }
    elapsed.back() = quiet_ + H;
    auto lambda = state_.intensity_after(model_, elapsed);
    ++calls;
    const int64_t K = lambda.size(1);
    const double* l = lambda.data_ptr<double>();
    Pass pass;
    pass.mass.assign(K, 0.0);
    pass.lambda_end.resize(P);
    pass.integrand.resize(static_cast<std::size_t>(P) * n);
    pass.lambda_h.assign(l + static_cast<int64_t>(P) * n * K, l + (static_cast<int64_t>(P) * n + 1) * K);
    std::vector<double> total(n);
    double carry = 0;
    for (int p = 0; p < P; ++p) {
      double increment = 0;
      for (int j = 0; j < n; ++j) {
        const double u = (p + rule.fraction[j]) * du;
        const double* row = l + (static_cast<int64_t>(p) * n + j) * K;
        double sum = 0;
        for (int64_t k = 0; k < K; ++k) sum += row[k];
        total[j] = sum * H * 3 * u * u * du;
        pass.integrand[p * n + j] = total[j];
        increment += rule.weight[j] * total[j];
      }
      if (survival)
        for (int j = 0; j < n; ++j) {
          const double u = (p + rule.fraction[j]) * du;
          double at_node = carry;
          for (int m = 0; m < n; ++m) at_node += rule.partial[j * n + m] * total[m];
          const double weighted = std::exp(-at_node) * rule.weight[j] * H * 3 * u * u * du;
          pass.time += weighted;
          const double* row = l + (static_cast<int64_t>(p) * n + j) * K;
          for (int64_t k = 0; k < K; ++k) pass.mass[k] += row[k] * weighted;
        }
      // Panels starting where S < survival_tolerance carry nothing reported (as in the batch).
      if (carry < stop_) pass.largest_step = std::max(pass.largest_step, increment);
      carry += increment;
      pass.lambda_end[p] = carry;
    }
    return pass;
  }

  double total_rate(double at) {
    auto lambda = state_.intensity_after(model_, {quiet_ + at});
    ++calls;
    return lambda.sum().item<double>();
  }

  int calls{0};

 private:
  Model& model_;
  UserState& state_;
  double quiet_;
  double stop_;  // −log(survival_tolerance)
};

double panel_end(double H, int j, int P) {
  const double u = static_cast<double>(j + 1) / P;
  return H * u * u * u;
}

// Λ(s) = level inside the panel whose ends bracket it: safeguarded Newton on the panel's Legendre
// series of the integrand (no model call; its accuracy is the converged quadrature's).
double median_elapsed(const Pass& pass, const Rule& rule, double H, double level) {
  const int P = static_cast<int>(pass.lambda_end.size()), n = rule.n;
  int panel = 0;
  while (panel < P - 1 && pass.lambda_end[panel] < level) ++panel;
  const double start = panel > 0 ? pass.lambda_end[panel - 1] : 0.0;
  std::vector<double> c(n, 0.0), p(n + 1), integral(n);
  for (int i = 0; i < n; ++i)
    for (int m = 0; m < n; ++m) c[i] += rule.to_coefficients[i * n + m] * pass.integrand[panel * n + m];
  auto excess = [&](double y, double& slope) {
    legendre(y, n, p.data());
    legendre_integrals(y, n, p.data(), integral.data());
    double value = start, derivative = 0;
    for (int i = 0; i < n; ++i) {
      value += c[i] * integral[i] / 2;
      derivative += c[i] * p[i] / 2;
    }
    slope = derivative;
    return value - level;
  };
  double lo = -1, hi = 1;
  const double width = pass.lambda_end[panel] - start;
  double y = width > 0 ? std::clamp(2 * (level - start) / width - 1, -1.0, 1.0) : 0.0;
  for (int iter = 0; iter < 100; ++iter) {
    double slope = 0;
    const double f = excess(y, slope);
    (f < 0 ? lo : hi) = y;
    const double newton = y - f / slope;
    const double next = (newton > lo && newton < hi) ? newton : (lo + hi) / 2;
    const bool settled = std::fabs(next - y) <= 4 * std::numeric_limits<double>::epsilon();
    y = next;
    if (settled || hi - lo <= 4 * std::numeric_limits<double>::epsilon()) break;
  }
  const double u = (panel + (y + 1) / 2) / P;
  return H * u * u * u;
}

}  // namespace

namespace {

// The open interval's closed-form law conditioned on τ > quiet (and on an event, where the law is
// defective): E[τ | quiet < τ < ∞], the median S(m) = (S(quiet) + S(∞))/2, the marks, and
// P(no event | τ > quiet) = S(∞)/S(quiet). One model call.
StatePrediction from_closed_form(Model& model, UserState& state, const NextEventLaw& law, const PredictOptions& o,
                                 double quiet) {
  const auto& history = state.current();
  const int64_t i = state.open_interval();
  const auto opts = history.start.options();
  const auto& gap = *law.gap;
  const int64_t L1 = history.start.size(1);
  auto q = torch::full({1, L1}, quiet, opts);
  auto cpu = [i](const torch::Tensor& t) { return t.select(0, 0).select(0, i).to(torch::kCPU, torch::kFloat64); };
  const double log_sq = cpu(gap.log_survival(q.unsqueeze(-1)).squeeze(-1)).item<double>();
  const double never = cpu(gap.never_probability()).item<double>();
  const double survival_q = std::exp(log_sq);
  StatePrediction out;
  out.model_calls = 1;
  out.converged = true;
  out.panels = 0;
  out.no_event_probability = survival_q > 0 ? never / survival_q : kNaN;
  out.expected_time = cpu(gap.conditional_mean(q)).item<double>();
  auto level = [&](double conditional_survival) {  // log S at which S(τ | τ > quiet, τ < ∞) = level
    return torch::full({1, L1, 1}, std::log(never + conditional_survival * (survival_q - never)), opts);
  };
  const double end = cpu(gap.inverse_log_survival(level(o.survival_tolerance)).squeeze(-1)).item<double>();
  out.horizon = end - quiet;
  out.median_time = o.median ? cpu(gap.inverse_log_survival(level(0.5)).squeeze(-1)).item<double>() : kNaN;
  // τ-dependent marks move with the quiet time: the type masses after it.
  auto prob = cpu(law.marks ? law.marks->after(q) : law.mark_probability).contiguous();
  const int K = static_cast<int>(prob.numel());
  out.type_probability.assign(prob.data_ptr<double>(), prob.data_ptr<double>() + K);
  std::vector<int> order(K);
  std::iota(order.begin(), order.end(), 0);
  const int k = std::min(o.top_k, K);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return out.type_probability[a] > out.type_probability[b] ||
           (out.type_probability[a] == out.type_probability[b] && a < b);
  });
  for (int r = 0; r < k; ++r) {
    out.top_k_type.push_back(order[r]);
    out.top_k_probability.push_back(out.type_probability[order[r]]);
  }
  return out;
}

}  // namespace

StatePrediction predict_from_state(Model& model, UserState& state, const PredictOptions& o, double quiet) {
  check_predict_options(o);
  if (!(quiet >= 0) || !std::isfinite(quiet)) throw Error("prediction: the quiet time must be finite and >= 0");
  torch::NoGradGuard no_grad;
  if (o.closed_form)
    if (auto law = model.next_event_law(state.current())) return from_closed_form(model, state, *law, o, quiet);
  const auto dtype = state.current().start.scalar_type();
  const double eps = dtype == torch::kFloat64 ? std::numeric_limits<double>::epsilon()
                                              : static_cast<double>(std::numeric_limits<float>::epsilon());
  const double tol = o.survival_tolerance, rtol = std::max(o.relative_tolerance, 100 * eps);
  StateQuadrature quadrature(model, state, quiet, tol);
  static thread_local std::vector<std::unique_ptr<Rule>> rules(65);
  auto rule_of = [](int n) -> const Rule& {
    if (!rules[n]) rules[n] = std::make_unique<Rule>(n);
    return *rules[n];
  };
  const Rule& coarse = rule_of(kCoarseNodes);
  const Rule& fine = rule_of(o.panel_nodes);

  // Horizon, search and refinement exactly as predict_next_event does for one interval.
  const double rate0 = quadrature.total_rate(0.0);
  double H = (rate0 > 0 && std::isfinite(rate0)) ? -std::log(tol) / rate0 : 1.0;
  bool grown = false, dead = false;
  auto search = [&] {
    for (int step = 0; step < o.max_horizon_steps; ++step) {
      const Pass pass = quadrature.run(H, kCoarsePanels, coarse, false);
      const double last = pass.lambda_end.back();
      const bool below_last = std::exp(-last) < tol;
      double rate_h = 0;
      for (double x : pass.lambda_h) rate_h += x;
      dead = !below_last && rate_h * H < tol;
      const bool grow = !below_last && !std::isnan(last) && !dead;
      int first = 0;
      while (first < kCoarsePanels && !(std::exp(-pass.lambda_end[first]) < tol)) ++first;
      const bool shrink = !grown && below_last && first < kCoarsePanels / 2;
      if (!grow && !shrink) break;
      H = grow ? 2 * H : panel_end(H, first, kCoarsePanels);
      grown = grown || grow;
    }
  };
  Pass current;
  int P = 4;
  bool panels_ok = false, horizon_ok = false;
  for (int round = 0; round < 6; ++round) {
    search();
    P = 4;
    Pass previous = quadrature.run(H, P, fine, true);
    for (;;) {
      P *= 2;
      current = quadrature.run(H, P, fine, true);
      double dmass = 0, total_mass = 0;
      for (std::size_t k = 0; k < current.mass.size(); ++k) {
        dmass = std::max(dmass, std::fabs(current.mass[k] - previous.mass[k]));
        total_mass += current.mass[k];
      }
      panels_ok = std::fabs(current.time - previous.time) <= rtol * std::fabs(current.time) &&
                  dmass <= rtol * total_mass && current.largest_step <= kMaxPanelStep;
      if (panels_ok || std::isnan(current.time) || 2 * P > o.max_panels) break;
      previous = std::move(current);
    }
    const double last = current.lambda_end.back();
    horizon_ok = std::exp(-last) < tol;
    if (horizon_ok || std::isnan(last) || dead) break;
    H *= 2;
    grown = true;
  }

  // Tail beyond H as if the intensity stayed at λ(H); where it died, condition on an event.
  double total_h = 0;
  for (double x : current.lambda_h) total_h += x;
  const double survival_h = std::exp(-current.lambda_end.back());
  const double tail = (total_h > 0 && !dead) ? survival_h / total_h : 0.0;
  const int K = static_cast<int>(current.mass.size());
  StatePrediction out;
  out.type_probability.resize(K);
  double mass_sum = 0;
  for (int k = 0; k < K; ++k) mass_sum += out.type_probability[k] = current.mass[k] + current.lambda_h[k] * tail;
  for (double& x : out.type_probability) x /= mass_sum;
  const double conditional = survival_h < 1 ? (current.time - H * survival_h) / (1 - survival_h) : kNaN;
  out.expected_time = quiet + (dead ? conditional : current.time + tail);
  out.no_event_probability = dead ? survival_h : 0.0;
  out.horizon = H;
  out.panels = P;
  out.converged = panels_ok && (horizon_ok || dead);
  std::vector<int> order(K);
  std::iota(order.begin(), order.end(), 0);
  const int k = std::min(o.top_k, K);
  auto probability = [&](int i) { return std::isnan(out.type_probability[i]) ? 0.0 : out.type_probability[i]; };
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int a, int b) { return probability(a) > probability(b) || (probability(a) == probability(b) && a < b); });
  for (int i = 0; i < k; ++i) {
    out.top_k_type.push_back(order[i]);
    out.top_k_probability.push_back(out.type_probability[order[i]]);
  }
  out.median_time = kNaN;
  if (o.median && mass_sum > 0) {
    const double level = (dead && survival_h < 1) ? -std::log((1 + survival_h) / 2) : std::log(2.0);
    out.median_time = quiet + median_elapsed(current, fine, H, level);
  }
  out.model_calls = quadrature.calls;
  return out;
}

}  // namespace tpp
