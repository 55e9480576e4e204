#pragma once
// ExPERT eq. (7): one action type driven by K external stimuli with linearly growing effects and
// exponential self-excitation,
//   λ(t) = μ + Σ_k 1[γ_k t > t_k] b_k (t − t_k)/s + Σ_{t_i<t} α β e^{−β(t−t_i)}.
// Readings (experiments/expert_synthetic/README.md): b_k ≡ the text's β_k ("stimulus_slope");
// the effect of stimulus k starts at its onset t_k/γ_k (γ_k ∈ (0, 1], so the onset is never before
// the stimulus and the ramp is never negative) and then grows without bound; s is a time scale.
#include "tpp/core/config_fields.h"
#include "tpp/core/rng.h"
#include "tpp/sim/ground_truth.h"

namespace tpp {

struct StimulusCountConfig {
  double mu{0.4};
  double alpha{0.2};          // branching ratio of the kernel α β e^{−βt}
  double beta{1.0};
  int num_stimuli{1};         // K
  double stimulus_slope{0.2}; // b_k = β_k of the paper's text, same for all k
  double onset_ratio{0.5};    // γ_k, same for all k
  double scale{10.0};         // s
  double t_end{100.0};        // window [0, t_end]
  // "onsets": t_k = γ k T/(K+1), so the onsets t_k/γ are evenly spaced inside the window and every
  // stimulus acts; "uniform": t_k = k T/(K+1) literally (onsets past T never act); "random": t_k
  // drawn uniformly in [0, γT) for each sequence, so that a stimulus tells a model more than the
  // absolute time does (the other two are the same in every sequence).
  std::string placement{"onsets"};

  // The keys, defaults and checks (one declaration; experiments/expert_synthetic/README.md shows its table).
  static const ConfigFields<StimulusCountConfig>& fields();
  static StimulusCountConfig from_json(const nlohmann::json& j);  // missing keys keep defaults
  nlohmann::json to_json() const;
  std::vector<double> stimulus_times() const;  // t_1 < ... < t_K of the fixed placements
  std::vector<double> stimulus_times(Rng& rng) const;  // of any placement; "random" draws from rng
};

class StimulusCountTarget : public GroundTruthTarget {
 public:
  explicit StimulusCountTarget(StimulusCountConfig config);  // the fixed placements
  StimulusCountTarget(StimulusCountConfig config, std::vector<double> stimulus_times);
  int num_types() const override { return 1; }
  double upper_bound(double t, double t_until) override;
  void intensities(double t, std::vector<double>& out) override;
  void observe(const Event& event) override;
  void breakpoints(double t0, double t1, std::vector<double>& out) const override;

  double stimulus_term(double t) const;   // Σ_k 1[γ t > t_k] b (t − t_k)/s
  double excitation(double t) const;      // Σ_{t_i<t} α β e^{−β(t−t_i)}, t >= last action

 private:
  StimulusCountConfig config_;
  std::vector<double> stimulus_times_;
  double last_time_{0.0};
  double decayed_sum_{0.0};  // Σ_i e^{−β(last_time − t_i)}
};

GeneratedData generate_stimulus_count(const StimulusCountConfig& config, std::size_t n_seq, std::uint64_t seed);

}  // namespace tpp
