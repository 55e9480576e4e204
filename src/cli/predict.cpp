#include "tpp/cli/predict.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/data/event_store.h"
#include "tpp/data/prepare.h"
#include "tpp/infer/next_event.h"
#include "tpp/infer/plot.h"
#include "tpp/infer/predictor.h"

namespace tpp {

void predict_command(const SavedModel& saved, const Dataset& raw, const PredictCommandOptions& o, std::ostream& out) {
  if (o.top_k < 1) throw Error("predict: --top-k must be at least 1");
  const Predictor predictor(saved, o.common.context());
  const std::string where = o.data.empty() ? "data" : o.data;
  if (o.predictor != "intensity" && (!o.user.empty() || !o.plot.empty() || o.curve))
    throw Error("predict: --predictor heads gives per-event rows only; --user, --plot and --curve read the intensity");
  if (!o.user.empty()) {
    PredictOptions po;
    po.top_k = o.top_k;
    po.relative_tolerance = o.tolerance;
    const NextEvent next = predict_user_next_event(predictor, raw, o.user, po, where);
    out << (o.common.json ? next.to_json().dump() + "\n" : next.describe());
    return;
  }
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
  po.predictor = parse_point_predictor(o.predictor);
  po.progress = &std::cerr;
  predictor.predict(raw, po, [&out](const EventPrediction& row) { out << row.to_json().dump() << '\n'; }, where);
}

namespace {

// What a run that wrote a file says on the terminal: the file and its row count (--json: as JSON on
// stdout), so `predict -o` is never silent.
void report_output(const PredictCommandOptions& o) {
  if (o.common.quiet && !o.common.json) return;
  std::size_t rows = 0;
  if (o.plot.empty()) {
    std::ifstream in(o.output);
    std::string line;
    while (std::getline(in, line)) ++rows;
  }
  const char* what = !o.plot.empty() ? "plot" : !o.user.empty() ? "next-event" : o.curve ? "curve" : "prediction";
  if (o.common.json)
    std::cout << nlohmann::json{{"output", o.plot.empty() ? o.output : o.plot}, {"content", what}, {"rows", rows}}.dump()
              << std::endl;
  else if (o.plot.empty())
    std::cerr << fmt::format("wrote {} {} rows to {}\n", rows, what, o.output);
  else
    std::cerr << fmt::format("wrote the intensity plot to {}\n", o.plot);
}

// Predictions and curves from a store, a piece of sequences at a time (memory holds one piece);
// the rows are those of the whole store, piece after piece.
void predict_store_command(const SavedModel& saved, const PredictCommandOptions& o, std::ostream& out) {
  constexpr std::size_t kPiece = 4096;
  const EventStore store(o.data);
  for (std::size_t begin = 0; begin < store.size(); begin += kPiece) {
    std::vector<std::size_t> piece(std::min(kPiece, store.size() - begin));
    std::iota(piece.begin(), piece.end(), begin);
    predict_command(saved, store.load(piece), o, out);
    store.release();
  }
}

}  // namespace

int run_predict(const PredictCommandOptions& o) {
  if (!o.output.empty() && o.output != "-") check_output_path(o.output, "--output");
  Context ctx = o.common.context();
  ctx.apply();
  auto saved = load_model(o.model, ctx);
  // A store streams piece by piece, unless one user or a plot needs its sequences at once.
  const bool streamed = is_event_store(o.data) && o.plot.empty() && o.user.empty();
  const Dataset data = streamed ? Dataset() : read_data_file(o.data);
  if (!streamed && o.plot.empty() && o.user.empty() && !o.curve && !o.common.quiet && !o.common.json) {
    // As in train and evaluate: such actions get no row, and the terminal says why.
    std::size_t at_start = 0;
    for (const auto& seq : data.sequences)
      for (const auto& e : seq.events) at_start += !e.is_stimulus && e.time == seq.t_start;
    if (at_start > 0)
      std::cerr << fmt::format("{} actions at a sequence's window start only condition the history and get no row "
                               "(no interval precedes them; files without a window start at their first event)\n",
                               at_start);
  }
  if (!o.plot.empty()) {  // the SVG is the output; nothing else is written
    predict_command(saved, data, o, std::cout);
    report_output(o);
    return 0;
  }
  auto run = [&](std::ostream& out) {
    if (streamed) predict_store_command(saved, o, out);
    else predict_command(saved, data, o, out);
  };
  if (o.output.empty() || o.output == "-") {
    run(std::cout);
    return 0;
  }
  AtomicOutput out(o.output);
  run(out.stream());
  out.commit();
  report_output(o);
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
  add_predictor_option(*cmd, o->predictor);
  cmd->add_flag("--curve", o->curve, "write intensity curves λ_k(t) per sequence instead of predictions");
  cmd->add_option("--curve-points", o->curve_points, "grid points per curve")->capture_default_str()->check(CLI::Range(2, 1000000));
  cmd->add_option("--plot", o->plot, "write an SVG of the per-type intensity of one sequence (stimuli marked) instead");
  cmd->add_option("--plot-sequence", o->plot_sequence, "index of the sequence --plot draws")->capture_default_str();
  cmd->add_option("--user", o->user,
                  "print this user's next event after the data, in words (with --json: one JSON object)");
  cmd->callback([o, &action] { action = [o] { return run_predict(*o); }; });
}

}  // namespace tpp
