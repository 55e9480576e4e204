#pragma once
// Which point prediction of the next event a metric or a predicted row uses:
// - intensity: E[τ] = ∫ S, the median of S, and argmax_k ∫ λ_k S (infer/predict.h), for any model;
// - heads: the model's own time and type heads (models/prediction_heads.h), as THP and ExPERT's
//   papers report them. The median is the head's gap too (the heads give one point estimate), the
//   type probabilities are the type head's softmax, and P(no event) is 0.
// The likelihoods never depend on this choice.
#include <string>

#include "tpp/infer/predict.h"
#include "tpp/models/model.h"

namespace tpp {

enum class PointPredictor { Intensity, Heads };

// "intensity" | "heads"; tpp::Error otherwise.
PointPredictor parse_point_predictor(const std::string& name);

// The next-event prediction of every interval of `history` from the chosen predictor. Heads need a
// model with PredictionHeads (tpp::Error naming the model otherwise).
NextEventPrediction predict_next_event(Model& model, const History& history, const PredictOptions& options,
                                       PointPredictor predictor);

}  // namespace tpp
