#include "tpp/infer/head_prediction.h"

#include <limits>

#include "tpp/core/error.h"
#include "tpp/models/prediction_heads.h"
#include "type_read_out.h"

namespace tpp {

PointPredictor parse_point_predictor(const std::string& name) {
  if (name == "intensity") return PointPredictor::Intensity;
  if (name == "heads") return PointPredictor::Heads;
  throw Error("predictor must be \"intensity\" or \"heads\", got \"" + name + "\"");
}

NextEventPrediction predict_next_event(Model& model, const History& history, const PredictOptions& options,
                                       PointPredictor predictor) {
  if (predictor == PointPredictor::Intensity) return predict_next_event(model, history, options);
  auto* heads = dynamic_cast<PredictionHeads*>(&model);
  if (!heads)
    throw Error("model \"" + model.name() + "\" has no time and type heads; use the intensity predictor");
  const auto valid = detail::valid_intervals(history);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto gap = heads->predicted_gap(history);

  NextEventPrediction out;
  out.valid = valid;
  out.expected_time = torch::where(valid, gap, torch::full_like(gap, nan));
  out.median_time = out.expected_time;
  detail::set_type_predictions(out, torch::softmax(heads->type_logits(history), -1), valid, options.top_k);
  out.horizon = torch::full_like(gap, nan);
  out.converged = valid;  // nothing to converge
  out.no_event_probability = torch::zeros_like(gap);
  return out;
}

}  // namespace tpp
