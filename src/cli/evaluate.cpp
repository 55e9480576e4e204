#include "tpp/cli/evaluate.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <numeric>

#include "tpp/core/error.h"
#include "tpp/data/event_store.h"
#include "tpp/data/prepare.h"
#include "tpp/infer/intensity_error.h"
#include "tpp/infer/predictor.h"

namespace tpp {

namespace {

EvaluationOptions evaluation_options(const EvaluateCommandOptions& o) {
  EvaluationOptions eo;
  eo.top_k = o.top_k;
  eo.batch_size = o.batch_size;
  eo.target_fraction = o.target_fraction;
  eo.predict.relative_tolerance = o.tolerance;
  eo.predictor = parse_point_predictor(o.predictor);
  eo.progress = &std::cerr;
  return eo;
}

Metrics print_metrics(const Metrics& m, const nlohmann::json& mae, const EvaluateCommandOptions& o, std::ostream& out);

// A store is evaluated a piece of sequences at a time and the sums merged, so memory holds one
// piece; the metrics are the whole data's (sums over sequences), up to float summation order.
Metrics evaluate_store_command(const SavedModel& saved, const EvaluateCommandOptions& o, std::ostream& out) {
  constexpr std::size_t kPiece = 4096;
  const EventStore store(o.data);
  const Predictor predictor(saved, o.common.context());
  const EvaluationOptions eo = evaluation_options(o);
  Metrics m;
  m.top_k = o.top_k;
  for (std::size_t begin = 0; begin < store.size(); begin += kPiece) {
    std::vector<std::size_t> piece(std::min(kPiece, store.size() - begin));
    std::iota(piece.begin(), piece.end(), begin);
    m.merge(predictor.evaluate(store.load(piece), eo, o.data));
    store.release();
  }
  return print_metrics(m, nlohmann::json(), o, out);
}

}  // namespace

Metrics evaluate_command(const SavedModel& saved, const Dataset& raw, const EvaluateCommandOptions& o,
                         std::ostream& out) {
  const Predictor predictor(saved, o.common.context());
  const std::string where = o.data.empty() ? "data" : o.data;
  Metrics m = predictor.evaluate(raw, evaluation_options(o), where);
  nlohmann::json mae;
  if (o.intensity_mae) {
    IntensityErrorOptions io;
    io.points = o.grid_points;
    io.batch_size = o.batch_size;
    mae = intensity_error(predictor, raw, IntensityTruth::load(o.truth, o.common.context()), io, where).to_json();
  }
  return print_metrics(m, mae, o, out);
}

namespace {

Metrics print_metrics(const Metrics& m, const nlohmann::json& mae, const EvaluateCommandOptions& o, std::ostream& out) {
  if (o.common.json) {
    nlohmann::json j = m.to_json();
    if (o.intensity_mae) j["intensity_mae"] = mae;
    j["predictor"] = o.predictor;
    out << j.dump(2) << "\n";
    return m;
  }
  auto line = [&](const std::string& name, double value) { out << fmt::format("{:<28}{:>16.8g}\n", name, value); };
  out << fmt::format("{:<28}{:>16}\n", "metric", "value");
  line("log-likelihood / event", m.log_likelihood_per_event());
  line("predictive log-density / event", m.target_log_likelihood_per_event());
  line("time RMSE", m.time_rmse());
  line("time MAE", m.time_mae());
  line("type accuracy", m.type_accuracy());
  line(fmt::format("top-{} accuracy", m.top_k), m.top_k_accuracy());
  out << fmt::format("{:<28}{:>16}\n", "events scored", m.num_targets);
  out << fmt::format("{:<28}{:>16}\n", "actions", m.num_actions);
  out << fmt::format("{:<28}{:>16}\n", "sequences", m.num_sequences);
  if (o.intensity_mae) {
    line("intensity MAE", mae.at("mean").get<double>());
    for (const auto& [name, c] : mae.at("by_category").items())
      line(fmt::format("  category {}", name), c.at("mean").get<double>());
  }
  if (m.num_unconverged > 0) out << fmt::format("{:<28}{:>16}\n", "unconverged predictions", m.num_unconverged);
  if (o.predictor == "heads")
    out << "time and type metrics are of the model's time and type heads; RMSE and MAE of the same "
           "predicted gap (file time units)\n";
  else
    out << "time RMSE is of the predictive mean, time MAE of the predictive median (file time units)\n";
  if (m.num_targets == m.num_actions)
    out << "every action is scored, so the predictive log-density equals the log-likelihood per event "
           "unless the window extends past the last event\n";
  if (m.top_k >= m.num_types && m.num_types > 0)
    out << fmt::format("top-{} accuracy is 1 by construction: the model has {} action types\n", m.top_k, m.num_types);
  if (m.num_at_window_start > 0)
    out << fmt::format("{} actions at a sequence's window start only condition the history (no interval "
                       "precedes them; files without a window start at their first event)\n",
                       m.num_at_window_start);
  return m;
}

}  // namespace

int run_evaluate(const EvaluateCommandOptions& o) {
  if (o.intensity_mae && o.truth.empty()) throw Error("evaluate: --intensity-mae needs --truth");
  if (!o.intensity_mae && !o.truth.empty()) throw Error("evaluate: --truth is used only with --intensity-mae");
  Context ctx = o.common.context();
  ctx.apply();
  auto saved = load_model(o.model, ctx);
  if (is_event_store(o.data) && !o.intensity_mae)
    evaluate_store_command(saved, o, std::cout);
  else
    evaluate_command(saved, read_data_file(o.data), o, std::cout);
  return 0;
}

void add_evaluate(CLI::App& app, CommandAction& action) {
  auto o = std::make_shared<EvaluateCommandOptions>();
  auto* cmd = app.add_subcommand("evaluate", "log-likelihood and next-event metrics of a saved model on data");
  add_common_options(*cmd, o->common);
  cmd->add_option("--model", o->model, "saved model file")->required();
  cmd->add_option("--data", o->data, "data file")->required();
  cmd->add_option("--top-k", o->top_k, "k of the top-k accuracy")->capture_default_str()->check(positive_number());
  cmd->add_option("--batch-size", o->batch_size, "sequences per batch")->capture_default_str()->check(positive_number());
  cmd->add_option("--target-last", o->target_fraction,
                  "score only this last fraction of each sequence's actions (ExPERT: 0.3)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_tolerance_option(*cmd, o->tolerance);
  add_predictor_option(*cmd, o->predictor);
  cmd->add_flag("--intensity-mae", o->intensity_mae,
                "also the mean |λ_true − λ̂| over each window against the generator in --truth (docs/iptw.md)");
  cmd->add_option("--truth", o->truth,
                  "truth JSON: a model config, a model file, {\"by_category\": {category: config or file}} or "
                  "{\"by_user\": {user: config or file}}");
  cmd->add_option("--grid-points", o->grid_points, "uniform grid points per window for --intensity-mae")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000000));
  cmd->callback([o, &action] { action = [o] { return run_evaluate(*o); }; });
}

}  // namespace tpp
