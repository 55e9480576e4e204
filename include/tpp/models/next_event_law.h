#pragma once
// The next event's law in closed form on every interval of a History, for models that define it
// directly (intensity-free models): the gap τ since the interval's start follows a TimingLaw and
// the mark is drawn independently of τ. The predictor, the state predictor and the sampler use
// it instead of integrating the intensity: prediction by closed forms, sampling by the inverse
// survival function. Models defined by an intensity have none (Model::next_event_law).
#include <memory>

#include <torch/torch.h>

#include "tpp/models/timing_law.h"

namespace tpp {

struct NextEventLaw {
  std::unique_ptr<TimingLaw> gap;   // batch shape [B, L+1]
  torch::Tensor mark_probability;   // [B, L+1, K]: P(k | history), independent of τ
};

}  // namespace tpp
