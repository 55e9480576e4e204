#pragma once
// Homogeneous Poisson process, one constant rate per action type.
#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

struct PoissonConfig {
  int num_types{1};
  std::vector<double> rate;  // initial rates (default 1 each)
  static const ConfigFields<PoissonConfig>& fields();  // every key, its default, check and doc
  static PoissonConfig from_json(const nlohmann::json& j, const Schema& schema);
  nlohmann::json to_json() const;
};

class PoissonImpl : public Model {
 public:
  explicit PoissonImpl(PoissonConfig config);
  std::string name() const override { return "poisson"; }
  nlohmann::json config() const override;
  int num_types() const override { return config_.num_types; }

  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  LikelihoodTerms likelihood_terms(const History& history, const IntegralOptions& options = {}) override;

  torch::Tensor rate() const;  // [K], positive
  // The next gap is exponential with the total rate and the type is k with probability
  // rate_k / total, whatever the history: prediction by closed forms, no quadrature over K types.
  std::optional<NextEventLaw> next_event_law(const History& history) override;
  // Constant intensities: simulation needs no tensor per event.
  std::unique_ptr<ThinningTarget> thinning_target(double t_start) const override;

 protected:
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;

 private:
  PoissonConfig config_;
  torch::Tensor raw_rate_;  // softplus(raw_rate_) = rate
};

}  // namespace tpp
