#include "tpp/infer/head_prediction.h"

#include <algorithm>
#include <limits>

#include "tpp/core/error.h"
#include "tpp/models/prediction_heads.h"

namespace tpp {

PointPredictor parse_point_predictor(const std::string& name) {
  if (name == "intensity") return PointPredictor::Intensity;
  if (name == "heads") return PointPredictor::Heads;
  throw Error("predictor must be \"intensity\" or \"heads\", got \"" + name + "\"");
}

const char* point_predictor_name(PointPredictor predictor) {
  return predictor == PointPredictor::Heads ? "heads" : "intensity";
}

NextEventPrediction predict_next_event(Model& model, const History& history, const PredictOptions& options,
                                       PointPredictor predictor) {
  if (predictor == PointPredictor::Intensity) return predict_next_event(model, history, options);
  auto* heads = dynamic_cast<PredictionHeads*>(&model);
  if (!heads)
    throw Error("model \"" + model.name() + "\" has no time and type heads; use the intensity predictor");
  const auto& b = history.batch;
  const auto valid = torch::arange(b.max_length() + 1, b.length.options()).unsqueeze(0) <= b.length.unsqueeze(1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto gap = heads->predicted_gap(history);
  auto prob = torch::softmax(heads->type_logits(history), -1);
  auto minus_one = torch::full({}, -1, torch::kLong).to(gap.device());

  NextEventPrediction out;
  out.valid = valid;
  out.expected_time = torch::where(valid, gap, torch::full_like(gap, nan));
  out.median_time = out.expected_time;
  out.type_probability = torch::where(valid.unsqueeze(-1), prob, torch::full_like(prob, nan));
  out.predicted_type = torch::where(valid, prob.argmax(-1), minus_one);
  const int64_t k = std::min<int64_t>(options.top_k, prob.size(-1));
  auto [top_p, top_i] = torch::topk(prob, k, -1, true, true);
  out.top_k_probability = torch::where(valid.unsqueeze(-1), top_p, torch::full_like(top_p, nan));
  out.top_k_type = torch::where(valid.unsqueeze(-1), top_i, minus_one);
  out.horizon = torch::full_like(gap, nan);
  out.converged = valid;  // nothing to converge
  out.no_event_probability = torch::zeros_like(gap);
  return out;
}

}  // namespace tpp
