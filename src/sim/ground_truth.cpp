#include "tpp/sim/ground_truth.h"

#include <algorithm>
#include <cmath>

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/sim/generator_registry.h"

namespace tpp {

namespace {

double total_intensity(GroundTruthTarget& target, double t, std::vector<double>& buffer) {
  target.intensities(t, buffer);
  double sum = 0.0;
  for (double v : buffer) sum += v;
  return sum;
}

// Adaptive Gauss–Legendre: a piece is accepted when the 10-point rule on it agrees with the rule on
// its two halves; the tolerance is halved with each split so the total error stays below it.
class Integrator {
 public:
  explicit Integrator(GroundTruthTarget& target) : target_(target), rule_(gauss_legendre(10)) {}

  double integrate(double a, double b, double tolerance) {
    if (!(b > a)) return 0.0;
    return refine(a, b, rule(a, b), tolerance, 0);
  }

 private:
  double rule(double a, double b) {
    const double half = 0.5 * (b - a), mid = 0.5 * (a + b);
    double sum = 0.0;
    for (std::size_t i = 0; i < rule_.nodes.size(); ++i)
      sum += rule_.weights[i] * total_intensity(target_, mid + half * rule_.nodes[i], buffer_);
    return half * sum;
  }
  double refine(double a, double b, double whole, double tolerance, int depth) {
    const double mid = 0.5 * (a + b);
    const double left = rule(a, mid), right = rule(mid, b);
    if (std::abs(left + right - whole) <= tolerance || depth >= 60 || !(mid > a && mid < b))
      return left + right;
    return refine(a, mid, left, 0.5 * tolerance, depth + 1) + refine(mid, b, right, 0.5 * tolerance, depth + 1);
  }

  GroundTruthTarget& target_;
  Quadrature rule_;
  std::vector<double> buffer_;
};

}  // namespace

SequenceScore score_sequence(GroundTruthTarget& target, const Sequence& sequence, double tolerance) {
  SequenceScore score;
  Integrator integrator(target);
  std::vector<double> lambda, cuts;
  double t = sequence.t_start;
  double since_last_action = 0.0;
  auto integrate_to = [&](double until) {
    cuts.clear();
    target.breakpoints(t, until, cuts);
    std::sort(cuts.begin(), cuts.end());
    double from = t, piece_sum = 0.0;
    for (double cut : cuts) {
      if (cut <= from || cut >= until) continue;
      piece_sum += integrator.integrate(from, cut, tolerance);
      from = cut;
    }
    piece_sum += integrator.integrate(from, until, tolerance);
    score.compensator += piece_sum;
    since_last_action += piece_sum;
    t = until;
  };
  for (const Event& e : sequence.events) {
    if (e.time < t) throw Error("score_sequence: user " + sequence.user + ": events not sorted by time");
    integrate_to(e.time);
    if (!e.is_stimulus) {
      target.intensities(e.time, lambda);
      if (e.type < 0 || e.type >= static_cast<int>(lambda.size()))
        throw Error("score_sequence: user " + sequence.user + ": action type out of range");
      score.log_intensity += std::log(lambda[e.type]);
      score.increments.push_back(since_last_action);
      since_last_action = 0.0;
      ++score.num_actions;
    }
    target.observe(e);
  }
  integrate_to(std::max(t, sequence.t_end));
  return score;
}

std::vector<std::vector<double>> intensity_curves(GroundTruthTarget& target, const Sequence& sequence,
                                                  const std::vector<double>& grid) {
  std::vector<std::vector<double>> rows;
  rows.reserve(grid.size());
  std::size_t next = 0;
  for (std::size_t s = 0; s < grid.size(); ++s) {
    if (s > 0 && grid[s] < grid[s - 1]) throw Error("intensity_curves: grid must be increasing");
    while (next < sequence.events.size() && sequence.events[next].time < grid[s]) target.observe(sequence.events[next++]);
    rows.emplace_back();
    target.intensities(grid[s], rows.back());
  }
  return rows;
}

nlohmann::json apply_overrides(nlohmann::json config, const std::vector<std::string>& overrides) {
  if (config.is_null()) config = nlohmann::json::object();
  for (const std::string& item : overrides) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--param " + item + ": expected key=value");
    const std::string key = item.substr(0, eq), text = item.substr(eq + 1);
    try {
      config[key] = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error&) {
      config[key] = text;
    }
  }
  return config;
}

std::vector<std::string> process_names() { return GeneratorRegistry::instance().names(); }

GeneratedData generate_process(const std::string& process, const nlohmann::json& config, std::size_t n_seq,
                               std::uint64_t seed) {
  const GeneratorEntry& generator = GeneratorRegistry::instance().get(process);
  return generator.generate(config.is_null() ? nlohmann::json::object() : config, n_seq, seed);
}

std::unique_ptr<GroundTruthTarget> make_process_target(const std::string& process, const nlohmann::json& config,
                                                       const nlohmann::json& truth) {
  return GeneratorRegistry::instance().get(process).target(config, truth);
}

}  // namespace tpp
