#include "tpp/cli/predict.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "tpp/cli/model_data.h"
#include "tpp/core/error.h"
#include "tpp/core/progress.h"
#include "tpp/infer/plot.h"
#include "tpp/infer/predict.h"
#include "tpp/train/metrics.h"

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

void write_curves(Model& model, const Dataset& data, const std::vector<std::size_t>& indices, const Batch& batch,
                  const PredictCommandOptions& o, std::ostream& out) {
  CurveOptions co;
  co.points = o.curve_points;
  auto curve = intensity_curve(model, batch, co);
  const auto& names = data.schema.action_names;
  for (std::size_t b = 0; b < indices.size(); ++b) {
    const Sequence& seq = data.sequences[indices[b]];
    std::vector<double> times;
    std::vector<std::vector<double>> rates;
    curve_in_file_units(curve, static_cast<int64_t>(b), seq, data.time_scale.scale, times, rates);
    nlohmann::json intensity = nlohmann::json::object();
    for (std::size_t k = 0; k < names.size(); ++k) {
      std::vector<double> per_type;
      for (const auto& r : rates) per_type.push_back(r[k]);
      intensity[names[k]] = per_type;
    }
    out << nlohmann::json{{"user", seq.user}, {"time", times}, {"intensity", intensity}}.dump() << '\n';
  }
}

// The paper's Fig. 4c: per-type intensity over one sequence, its actions and stimuli marked.
void write_plot(Model& model, const Dataset& data, const PredictCommandOptions& o, const Context& ctx) {
  if (o.plot_sequence >= data.sequences.size())
    throw Error(fmt::format("predict: --plot-sequence {} is out of range ({} sequences)", o.plot_sequence,
                            data.sequences.size()));
  const Sequence& seq = data.sequences[o.plot_sequence];
  CurveOptions co;
  co.points = o.curve_points;
  auto curve = intensity_curve(model, make_batch(data, {o.plot_sequence}, ctx), co);
  IntensityPlot plot;
  curve_in_file_units(curve, 0, seq, data.time_scale.scale, plot.grid, plot.curves);
  plot.type_names = data.schema.action_names;
  plot.stimulus_names = data.schema.stimulus_names;
  plot.events = seq.events;
  plot.title = fmt::format("{}: intensity of user {}", model.name(), seq.user);
  write_intensity_plot(o.plot, plot);
}
}  // namespace

void predict_command(const SavedModel& saved, const Dataset& raw, const PredictCommandOptions& o, std::ostream& out) {
  if (o.top_k < 1) throw Error("predict: --top-k must be at least 1");
  Context ctx = o.common.context();
  Dataset data = prepare_for_model(raw, saved, o.data.empty() ? "data" : o.data);
  Model& model = *saved.model;
  model.eval();
  torch::NoGradGuard no_grad;
  const auto& names = data.schema.action_names;
  const double scale = data.time_scale.scale;
  if (!o.plot.empty()) {
    write_plot(model, data, o, ctx);
    return;
  }
  // Rows go to stdout by default, so progress lines go to stderr and only on a TTY.
  BatchProgress progress(ctx.progress ? &std::cerr : nullptr, "predict", data.sequences.size());
  for (const auto& indices : batch_indices(data.sequences.size(), o.batch_size, false, 0)) {
    Batch batch = make_batch(data, indices, ctx);
    if (o.curve) {
      write_curves(model, data, indices, batch, o, out);
      progress.update(indices.size(), 0);
      continue;
    }
    if (o.target_fraction < 1) batch.target_mask = last_fraction_targets(batch, o.target_fraction);
    PredictOptions po;
    po.top_k = o.top_k;
    po.relative_tolerance = o.tolerance;
    auto p = predict_next_event(model, batch, po);
    auto expected = host(p.expected_time), median = host(p.median_time), type = host(p.predicted_type);
    auto top_type = host(p.top_k_type), top_p = host(p.top_k_probability), converged = host(p.converged);
    auto targets = host(batch.targets());
    for (std::size_t b = 0; b < indices.size(); ++b) {
      const Sequence& seq = data.sequences[indices[b]];
      for (std::size_t i = 0; i < seq.events.size(); ++i) {
        if (!targets[b][i].item<bool>()) continue;
        const double previous = i == 0 ? seq.t_start : seq.events[i - 1].time;
        nlohmann::json top = nlohmann::json::array();
        for (int64_t j = 0; j < top_type.size(2); ++j)
          top.push_back({{"type", names[top_type[b][i][j].item<int64_t>()]}, {"probability", top_p[b][i][j].item<double>()}});
        nlohmann::json row = {{"user", seq.user},
                              {"index", i},
                              {"time", seq.events[i].time},
                              {"type", names[seq.events[i].type]},
                              {"predicted_time", previous + expected[b][i].item<double>() / scale},
                              {"median_time", previous + median[b][i].item<double>() / scale},
                              {"predicted_type", names[type[b][i].item<int64_t>()]},
                              {"top_k", top},
                              {"converged", converged[b][i].item<bool>()}};
        out << row.dump() << '\n';
      }
    }
    progress.update(indices.size(), static_cast<std::size_t>(batch.targets().sum().item<int64_t>()));
  }
}

int run_predict(const PredictCommandOptions& o) {
  Context ctx = o.common.context();
  ctx.apply();
  auto saved = load_model(o.model, ctx);
  Dataset data = read_data_file(o.data);
  if (o.output.empty() || o.output == "-") {
    predict_command(saved, data, o, std::cout);
    return 0;
  }
  const std::string tmp = o.output + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw Error(o.output + ": cannot write");
    predict_command(saved, data, o, out);
    if (!out) throw Error(o.output + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, o.output, ec);
  if (ec) throw Error(o.output + ": cannot write: " + ec.message());
  return 0;
}

void add_predict(CLI::App& app, CommandAction& action) {
  auto o = std::make_shared<PredictCommandOptions>();
  auto* cmd = app.add_subcommand("predict", "per-event next-event predictions (or intensity curves) as JSONL");
  add_common_options(*cmd, o->common);
  cmd->add_option("--model", o->model, "saved model file")->required();
  cmd->add_option("--data", o->data, "data file")->required();
  cmd->add_option("-o,--output", o->output, "output JSONL (default stdout)");
  cmd->add_option("--top-k", o->top_k, "most probable types listed per event")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", o->batch_size, "sequences per batch")->capture_default_str()->check(CLI::PositiveNumber);
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
