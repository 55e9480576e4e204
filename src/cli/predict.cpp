#include "tpp/cli/predict.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/data/prepare.h"
#include "tpp/infer/plot.h"
#include "tpp/infer/predictor.h"

namespace tpp {

void predict_command(const SavedModel& saved, const Dataset& raw, const PredictCommandOptions& o, std::ostream& out) {
  if (o.top_k < 1) throw Error("predict: --top-k must be at least 1");
  const Predictor predictor(saved, o.common.context());
  const std::string where = o.data.empty() ? "data" : o.data;
  if (!o.plot.empty()) {
    if (o.plot_sequence >= raw.sequences.size())
      throw Error(fmt::format("predict: --plot-sequence {} is out of range ({} sequences)", o.plot_sequence,
                              raw.sequences.size()));
    write_intensity_plot(o.plot, predictor.intensity_plot(raw, o.plot_sequence, o.curve_points, where));
    return;
  }
  // Rows go to stdout by default, so progress lines go to stderr and only on a TTY.
  if (o.curve) {
    IntensityCurveOptions co;
    co.points = o.curve_points;
    co.batch_size = o.batch_size;
    co.progress = &std::cerr;
    predictor.intensity_curves(raw, co, [&out](const SequenceIntensity& row) { out << row.to_json().dump() << '\n'; },
                               where);
    return;
  }
  EventPredictionOptions po;
  po.top_k = o.top_k;
  po.batch_size = o.batch_size;
  po.target_fraction = o.target_fraction;
  po.relative_tolerance = o.tolerance;
  po.progress = &std::cerr;
  predictor.predict(raw, po, [&out](const EventPrediction& row) { out << row.to_json().dump() << '\n'; }, where);
}

int run_predict(const PredictCommandOptions& o) {
  if (!o.output.empty() && o.output != "-") check_output_path(o.output, "--output");
  Context ctx = o.common.context();
  ctx.apply();
  auto saved = load_model(o.model, ctx);
  Dataset data = read_data_file(o.data);
  if (o.output.empty() || o.output == "-") {
    predict_command(saved, data, o, std::cout);
    return 0;
  }
  AtomicOutput out(o.output);
  predict_command(saved, data, o, out.stream());
  out.commit();
  return 0;
}

void add_predict(CLI::App& app, CommandAction& action) {
  auto o = std::make_shared<PredictCommandOptions>();
  auto* cmd = app.add_subcommand("predict", "per-event next-event predictions (or intensity curves) as JSONL");
  add_common_options(*cmd, o->common);
  cmd->add_option("--model", o->model, "saved model file")->required();
  cmd->add_option("--data", o->data, "data file")->required();
  cmd->add_option("-o,--output", o->output, "output JSONL (default stdout)");
  cmd->add_option("--top-k", o->top_k, "most probable types listed per event")->capture_default_str()->check(positive_number());
  cmd->add_option("--batch-size", o->batch_size, "sequences per batch")->capture_default_str()->check(positive_number());
  cmd->add_option("--target-last", o->target_fraction, "predict only this last fraction of each sequence's actions")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_tolerance_option(*cmd, o->tolerance);
  cmd->add_flag("--curve", o->curve, "write intensity curves λ_k(t) per sequence instead of predictions");
  cmd->add_option("--curve-points", o->curve_points, "grid points per curve")->capture_default_str()->check(CLI::Range(2, 1000000));
  cmd->add_option("--plot", o->plot, "write an SVG of the per-type intensity of one sequence (stimuli marked) instead");
  cmd->add_option("--plot-sequence", o->plot_sequence, "index of the sequence --plot draws")->capture_default_str();
  cmd->callback([o, &action] { action = [o] { return run_predict(*o); }; });
}

}  // namespace tpp
