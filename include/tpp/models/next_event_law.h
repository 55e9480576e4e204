#pragma once
// The next event's law in closed form on every interval of a History: the gap τ since the
// interval's start follows a TimingLaw, and the mark either is drawn independently of τ
// (intensity-free models, RMTPP, Poisson) or follows a MarkLaw that depends on τ (an intensity
// model such as a one-decay Hawkes process, whose type shares change as the excitation decays).
// The predictor, the state predictor and the sampler use it instead of integrating the
// intensity: prediction by closed forms, sampling by the inverse survival function. Models
// without one return none (Model::next_event_law).
#include <memory>

#include <torch/torch.h>

#include "tpp/models/timing_law.h"

namespace tpp {

// Marks whose law depends on the gap τ: P(k | τ) = λ_k(τ) / λ(τ) for an intensity model.
class MarkLaw {
 public:
  virtual ~MarkLaw() = default;
  // P(k | the event comes at τ), tau [P...] -> [P..., K].
  virtual torch::Tensor at(const torch::Tensor& tau) const = 0;
  // P(k | an event comes after q), q [P...] -> [P..., K]: the type masses ∫_q^∞ λ_k S / S(q).
  virtual torch::Tensor after(const torch::Tensor& q) const = 0;
};

struct NextEventLaw {
  std::unique_ptr<TimingLaw> gap;   // batch shape [B, L+1]
  torch::Tensor mark_probability;   // [B, L+1, K]: P(k | history), the marginal over τ
  std::shared_ptr<MarkLaw> marks;   // null: the mark is independent of τ
};

}  // namespace tpp
