#include "tpp/infer/predictor.h"

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/core/progress.h"
#include "tpp/data/batch.h"
#include "tpp/data/prepare.h"
#include "tpp/data/text_features.h"
#include "tpp/data/user_id_features.h"
#include "tpp/infer/predict.h"

namespace tpp {

namespace {
torch::Tensor host(const torch::Tensor& t) { return t.to(torch::kCPU, t.is_floating_point() ? torch::kFloat64 : t.scalar_type()); }

// Sequence b's curve in file units: times and [G][K] rates (a rate per model unit is scale times a
// rate per file unit).
void curve_in_file_units(const IntensityCurve& curve, int64_t b, const Sequence& seq, double scale,
                         std::vector<double>& times, std::vector<std::vector<double>>& rates) {
  auto time = host(curve.time), lambda = host(curve.intensity) * scale, mask = host(curve.mask);
  for (int64_t g = 0; g < time.size(1); ++g) {
    if (!mask[b][g].item<bool>()) continue;
    times.push_back(seq.t_start + time[b][g].item<double>() / scale);
    auto row = lambda[b][g].contiguous();
    rates.emplace_back(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
  }
}
}  // namespace

nlohmann::json EventPrediction::to_json() const {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& t : top_k) top.push_back({{"type", t.type}, {"probability", t.probability}});
  return {{"user", user},
          {"index", index},
          {"time", time},
          {"type", type},
          {"predicted_time", predicted_time},
          {"median_time", median_time},
          {"predicted_type", predicted_type},
          {"top_k", top},
          {"converged", converged}};
}

nlohmann::json SequenceIntensity::to_json() const {
  nlohmann::json per_type = nlohmann::json::object();
  for (std::size_t k = 0; k < types.size(); ++k) per_type[types[k]] = intensity[k];
  return {{"user", user}, {"time", time}, {"intensity", per_type}};
}

Predictor::Predictor(SavedModel model, Context context) : model_(std::move(model)), context_(context) {
  if (!model_.model) throw Error("predictor: no model");
}

Predictor Predictor::load(const std::string& path, const Context& context) {
  return Predictor(load_model(path, context), context);
}

Dataset Predictor::prepare(Dataset data, const std::string& where) const {
  // Featurised with the state fitted at training time, so the vectors mean what they meant then.
  if (model_.config.contains("text_features") && data.schema.event_meta_dim == 0) {
    TextFeaturizer featurizer = TextFeaturizer::from_json(model_.config.at("text_features"));
    featurize_event_texts(data, featurizer);
  }
  // The user-id block from the training vocabulary: a user unseen in training gets zeros.
  if (model_.config.contains("user_ids")) {
    const auto user_ids = UserIdFeaturizer::from_json(model_.config.at("user_ids"));
    const int base = model_.schema.user_feature_dim - user_ids.size();
    if (data.schema.user_feature_dim != base)
      throw DataError(where, 0, "features",
                      fmt::format("the data has {} user features where the model reads {} besides its {} user-id "
                                  "columns",
                                  data.schema.user_feature_dim, base, user_ids.size()));
    user_ids.apply(data);
  }
  return align_to_model(std::move(data), model_.schema, model_.time_scale, where);
}

Metrics Predictor::evaluate(const Dataset& raw, const EvaluationOptions& options, const std::string& where) const {
  Dataset data = prepare(raw, where);
  model_.model->eval();
  return tpp::evaluate(*model_.model, data, context_, options);
}

void Predictor::predict(const Dataset& raw, const EventPredictionOptions& options,
                        const std::function<void(const EventPrediction&)>& sink, const std::string& where) const {
  if (options.top_k < 1) throw Error("predict: top_k must be at least 1");
  Dataset data = prepare(raw, where);
  Model& model = *model_.model;
  model.eval();
  torch::NoGradGuard no_grad;
  const auto& names = data.schema.action_names;
  const double scale = data.time_scale.scale;
  BatchProgress progress(context_.progress ? options.progress : nullptr, "predict", data.sequences.size());
  PredictOptions po;
  po.top_k = options.top_k;
  po.relative_tolerance = options.relative_tolerance;
  for (const auto& indices : batch_indices(data.sequences.size(), options.batch_size, false, 0)) {
    Batch batch = make_batch(data, indices, context_);
    if (options.target_fraction < 1) batch.target_mask = last_fraction_targets(batch, options.target_fraction);
    History history = model.encode(batch);
    auto p = predict_next_event(model, history, po, options.predictor);
    auto expected = host(p.expected_time), median = host(p.median_time), type = host(p.predicted_type);
    auto top_type = host(p.top_k_type), top_p = host(p.top_k_probability), converged = host(p.converged);
    auto targets = host(batch.targets());
    for (std::size_t b = 0; b < indices.size(); ++b) {
      const Sequence& seq = data.sequences[indices[b]];
      for (std::size_t i = 0; i < seq.events.size(); ++i) {
        if (!targets[b][i].item<bool>()) continue;
        // Predicted times are elapsed model time from the previous event (or the window start).
        const double previous = i == 0 ? seq.t_start : seq.events[i - 1].time;
        EventPrediction row;
        row.user = seq.user;
        row.index = i;
        row.time = seq.events[i].time;
        row.type = names[seq.events[i].type];
        row.predicted_time = previous + expected[b][i].item<double>() / scale;
        row.median_time = previous + median[b][i].item<double>() / scale;
        row.predicted_type = names[type[b][i].item<int64_t>()];
        for (int64_t j = 0; j < top_type.size(2); ++j)
          row.top_k.push_back({names[top_type[b][i][j].item<int64_t>()], top_p[b][i][j].item<double>()});
        row.converged = converged[b][i].item<bool>();
        sink(row);
      }
    }
    progress.update(indices.size(), static_cast<std::size_t>(batch.targets().sum().item<int64_t>()));
  }
}

std::vector<EventPrediction> Predictor::predict(const Dataset& data, const EventPredictionOptions& options,
                                                const std::string& where) const {
  std::vector<EventPrediction> rows;
  predict(data, options, [&rows](const EventPrediction& row) { rows.push_back(row); }, where);
  return rows;
}

void Predictor::intensity_curves(const Dataset& raw, const IntensityCurveOptions& options,
                                 const std::function<void(const SequenceIntensity&)>& sink,
                                 const std::string& where) const {
  Dataset data = prepare(raw, where);
  Model& model = *model_.model;
  model.eval();
  torch::NoGradGuard no_grad;
  const auto& names = data.schema.action_names;
  BatchProgress progress(context_.progress ? options.progress : nullptr, "predict", data.sequences.size());
  CurveOptions co;
  co.points = options.points;
  for (const auto& indices : batch_indices(data.sequences.size(), options.batch_size, false, 0)) {
    Batch batch = make_batch(data, indices, context_);
    auto curve = intensity_curve(model, batch, co);
    for (std::size_t b = 0; b < indices.size(); ++b) {
      const Sequence& seq = data.sequences[indices[b]];
      SequenceIntensity row;
      row.user = seq.user;
      row.types = names;
      std::vector<std::vector<double>> rates;
      curve_in_file_units(curve, static_cast<int64_t>(b), seq, data.time_scale.scale, row.time, rates);
      row.intensity.assign(names.size(), {});
      for (std::size_t k = 0; k < names.size(); ++k)
        for (const auto& r : rates) row.intensity[k].push_back(r[k]);
      sink(row);
    }
    progress.update(indices.size(), 0);
  }
}

IntensityPlot Predictor::intensity_plot(const Dataset& raw, std::size_t sequence, int points,
                                        const std::string& where) const {
  Dataset data = prepare(raw, where);
  if (sequence >= data.sequences.size())
    throw Error(fmt::format("predict: sequence {} is out of range ({} sequences)", sequence, data.sequences.size()));
  Model& model = *model_.model;
  model.eval();
  torch::NoGradGuard no_grad;
  const Sequence& seq = data.sequences[sequence];
  CurveOptions co;
  co.points = points;
  auto curve = intensity_curve(model, make_batch(data, {sequence}, context_), co);
  IntensityPlot plot;
  curve_in_file_units(curve, 0, seq, data.time_scale.scale, plot.grid, plot.curves);
  plot.type_names = data.schema.action_names;
  plot.stimulus_names = data.schema.stimulus_names;
  plot.events = seq.events;
  plot.title = fmt::format("{}: intensity of user {}", model.name(), seq.user);
  return plot;
}

}  // namespace tpp
