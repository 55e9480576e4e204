#pragma once
// ExPERT's "external stimuli arising from complex effects" (after Yao et al. 2021, SSHP): one
// action type under a periodic stimulation, an exponentially decaying starting effect, an
// approaching (log-normal) deadline and self-excitation,
//   λ(t) = Γ^h (sin(2π(t+p)/s) + c) + Γ^o b^{t/s} + Γ^d f(d − m − t/s) + Σ_{t_i<t} A β e^{−β(t−t_i)},
//   f(x) = exp(−(ln x)²/v) / (√(2πv) x) for x > 0, and 0 for x <= 0 (past the personal deadline).
// Parameters are drawn per sequence from the paper's normals, truncated to their valid ranges by
// rejection (README): A ∈ [0,1), m ∈ [0,d), Γ's >= 0, v > 0, b ∈ (0,1), c >= 1; p unrestricted.
// The starting effect is read as b^{t/s} (the paper prints "b t/s" but calls it exponentially
// decaying, as in SSHP); with these ranges every term is non-negative, so no clamp is needed.
#include "tpp/core/config_fields.h"
#include "tpp/core/rng.h"
#include "tpp/sim/ground_truth.h"

namespace tpp {

struct ComplexStimuliParams {
  double alpha{0.4};    // A
  double m{0.0};        // M: margin before the deadline, in units of s
  double gamma_d{15.0};
  double gamma_o{5.0};
  double gamma_h{0.5};
  double v{20.0};
  double b{0.5};
  double p{6.0};
  double c{1.2};
  // Keys are the paper's names (A, M, Gamma_d, ...); a sequence's truth entry is written with them.
  static const ConfigFields<ComplexStimuliParams>& fields();
  nlohmann::json to_json() const;
  static ComplexStimuliParams from_json(const nlohmann::json& j);  // missing keys keep defaults
};

struct ComplexStimuliConfig {
  double t_end{100.0};
  double scale{10.0};    // s: period of the stimulation, decay unit of the start, deadline unit
  double deadline{10.0}; // d, in units of s (d·s = 100 = t_end by default)
  double beta{1.0};      // self-excitation decay (the paper leaves it unstated)
  // Normal (mean, sd) of each parameter; the paper's values by default.
  std::map<std::string, std::pair<double, double>> priors{
      {"A", {0.4, 0.1}},      {"M", {0.0, 5.0}},  {"Gamma_d", {15.0, 3.0}}, {"Gamma_o", {5.0, 3.0}},
      {"Gamma_h", {0.5, 0.1}}, {"v", {20.0, 10.0}}, {"b", {0.5, 0.3}},       {"p", {6.0, 4.0}},
      {"c", {1.2, 0.1}}};

  // The keys, defaults and checks (one declaration; experiments/expert_synthetic/README.md shows its table).
  static const ConfigFields<ComplexStimuliConfig>& fields();
  static ComplexStimuliConfig from_json(const nlohmann::json& j);  // missing keys (and priors) keep defaults
  nlohmann::json to_json() const;
  ComplexStimuliParams draw(Rng& rng) const;  // truncated draws (see above)
  void validate(const ComplexStimuliParams& p) const;
};

class ComplexStimuliTarget : public GroundTruthTarget {
 public:
  ComplexStimuliTarget(ComplexStimuliConfig config, ComplexStimuliParams params);
  int num_types() const override { return 1; }
  double upper_bound(double t, double t_until) override;
  void intensities(double t, std::vector<double>& out) override;
  void observe(const Event& event) override;
  void breakpoints(double t0, double t1, std::vector<double>& out) const override;

  double periodic_term(double t) const;
  double starting_term(double t) const;
  double deadline_term(double t) const;
  double excitation(double t) const;
  double personal_deadline() const;            // s (d − m): where the deadline term ends
  std::vector<double> peak_times() const;      // maxima of the periodic term in [0, t_end]
  // The stimuli of this sequence: "start" at 0, "peak" at each periodic maximum, "deadline" at the
  // personal deadline (when inside the window); types 0, 1, 2.
  std::vector<Event> stimuli() const;

 private:
  ComplexStimuliConfig config_;
  ComplexStimuliParams params_;
  double last_time_{0.0};
  double decayed_sum_{0.0};
};

GeneratedData generate_complex_stimuli(const ComplexStimuliConfig& config, std::size_t n_seq, std::uint64_t seed);

}  // namespace tpp
