// Incremental user state: latency of "observe one event, then answer" per user, against the
// re-encoding state (what every query cost before incremental states), and multi-step generation
// time per event along the history. One thread, float32, untrained models of the sizes the
// benchmarks and the reference comparison use.
//   build/user_state_latency [REPS] [MODEL,...]    (prints markdown tables; all models by default)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "tpp/core/rng.h"
#include "tpp/infer/predict.h"
#include "tpp/infer/sampling.h"
#include "tpp/infer/state_prediction.h"
#include "tpp/models/registry.h"
#include "tpp/sim/thinning.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace tpp;

constexpr int kTypes = 10;

Schema schema() {
  Schema s;
  s.num_action_types = kTypes;
  for (int k = 0; k < kTypes; ++k) s.action_names.push_back("t" + std::to_string(k));
  return s;
}

// A history of n events, unit-rate gaps, uniform types.
Sequence history(int n, std::uint64_t seed) {
  Rng rng(seed);
  Sequence seq;
  seq.user = "u";
  double t = 0;
  for (int i = 0; i < n; ++i) {
    t += rng.exponential(1.0);
    seq.events.push_back(Event{t, static_cast<int>(rng.uniform() * kTypes), false, {}, {}});
  }
  seq.t_end = t;
  return seq;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

struct Latency {
  double intensity_p50, intensity_p99, predict_p50, predict_p99, batched_p50;  // µs
  double calls, panels;  // per state prediction, mean: intensity evaluations and the final pass's panels
};

// Each repetition observes one new event, then reads λ at one time, or predicts the next event
// (expected time, median, type probabilities) from the state, or does so through the batched
// predictor on the state's History (what a query cost before the state predictor).
// With predictions false only λ is read (the re-encoding baseline, whose batched prediction would
// cover every interval of the history).
Latency measure(Model& model, UserState& state, int reps, std::uint64_t seed, bool predictions = true) {
  Rng rng(seed);
  std::vector<double> lambda_us, predict_us{0.0}, batched_us{0.0};
  double calls = 0, panels = 0;
  PredictOptions po;
  for (int r = 0; r < 3 * reps; r += predictions ? 1 : 3) {
    const double t = state.last_time() + rng.exponential(1.0);
    const Event e{t, static_cast<int>(rng.uniform() * kTypes), false, {}, {}};
    const auto began = Clock::now();
    torch::NoGradGuard no_grad;
    state.observe(e);
    auto elapsed_us = [&] { return std::chrono::duration<double, std::micro>(Clock::now() - began).count(); };
    if (r % 3 == 0) {
      auto lambda = state.intensity_at(model, {t + 0.5});
      (void)lambda;
      lambda_us.push_back(elapsed_us());
    } else if (r % 3 == 1) {
      auto p = predict_from_state(model, state, po);
      predict_us.push_back(elapsed_us());
      calls += p.model_calls;
      panels += p.panels;
    } else {
      auto p = predict_next_event(model, state.current(), po);
      (void)p.expected_time[0][state.open_interval()].item<double>();
      batched_us.push_back(elapsed_us());
    }
  }
  return {percentile(lambda_us, 0.5), percentile(lambda_us, 0.99), percentile(predict_us, 0.5),
          percentile(predict_us, 0.99), percentile(batched_us, 0.5),
          calls / std::max<double>(1, predict_us.size() - 1), panels / std::max<double>(1, predict_us.size() - 1)};
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 100;
  torch::set_num_threads(1);
  Context ctx;
  ctx.dtype = torch::kFloat32;
  const Schema s = schema();
  const std::string only = argc > 2 ? "," + std::string(argv[2]) + "," : "";
  std::vector<std::pair<std::string, nlohmann::json>> models = {
      {"hawkes", {{"model", "hawkes"}}},
      {"rmtpp", {{"model", "rmtpp"}, {"embed_dim", 16}, {"hidden", 32}}},
      {"nhp", {{"model", "nhp"}, {"hidden_size", 32}}},
      {"thp", {{"model", "thp"}, {"d_model", 64}, {"d_ff", 128}, {"heads", 4}, {"layers", 4}}},
      {"sahp", {{"model", "sahp"}, {"d_model", 32}}},
      {"attnhp", {{"model", "attnhp"}, {"d_model", 32}, {"d_time", 16}}},
      {"expert", {{"model", "expert"}, {"d_model", 32}}},
  };
  if (!only.empty())
    models.erase(std::remove_if(models.begin(), models.end(),
                                [&](const auto& m) { return only.find("," + m.first + ",") == std::string::npos; }),
                 models.end());
  fmt::print("Incremental next-event latency per user (µs, one thread, float32, {} reps each; "
             "observe one event + λ at one time | + the next event's mean, median and type probabilities from the "
             "state | the same through the batched predictor), and the re-encoding state's\n\n",
             reps);
  fmt::print("| model | history | λ p50 | λ p99 | predict p50 | predict p99 | batched predict p50 | re-encode λ p50 | speed-up |\n");
  fmt::print("|---|---|---|---|---|---|---|---|---|\n");
  std::vector<std::string> effort;
  for (const auto& [name, cfg] : models) {
    torch::manual_seed(1);
    auto model = ModelRegistry::instance().create(cfg, s);
    model->to(ctx.device, ctx.dtype);
    model->eval();
    for (int n : {100, 1000}) {
      Sequence h = history(n, 7);
      auto state = model->start(s, h, ctx);
      Latency inc = measure(*model, *state, reps, 11);
      ReencodingState plain(*model, s, h, ctx);
      {
        torch::NoGradGuard no_grad;
        for (const auto& e : h.events) plain.observe(e);
      }
      Latency re = measure(*model, plain, std::max(5, reps / 10), 11, false);
      fmt::print("| {} | {} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.1f}× |\n", name, n,
                 inc.intensity_p50, inc.intensity_p99, inc.predict_p50, inc.predict_p99, inc.batched_p50, re.intensity_p50,
                 re.intensity_p50 / inc.intensity_p50);
      effort.push_back(fmt::format("{} at {}: {:.1f} intensity evaluations, {:.0f} panels", name, n, inc.calls, inc.panels));
    }
  }
  fmt::print("\nPer state prediction (mean; panels of the final pass, 16 nodes each; closed forms: 1 evaluation, 0 panels):\n");
  for (const auto& line : effort) fmt::print("- {}\n", line);

  // Multi-step generation: 1000 actions for one user by the thinning loop through the state, in
  // blocks of 100; time per event along the generated history.
  fmt::print("\nGeneration of 1000 events for one user (µs per event, per block of 100 events)\n\n");
  fmt::print("| model | 1–100 | 101–200 | 201–300 | 301–400 | 401–500 | 501–600 | 601–700 | 701–800 | 801–900 | 901–1000 |\n");
  fmt::print("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [name, cfg] : models) {
    torch::manual_seed(1);
    auto model = ModelRegistry::instance().create(cfg, s);
    model->to(ctx.device, ctx.dtype);
    model->eval();
    Sequence empty;
    ModelThinningTarget target(*model, s, empty, ctx);
    Rng rng(3);
    std::vector<double> block_us;
    ThinningOptions thinning;
    thinning.max_events = 100;
    thinning.stop_at_max_events = true;
    thinning.lookahead = 1.0;
    for (int block = 0; block < 10; ++block) {
      const auto began = Clock::now();
      thinning.t_end = thinning.t_start + 1e6;
      Sequence part = simulate_thinning(target, thinning, rng);
      block_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - began).count() /
                         static_cast<double>(part.events.size()));
      thinning.t_start = part.events.back().time;
    }
    fmt::print("| {} |", name);
    for (double b : block_us) fmt::print(" {:.0f} |", b);
    fmt::print("\n");
  }
  return 0;
}
