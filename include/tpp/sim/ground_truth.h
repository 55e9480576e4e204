#pragma once
// Ground-truth processes with external stimuli (ExPERT's synthetic set-ups and an e-commerce
// simulator) share this base: their intensity is a known formula, so the oracle log-likelihood
// and the time-rescaling residuals of any sequence can be computed exactly (up to quadrature).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tpp/core/config_keys.h"
#include "tpp/data/dataset.h"
#include "tpp/models/thinning_target.h"
#include "tpp/sim/simulate.h"

namespace tpp {

class GroundTruthTarget : public ThinningTarget {
 public:
  // Times strictly inside (t0, t1) where the intensity jumps or switches formula for a reason other
  // than an observed action (a stimulus effect starting or ending), or where it varies on a much
  // finer scale than the gap between events (a sharp peak). Quadrature splits there.
  virtual void breakpoints(double t0, double t1, std::vector<double>& out) const {}
};

// A sequence scored under the true process, replayed from an empty history.
struct SequenceScore {
  double log_intensity{0.0};        // Σ_actions log λ_{k_i}(t_i)
  double compensator{0.0};          // ∫_{t_start}^{t_end} Σ_k λ_k(t) dt
  std::vector<double> increments;   // ∫ Σ_k λ_k between consecutive actions (first from t_start):
                                    // i.i.d. Exp(1) under the true process (time rescaling)
  std::size_t num_actions{0};
  double log_likelihood() const { return log_intensity - compensator; }
};

// Replays `sequence` through `fresh_target` (no events observed yet; stimuli and actions are
// observed in order) and integrates the intensity by adaptive Gauss–Legendre quadrature, split at
// events and the target's breakpoints, to an absolute tolerance per piece.
SequenceScore score_sequence(GroundTruthTarget& fresh_target, const Sequence& sequence,
                             double tolerance = 1e-10);

// λ_k on an increasing `grid` along `sequence`, replayed through `fresh_target`: [S][K]. Each grid
// time sees the events strictly before it (the intensity is left-continuous).
std::vector<std::vector<double>> intensity_curves(GroundTruthTarget& fresh_target, const Sequence& sequence,
                                                  const std::vector<double>& grid);


// "k=v" overrides parsed by the CLI, applied to a generator's JSON config. Values are parsed as
// JSON when they parse (numbers, booleans, arrays) and kept as strings otherwise.
nlohmann::json apply_overrides(nlohmann::json config, const std::vector<std::string>& overrides);


// The registered generators by name (sim/generator_registry.h): each builds a dataset of n_seq
// sequences from a JSON config (defaults filled in), seeded.
struct GeneratedData {
  Dataset data;
  nlohmann::json config;                  // the full config used (defaults included)
  std::vector<nlohmann::json> truth;      // per sequence: the parameters drawn for it
};
GeneratedData generate_process(const std::string& process, const nlohmann::json& config, std::size_t n_seq,
                               std::uint64_t seed);
std::vector<std::string> process_names();
// A fresh target reproducing sequence i of a generated dataset (from its config and truth entry).
std::unique_ptr<GroundTruthTarget> make_process_target(const std::string& process, const nlohmann::json& config,
                                                       const nlohmann::json& truth);

}  // namespace tpp
