#pragma once
// A saved model applied to data in the user's terms: data files' type names and time units in,
// metrics, next-event predictions and intensity curves out in those same names and units. The data
// is prepared as at training time (its texts featurised with the saved featuriser state, its names
// aligned to the model's ids, its times scaled), so callers pass data exactly as read_data_file
// (data/prepare.h) returns it. Evaluation sits on train/metrics.h, the one definition of the metrics.
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/dataset.h"
#include "tpp/infer/head_prediction.h"
#include "tpp/infer/plot.h"
#include "tpp/models/registry.h"
#include "tpp/train/metrics.h"

namespace tpp {

struct TypeProbability {
  std::string type;
  double probability{0};
};

// The prediction of one scored event from the history before it, in file units and type names.
struct EventPrediction {
  std::string user;
  std::size_t index{0};     // the event's position in its sequence
  double time{0};           // the event as observed
  std::string type;
  double predicted_time{0}; // previous event (or window start) + E[τ]
  double median_time{0};    // previous event (or window start) + median τ
  std::string predicted_type;
  std::vector<TypeProbability> top_k;  // most probable first
  bool converged{true};     // the quadrature met its tolerances
  // {"user","index","time","type","predicted_time","median_time","predicted_type","top_k","converged"}
  nlohmann::json to_json() const;
};

struct EventPredictionOptions {
  int top_k{3};
  std::size_t batch_size{64};
  double target_fraction{1.0};      // predict only the last fraction of each sequence's actions
  double relative_tolerance{1e-10}; // PredictOptions::relative_tolerance
  PointPredictor predictor{PointPredictor::Intensity};  // infer/head_prediction.h
  std::ostream* progress{nullptr};  // a line per batch when the context's progress is on
};

// λ_k(t) over one sequence's window, rates per file time unit at file times.
struct SequenceIntensity {
  std::string user;
  std::vector<double> time;                    // [G] non-decreasing (a repeat is a jump at an event)
  std::vector<std::string> types;              // [K] action type names
  std::vector<std::vector<double>> intensity;  // [K][G]
  nlohmann::json to_json() const;              // {"user","time","intensity":{type: [G]}}
};

struct IntensityCurveOptions {
  int points{200};  // uniform grid over the window, plus both limits at every event
  std::size_t batch_size{64};
  std::ostream* progress{nullptr};
};

class Predictor {
 public:
  // `context`: device and dtype of the batches (the model's), progress.
  Predictor(SavedModel model, Context context);
  static Predictor load(const std::string& path, const Context& context);

  const SavedModel& model() const { return model_; }
  const Context& context() const { return context_; }

  // The data as the model sees it. `where` names the data in errors (its file).
  Dataset prepare(Dataset data, const std::string& where = "data") const;

  // Log-likelihood and next-event metrics (train/metrics.h); time errors in file units.
  Metrics evaluate(const Dataset& data, const EvaluationOptions& options = {}, const std::string& where = "data") const;

  // One prediction per scored event, handed to `sink` in sequence order as batches complete, so
  // that large data streams out instead of accumulating.
  void predict(const Dataset& data, const EventPredictionOptions& options,
               const std::function<void(const EventPrediction&)>& sink, const std::string& where = "data") const;
  std::vector<EventPrediction> predict(const Dataset& data, const EventPredictionOptions& options = {},
                                       const std::string& where = "data") const;

  // Every sequence's intensity curve, handed to `sink` in sequence order.
  void intensity_curves(const Dataset& data, const IntensityCurveOptions& options,
                        const std::function<void(const SequenceIntensity&)>& sink,
                        const std::string& where = "data") const;

  // One sequence's per-type intensity with its actions and stimuli, ready for write_intensity_plot.
  IntensityPlot intensity_plot(const Dataset& data, std::size_t sequence, int points = 200,
                               const std::string& where = "data") const;

 private:
  SavedModel model_;
  Context context_;
};

}  // namespace tpp
