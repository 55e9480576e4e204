#pragma once
// THP's prediction heads (Zuo et al. 2020), which ExPERT keeps (papers/expert.md, section 4): a
// linear head on the state of interval i predicts the gap to event i, a softmax head its type.
// The auxiliary loss trains them (trainer loss_weights "time" and "type"). A model that has them
// can be evaluated from them instead of from its intensity (infer/head_prediction.h).
#include <torch/torch.h>

#include "tpp/models/model.h"

namespace tpp {

class PredictionHeads {
 public:
  virtual ~PredictionHeads() = default;
  // For interval i (predicting event i): type logits [B, L+1, K] and predicted gap [B, L+1], in
  // model time units.
  virtual torch::Tensor type_logits(const History& history) = 0;
  virtual torch::Tensor predicted_gap(const History& history) = 0;
};

}  // namespace tpp
