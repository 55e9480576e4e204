#include "tpp/infer/predict.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "type_read_out.h"

namespace tpp {

namespace {

// Gauss–Legendre nodes on one panel (mapped to [0, 1]) with the spectral integration matrix
// partial[j][m] = ∫_0^{fraction_j} ℓ_m(u) du of the Lagrange basis: Σ_m partial[j][m] f(u_m)
// integrates f's interpolant from the panel start to node j, so Λ at every node costs no extra
// intensity evaluation.
struct PanelRule {
  int n{0};
  torch::Tensor fraction;  // [n]
  torch::Tensor weight;    // [n], sums to 1
  torch::Tensor partial;   // [n, n]
};

PanelRule panel_rule(int n, const torch::TensorOptions& opts) {
  auto q = gauss_legendre(n);
  std::vector<double> fraction(n), weight(n), partial(static_cast<std::size_t>(n) * n);
  for (int j = 0; j < n; ++j) {
    fraction[j] = (q.nodes[j] + 1) / 2;
    weight[j] = q.weights[j] / 2;
  }
  for (int j = 0; j < n; ++j) {
    // An n-point rule on [-1, x_j] integrates the degree n−1 basis polynomials exactly.
    const double half = (q.nodes[j] + 1) / 2;
    for (int m = 0; m < n; ++m) {
      double sum = 0;
      for (int r = 0; r < n; ++r) {
        const double y = -1 + half * (q.nodes[r] + 1);
        double basis = 1;
        for (int p = 0; p < n; ++p)
          if (p != m) basis *= (y - q.nodes[p]) / (q.nodes[m] - q.nodes[p]);
        sum += q.weights[r] * basis;
      }
      partial[static_cast<std::size_t>(j) * n + m] = sum * half / 2;  // [-1, 1] -> [0, 1]
    }
  }
  PanelRule rule;
  rule.n = n;
  rule.fraction = torch::tensor(fraction, torch::kFloat64).to(opts);
  rule.weight = torch::tensor(weight, torch::kFloat64).to(opts);
  rule.partial = torch::tensor(partial, torch::kFloat64).reshape({n, n}).to(opts);
  return rule;
}

struct Pass {
  torch::Tensor time;        // [B, L+1] ∫_0^H S
  torch::Tensor mass;        // [B, L+1, K] ∫_0^H λ_k S
  torch::Tensor lambda_end;  // [B, L+1, P] Λ at the panel ends
};

// Panels are equal in u ∈ [0, 1] with s = H·u³: short near the interval start, where intensities
// after an event change fastest, and long in the tail. The integrands carry ds/du = 3H·u², a
// polynomial, so the Gauss–Legendre rules stay spectral. survival=false computes only Λ.
Pass integrate(Model& model, const History& history, const torch::Tensor& H, int P, const PanelRule& rule,
               std::int64_t max_chunk, bool survival) {
  const int64_t B = H.size(0), L1 = H.size(1), K = model.num_types(), n = rule.n;
  const double du = 1.0 / P;
  const auto H4 = H.unsqueeze(-1).unsqueeze(-1);
  const int64_t per_panel = std::max<int64_t>(1, B * L1 * n * std::max<int64_t>(K, 1));
  const int64_t chunk = std::clamp<int64_t>(max_chunk / per_panel, 1, P);
  auto carry = torch::zeros({B, L1}, H.options());
  Pass pass;
  if (survival) {
    pass.time = torch::zeros({B, L1}, H.options());
    pass.mass = torch::zeros({B, L1, K}, H.options());
  }
  std::vector<torch::Tensor> ends;
  for (int64_t p0 = 0; p0 < P; p0 += chunk) {
    const int64_t c = std::min<int64_t>(chunk, P - p0);
    auto offsets = torch::arange(p0, p0 + c, H.options());
    auto u = (offsets.unsqueeze(1) + rule.fraction.unsqueeze(0)) * du;  // [c, n]
    auto elapsed = H4 * (u * u * u);                                     // [B, L1, c, n]
    auto jacobian = H4 * (3 * u * u) * du;                               // ds per panel-unit
    auto lambda = model.intensity(history, elapsed.reshape({B, L1, c * n})).reshape({B, L1, c, n, K});
    auto total = lambda.sum(-1) * jacobian;
    auto increment = (total * rule.weight).sum(-1);  // [B, L1, c]
    auto at_end = carry.unsqueeze(-1) + increment.cumsum(-1);
    ends.push_back(at_end);
    if (survival) {
      auto at_start = at_end - increment;
      auto at_node = at_start.unsqueeze(-1) + torch::matmul(total, rule.partial.t());
      auto weighted = torch::exp(-at_node) * rule.weight * jacobian;  // [B, L1, c, n]
      pass.time += weighted.sum({2, 3});
      pass.mass += (lambda * weighted.unsqueeze(-1)).sum({2, 3});
    }
    carry = at_end.select(-1, c - 1);
  }
  pass.lambda_end = torch::cat(ends, -1);
  return pass;
}

// Largest Λ increment over one panel: panels must resolve S, not only agree with coarser ones.
// Panels that start where S < survival_tolerance carry nothing that is reported, so they do not
// count (an intensity growing without bound, e.g. self-correcting, steps ever more there).
torch::Tensor largest_step(const Pass& pass, double survival_tolerance) {
  auto ends = pass.lambda_end;
  auto starts = torch::cat({torch::zeros_like(ends.narrow(-1, 0, 1)), ends.narrow(-1, 0, ends.size(-1) - 1)}, -1);
  auto steps = torch::where(starts < -std::log(survival_tolerance), ends - starts, torch::zeros_like(ends));
  return steps.amax(-1);
}

// Elapsed time at the end of panel j (0-based) of P.
torch::Tensor panel_end(const torch::Tensor& H, const torch::Tensor& j, int P) {
  auto u = (j + 1).to(H.scalar_type()) / P;
  return H * u * u * u;
}

// S may fall by at most e^{-4} across one panel of the final pass.
constexpr double kMaxPanelStep = 4.0;

double dtype_epsilon(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::epsilon()
                                            : static_cast<double>(std::numeric_limits<float>::epsilon());
}

}  // namespace

void check_predict_options(const PredictOptions& o) {
  if (!(o.survival_tolerance > 0 && o.survival_tolerance < 1))
    throw Error("prediction: survival_tolerance must lie in (0, 1)");
  if (!(o.relative_tolerance > 0)) throw Error("prediction: relative_tolerance must be positive");
  if (o.panel_nodes < 1 || o.panel_nodes > 64) throw Error("prediction: panel_nodes must lie in [1, 64]");
  if (o.max_panels < 8) throw Error("prediction: max_panels must be at least 8");
  if (o.top_k < 1) throw Error("prediction: top_k must be at least 1");
  if (o.max_chunk_elements < 1) throw Error("prediction: max_chunk_elements must be positive");
}

namespace {

using detail::valid_intervals;

// Solves Λ(s) = level inside the panel whose ends bracket it: safeguarded Newton, each Λ(s) from
// the panel start by an n-point rule. level [B, L1] is log 2, or −log((1 + S(∞))/2) where the
// intensity dies out (the median of the law conditioned on an event).
torch::Tensor median_time(Model& model, const History& history, const torch::Tensor& H, const Pass& pass,
                          const PanelRule& rule, const torch::Tensor& valid, const torch::Tensor& level) {
  const int64_t P = pass.lambda_end.size(-1), n = rule.n;
  auto panel = (pass.lambda_end < level.unsqueeze(-1)).sum(-1).clamp(0, P - 1);  // [B, L1] long
  auto lambda_b = pass.lambda_end.gather(-1, panel.unsqueeze(-1)).squeeze(-1);
  auto before = (panel - 1).clamp_min(0);
  auto lambda_a = torch::where(panel > 0, pass.lambda_end.gather(-1, before.unsqueeze(-1)).squeeze(-1),
                               torch::zeros_like(lambda_b));
  auto a = panel_end(H, panel - 1, static_cast<int>(P));
  auto width = panel_end(H, panel, static_cast<int>(P)) - a;
  auto lo = a.clone(), hi = a + width;
  auto guess = ((level - lambda_a) / (lambda_b - lambda_a)).clamp(0, 1);
  auto s = a + width * torch::where(torch::isnan(guess), torch::full_like(guess, 0.5), guess);
  const double eps = dtype_epsilon(H);
  for (int iter = 0; iter < 60; ++iter) {
    auto d = s - a;
    auto elapsed = torch::cat({a.unsqueeze(-1) + d.unsqueeze(-1) * rule.fraction, s.unsqueeze(-1)}, -1);
    auto lambda = model.intensity(history, elapsed).sum(-1);  // [B, L1, n+1]
    auto f = lambda_a + d * (lambda.narrow(-1, 0, n) * rule.weight).sum(-1) - level;
    auto slope = lambda.select(-1, n);
    lo = torch::where(f < 0, s, lo);
    hi = torch::where(f < 0, hi, s);
    auto newton = s - f / slope;
    auto next = torch::where((newton > lo) & (newton < hi), newton, (lo + hi) / 2);
    auto moved = torch::where(valid, (next - s).abs() - 4 * eps * s.abs(), torch::zeros_like(s));
    s = next;
    if (!(moved > 0).any().item<bool>()) break;
  }
  return s;
}

// Rows of the batch per model call such that one panel of them holds at most max_chunk_elements
// intensities (at least 1).
int64_t rows_per_call(const Model& model, int64_t intervals, int nodes, std::int64_t max_chunk) {
  const int64_t per_row = std::max<int64_t>(1, intervals * nodes * std::max(model.num_types(), 1));
  return std::max<int64_t>(1, max_chunk / per_row);
}

// `t` [B, L1', ...] padded to L1 intervals with `fill` (false for bool): a row group encoded alone
// has as many intervals as its own longest sequence.
torch::Tensor pad_intervals(const torch::Tensor& t, int64_t L1, double fill) {
  if (!t.defined() || t.size(1) == L1) return t;
  auto shape = t.sizes().vec();
  shape[1] = L1 - t.size(1);
  auto pad = t.scalar_type() == torch::kBool ? torch::zeros(shape, t.options()) : torch::full(shape, fill, t.options());
  return torch::cat({t, pad}, 1);
}

// The predictions of consecutive row groups as one, padded with an invalid interval's values
// (NaN, type −1, not valid, not converged, P(no event) 0).
NextEventPrediction concat_rows(const std::vector<NextEventPrediction>& parts, int64_t L1) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  NextEventPrediction out;
  auto join = [&](torch::Tensor NextEventPrediction::*field, double fill) {
    std::vector<torch::Tensor> rows;
    for (const auto& p : parts) {
      if (!(p.*field).defined()) return;
      rows.push_back(pad_intervals(p.*field, L1, fill));
    }
    out.*field = torch::cat(rows, 0);
  };
  join(&NextEventPrediction::expected_time, nan);
  join(&NextEventPrediction::median_time, nan);
  join(&NextEventPrediction::type_probability, nan);
  join(&NextEventPrediction::predicted_type, -1);
  join(&NextEventPrediction::top_k_type, -1);
  join(&NextEventPrediction::top_k_probability, nan);
  join(&NextEventPrediction::horizon, nan);
  join(&NextEventPrediction::converged, 0);
  join(&NextEventPrediction::no_event_probability, 0);
  join(&NextEventPrediction::valid, 0);
  for (const auto& p : parts) out.panels = std::max(out.panels, p.panels);
  return out;
}

}  // namespace

torch::Tensor compensator(Model& model, const History& history, const torch::Tensor& elapsed,
                          const PredictOptions& options) {
  check_predict_options(options);
  torch::NoGradGuard no_grad;
  // A closed-form law's compensator is −log S: exact, and no quadrature of a hazard that may be
  // unbounded at 0 (Burr with c < 1).
  if (options.closed_form)
    if (auto law = model.next_event_law(history)) return -law->gap->log_survival(elapsed.unsqueeze(-1)).squeeze(-1);
  const int64_t B = history.start.size(0), L1 = history.start.size(1);
  if (const int64_t rows = rows_per_call(model, L1, options.panel_nodes, options.max_chunk_elements); B > rows) {
    std::vector<torch::Tensor> parts;  // row groups, as in predict_next_event; 0 on padded intervals
    for (int64_t b0 = 0; b0 < B; b0 += rows) {
      const int64_t n = std::min(rows, B - b0);
      const History part = model.encode(history.batch.slice(b0, b0 + n));
      const int64_t own = part.start.size(1);
      parts.push_back(pad_intervals(compensator(model, part, elapsed.narrow(0, b0, n).narrow(1, 0, own), options), L1, 0));
    }
    return torch::cat(parts, 0);
  }
  const auto rule = panel_rule(options.panel_nodes, elapsed.options());
  const double rtol = std::max(options.relative_tolerance, 100 * dtype_epsilon(elapsed));
  int P = 1;
  auto previous = integrate(model, history, elapsed, P, rule, options.max_chunk_elements, false)
                      .lambda_end.select(-1, P - 1);
  for (;;) {
    P *= 2;
    auto current = integrate(model, history, elapsed, P, rule, options.max_chunk_elements, false)
                       .lambda_end.select(-1, P - 1);
    auto settled = ((current - previous).abs() <= rtol * current.abs()) | torch::isnan(current);
    previous = current;
    if (settled.all().item<bool>() || 2 * P > options.max_panels) break;
  }
  return previous;
}

namespace {

NextEventPrediction predict_together(Model& model, const History& history, const PredictOptions& o) {
  const auto opts = history.start.options();
  const int64_t B = history.start.size(0), L1 = history.start.size(1);
  const auto valid = valid_intervals(history);
  const double tol = o.survival_tolerance;
  const double rtol = std::max(o.relative_tolerance, 100 * dtype_epsilon(history.start));

  // Exact for a constant intensity; otherwise only a starting point for the search below.
  auto rate0 = model.intensity(history, torch::zeros({B, L1, 1}, opts)).sum(-1).squeeze(-1);
  auto H = torch::where((rate0 > 0) & torch::isfinite(rate0), -std::log(tol) / rate0, torch::ones_like(rate0));
  H = torch::where(valid, H, torch::ones_like(H));

  // Horizon search on a coarse rule: double H until S(H) < tol; a horizon far too long is cut back
  // to the first coarse panel end below tol, but only before any doubling, so the search ends.
  const auto coarse = panel_rule(4, opts);
  const int coarse_panels = 8;
  auto grown = torch::zeros_like(valid);
  // An intensity that dies out (λ(H)·H < tol, e.g. THP with α_k < 0) leaves S(∞) > 0: no next event
  // with probability S(∞). Its horizon stops growing there; predictions condition on an event.
  auto dead = torch::zeros_like(valid);
  auto search = [&] {
    for (int step = 0; step < o.max_horizon_steps; ++step) {
      auto pass = integrate(model, history, H, coarse_panels, coarse, o.max_chunk_elements, false);
      auto below = torch::exp(-pass.lambda_end) < tol;
      auto last = pass.lambda_end.select(-1, coarse_panels - 1);
      auto below_last = below.select(-1, coarse_panels - 1);
      auto rate_h = model.intensity(history, H.unsqueeze(-1)).sum(-1).squeeze(-1);
      dead = valid & ~below_last & (rate_h * H < tol);
      auto grow = valid & ~below_last & ~torch::isnan(last) & ~dead;
      auto first = below.to(torch::kLong).argmax(-1);
      auto shrink = valid & ~grown & below_last & (first < coarse_panels / 2);
      if (!(grow | shrink).any().item<bool>()) break;
      H = torch::where(grow, H * 2, torch::where(shrink, panel_end(H, first, coarse_panels), H));
      grown = grown | grow;
    }
  };

  const auto fine = panel_rule(o.panel_nodes, opts);
  Pass current;
  int P = 4;
  torch::Tensor panels_ok, horizon_ok;
  for (int round = 0; round < 6; ++round) {
    search();
    P = 4;
    auto previous = integrate(model, history, H, P, fine, o.max_chunk_elements, true);
    for (;;) {
      P *= 2;
      current = integrate(model, history, H, P, fine, o.max_chunk_elements, true);
      auto dtime = (current.time - previous.time).abs();
      auto dmass = (current.mass - previous.mass).abs().amax(-1);
      panels_ok = (dtime <= rtol * current.time.abs()) & (dmass <= rtol * current.mass.sum(-1)) &
                  (largest_step(current, tol) <= kMaxPanelStep);
      auto settled = panels_ok | ~valid | torch::isnan(current.time);
      if (settled.all().item<bool>() || 2 * P > o.max_panels) break;
      previous = current;
    }
    // The coarse search may have misjudged S(H); the fine pass decides.
    auto last = current.lambda_end.select(-1, P - 1);
    horizon_ok = torch::exp(-last) < tol;
    auto short_horizon = valid & ~horizon_ok & ~torch::isnan(last) & ~dead;
    if (!short_horizon.any().item<bool>()) break;
    H = torch::where(short_horizon, H * 2, H);
    grown = grown | short_horizon;
  }

  // Tail beyond H as if the intensity stayed at λ(H): ∫_H^∞ S ≈ S(H)/Σλ(H), exact for a constant tail.
  auto lambda_h = model.intensity(history, H.unsqueeze(-1)).squeeze(2);  // [B, L1, K]
  auto total_h = lambda_h.sum(-1);
  auto survival_h = torch::exp(-current.lambda_end.select(-1, P - 1));
  auto tail = torch::where((total_h > 0) & ~dead, survival_h / total_h, torch::zeros_like(total_h));
  // Where the intensity died: E[τ | τ < ∞] = (∫_0^H S − H·S(H)) / (1 − S(H)).
  // No event at all (S(H) = 1) leaves it undefined: NaN.
  auto conditional = torch::where(survival_h < 1, (current.time - H * survival_h) / (1 - survival_h),
                                  torch::full_like(survival_h, std::numeric_limits<double>::quiet_NaN()));
  auto time = torch::where(dead, conditional, current.time + tail);
  auto mass = current.mass + lambda_h * tail.unsqueeze(-1);

  NextEventPrediction out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto prob = mass / mass.sum(-1, true);
  out.valid = valid;
  out.panels = P;
  out.horizon = torch::where(valid, H, torch::full_like(H, nan));
  out.converged = valid & panels_ok & (horizon_ok | dead);
  out.no_event_probability = torch::where(dead, survival_h, torch::zeros_like(survival_h));
  out.expected_time = torch::where(valid, time, torch::full_like(time, nan));
  detail::set_type_predictions(out, prob, valid, o.top_k);
  if (o.median) {
    auto level = torch::where(dead & (survival_h < 1), -torch::log((1 + survival_h) / 2),
                              torch::full_like(survival_h, std::log(2.0)));
    auto m = median_time(model, history, H, current, fine, valid, level);
    out.median_time = torch::where(valid, m, torch::full_like(m, nan));
  }
  return out;
}

// Row b of `into` (intervals 0..L_b) from the one-row prediction `row`.
void copy_row(NextEventPrediction& into, const NextEventPrediction& row, int64_t b) {
  auto put = [b](torch::Tensor& whole, const torch::Tensor& one) {
    if (!whole.defined() || !one.defined()) return;
    whole.select(0, b).narrow(0, 0, one.size(1)).copy_(one.select(0, 0));
  };
  put(into.expected_time, row.expected_time);
  put(into.median_time, row.median_time);
  put(into.type_probability, row.type_probability);
  put(into.predicted_type, row.predicted_type);
  put(into.top_k_type, row.top_k_type);
  put(into.top_k_probability, row.top_k_probability);
  put(into.horizon, row.horizon);
  put(into.converged, row.converged);
  put(into.no_event_probability, row.no_event_probability);
  put(into.valid, row.valid);
  into.panels = std::max(into.panels, row.panels);
}

}  // namespace

namespace {

// The same quantities from a closed-form next-event law: E[τ | τ < ∞], the median of τ given
// τ < ∞ (S(m) = (1 + S(∞))/2), the mark probabilities and P(no event) = S(∞); the horizon is the
// τ where the survival of the event part falls to survival_tolerance. Exact, so converged
// wherever valid, with no panels.
NextEventPrediction predict_closed_form(const History& history, const NextEventLaw& law, const PredictOptions& o) {
  const auto valid = valid_intervals(history);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto& gap = *law.gap;
  auto never = gap.never_probability();
  auto time = gap.mean();
  auto tail = never + o.survival_tolerance * (1 - never);
  auto horizon = gap.inverse_log_survival(torch::log(tail).unsqueeze(-1)).squeeze(-1);
  auto prob = law.mark_probability;
  NextEventPrediction out;
  out.valid = valid;
  out.panels = 0;
  out.horizon = torch::where(valid, horizon, torch::full_like(horizon, nan));
  out.converged = valid.clone();
  out.no_event_probability = torch::where(valid, never, torch::zeros_like(never));
  out.expected_time = torch::where(valid, time, torch::full_like(time, nan));
  detail::set_type_predictions(out, prob, valid, o.top_k);
  if (o.median) {
    auto m = gap.median();
    out.median_time = torch::where(valid, m, torch::full_like(m, nan));
  }
  return out;
}

}  // namespace

NextEventPrediction predict_next_event(Model& model, const History& history, const PredictOptions& o) {
  check_predict_options(o);
  if (o.batch_panels < 8) throw Error("prediction: batch_panels must be at least 8");
  torch::NoGradGuard no_grad;
  if (o.closed_form)
    if (auto law = model.next_event_law(history)) return predict_closed_form(history, *law, o);
  const int64_t B = history.start.size(0), L1 = history.start.size(1);
  if (const int64_t rows = rows_per_call(model, L1, o.panel_nodes, o.max_chunk_elements); B > rows) {
    // One panel of the whole batch would exceed the chunk budget (many types): groups of rows,
    // each encoded alone, so that no model call holds more than max_chunk_elements intensities.
    std::vector<NextEventPrediction> parts;
    for (int64_t b0 = 0; b0 < B; b0 += rows)
      parts.push_back(predict_next_event(model, model.encode(history.batch.slice(b0, std::min(B, b0 + rows))), o));
    return concat_rows(parts, L1);
  }
  if (B == 1 || o.batch_panels >= o.max_panels) return predict_together(model, history, o);
  PredictOptions first = o;
  first.max_panels = o.batch_panels;
  NextEventPrediction out = predict_together(model, history, first);
  auto retry = (out.valid & ~out.converged).any(1).to(torch::kCPU);
  for (int64_t b = 0; b < B; ++b) {
    if (!retry[b].item<bool>()) continue;
    const Batch one = history.batch.slice(b, b + 1);
    copy_row(out, predict_together(model, model.encode(one), o), b);
  }
  return out;
}

NextEventPrediction predict_next_event(Model& model, const Batch& batch, const PredictOptions& options) {
  torch::NoGradGuard no_grad;
  History history = model.encode(batch);
  return predict_next_event(model, history, options);
}

torch::Tensor intensity_at(Model& model, const History& history, const torch::Tensor& interval,
                           const torch::Tensor& elapsed) {
  torch::NoGradGuard no_grad;
  const int64_t B = interval.size(0), Q = interval.size(1), L1 = history.start.size(1), K = model.num_types();
  if (elapsed.sizes() != interval.sizes()) throw Error("intensity_at: interval and elapsed shapes differ");
  auto cpu = interval.to(torch::kCPU, torch::kLong).contiguous();
  auto idx = cpu.accessor<int64_t, 2>();
  // Queries of one interval go to consecutive slots of its S dimension.
  auto rank = torch::zeros({B, Q}, torch::kLong);
  auto rank_a = rank.accessor<int64_t, 2>();
  int64_t slots = 1;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<int64_t> count(L1, 0);
    for (int64_t q = 0; q < Q; ++q) {
      const int64_t i = idx[b][q];
      if (i < 0 || i >= L1) throw Error("intensity_at: interval index " + std::to_string(i) + " out of range");
      rank_a[b][q] = count[i]++;
      slots = std::max(slots, count[i]);
    }
  }
  auto flat = (cpu * slots + rank).to(history.start.device());
  auto grid = torch::zeros({B, L1 * slots}, history.start.options());
  grid.scatter_(1, flat, elapsed.to(history.start.options()));
  auto lambda = model.intensity(history, grid.reshape({B, L1, slots})).reshape({B, L1 * slots, K});
  return lambda.gather(1, flat.unsqueeze(-1).expand({B, Q, K}));
}

IntensityCurve intensity_curve(Model& model, const Batch& batch, const CurveOptions& options) {
  if (options.points < 2) throw Error("intensity curve: points must be at least 2");
  torch::NoGradGuard no_grad;
  History history = model.encode(batch);
  auto time = batch.time.to(torch::kCPU, torch::kFloat64).contiguous();
  auto t_end = batch.t_end.to(torch::kCPU, torch::kFloat64);
  auto length = batch.length.to(torch::kCPU);
  const int64_t B = batch.batch_size();
  struct Point {
    double time;
    int order;  // a left limit (and a grid point on an event) sorts before the right limit
    int64_t interval;
    double elapsed;
  };
  std::vector<std::vector<Point>> rows(B);
  std::size_t longest = 0;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = length[b].item<int64_t>();
    const double* t = time.data_ptr<double>() + b * time.size(1);
    const double end = t_end[b].item<double>();
    auto start_of = [&](int64_t i) { return i == 0 ? 0.0 : t[i - 1]; };
    auto& row = rows[b];
    for (int g = 0; g < options.points; ++g) {
      const double at = end * g / (options.points - 1);
      const int64_t i = std::lower_bound(t, t + n, at) - t;  // events strictly before `at`
      row.push_back({at, 0, i, at - start_of(i)});
    }
    if (options.at_events)
      for (int64_t i = 0; i < n; ++i) {
        row.push_back({t[i], 0, i, t[i] - start_of(i)});
        row.push_back({t[i], 1, i + 1, 0.0});
      }
    std::stable_sort(row.begin(), row.end(),
                     [](const Point& x, const Point& y) { return std::tie(x.time, x.order) < std::tie(y.time, y.order); });
    longest = std::max(longest, row.size());
  }
  const int64_t G = static_cast<int64_t>(longest);
  auto times = torch::zeros({B, G}, torch::kFloat64), elapsed = torch::zeros({B, G}, torch::kFloat64);
  auto interval = torch::zeros({B, G}, torch::kLong);
  auto mask = torch::zeros({B, G}, torch::kBool);
  for (int64_t b = 0; b < B; ++b)
    for (std::size_t g = 0; g < rows[b].size(); ++g) {
      const auto& p = rows[b][g];
      times[b][g] = p.time;
      elapsed[b][g] = p.elapsed;
      interval[b][g] = p.interval;
      mask[b][g] = true;
    }
  IntensityCurve curve;
  curve.intensity = intensity_at(model, history, interval, elapsed);
  curve.time = times.to(history.start.options());
  curve.mask = mask.to(history.start.device());
  return curve;
}

}  // namespace tpp
