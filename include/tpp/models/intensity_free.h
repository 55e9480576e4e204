#pragma once
// Intensity-free models (Shchur et al. 2020): a recurrent encoder over the history whose state
// h_i on interval i gives the law of the next gap τ directly, as a TimingLaw with closed-form
// density and survival, and the next mark's distribution p(k | h_i). Mark and gap are
// conditionally independent given the history (as in Shchur et al.), so
//   λ_k(s) = p(k | h_i) · h(s),     h = f/S the gap law's hazard, s elapsed since the interval's start
//   log λ_k at event i = log p(k_i | h_i) + log f(τ_i) − log S(τ_i)
//   ∫ Σ_k λ_k over interval i = −log S(span_i)                    (the censored last interval too)
// so Method::Exact gives the log-likelihood in closed form; GaussLegendre and MonteCarlo integrate
// the hazard numerically as for any model (Model::likelihood_terms), which checks one against the
// other. Train with "integral": "exact": it is cheaper than either and has no error (and Burr's
// hazard is unbounded at 0 when c < 1, which Monte Carlo nodes sample badly). Intervals start at
// every event, stimuli included:
// a stimulus updates the state and restarts the gap law, but adds no log term (as in RMTPP).
//
// The subclasses (lognormmix, burr) only map the state to their law's parameters.
#include <memory>
#include <vector>

#include "tpp/models/model.h"
#include "tpp/models/rnn_encoder.h"
#include "tpp/models/timing_law.h"

namespace tpp {

class IntensityFreeModel : public Model {
 public:
  int num_types() const override { return num_types_; }

  // parts: "law" [B, L+1, W] the law head's raw outputs; "log_mark" [B, L+1, K] = log p(k | h).
  History encode(const Batch& batch) override;
  torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) override;
  // The hazard's bound over the window (the mark probabilities sum to 1). Sampling does not thin
  // these models (it draws by the inverse survival function), so a loose bound costs nothing.
  torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) override;
  LikelihoodTerms likelihood_terms(const History& history, const IntegralOptions& options = {}) override;
  std::optional<NextEventLaw> next_event_law(const History& history) override;

  // The gap laws of a history's intervals, from the law head's raw outputs [..., W].
  virtual std::unique_ptr<TimingLaw> timing_law(const torch::Tensor& raw) const = 0;
  std::unique_ptr<TimingLaw> gap_law(const History& history) const { return timing_law(history.parts.at("law")); }

 protected:
  // law_width W: raw outputs per interval. Registers the encoder and heads; converts to double.
  IntensityFreeModel(int num_types, int num_stimulus_types, const RnnEncoderConfig& encoder, int law_width);
  std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx) override;
  // Sets the law head's bias (the law of an untrained model, whatever the state): [W].
  void set_law_bias(const std::vector<double>& bias);

 private:
  template <class> friend class RnnEncoderState;
  void read_out(History& h, const torch::Tensor& states);
  int num_types_;
  RnnEncoder encoder_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear law_head_{nullptr};
  torch::nn::Linear mark_head_{nullptr};
};

}  // namespace tpp
