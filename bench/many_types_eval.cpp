// Evaluation cost in the number of event types (issue 15: a 1,754-type set took 364 s to evaluate
// with a Poisson model). A Poisson model over K types on random sequences is evaluated twice: with
// its closed-form next-event law (exponential gap, type shares rate_k / total) and, on a smaller
// part of the data, by the quadrature every intensity model uses. Prints events/s, peak memory and
// the largest metric difference between the two on the shared part.
//   build/many_types_eval [types=1754] [sequences=400] [length=20] [quadrature_sequences=20]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "tpp/infer/predictor.h"
#include "tpp/models/registry.h"

namespace {

long peak_rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

tpp::Dataset uniform_types_data(int types, int sequences, int length, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(1.0);
  std::uniform_int_distribution<int> type(0, types - 1);
  tpp::Dataset d;
  d.schema.num_action_types = types;
  for (int k = 0; k < types; ++k) d.schema.action_names.push_back("t" + std::to_string(k));
  for (int s = 0; s < sequences; ++s) {
    tpp::Sequence seq;
    seq.user = "u" + std::to_string(s);
    double t = 0;
    for (int i = 0; i < length; ++i) seq.events.push_back(tpp::Event{t += gap(rng), type(rng), false, {}, {}});
    seq.t_start = 0;
    seq.t_end = t;
    d.sequences.push_back(seq);
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  const int types = argc > 1 ? std::atoi(argv[1]) : 1754;
  const int sequences = argc > 2 ? std::atoi(argv[2]) : 400;
  const int length = argc > 3 ? std::atoi(argv[3]) : 20;
  const int quadrature_sequences = argc > 4 ? std::atoi(argv[4]) : 20;
  torch::set_num_threads(1);
  const tpp::Dataset data = uniform_types_data(types, sequences, length, 1);
  std::vector<double> rates(types);
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> rate(0.2, 1.8);
  for (auto& r : rates) r = rate(rng) / types;
  tpp::SavedModel saved;
  saved.schema = data.schema;
  saved.model = tpp::ModelRegistry::instance().create({{"model", "poisson"}, {"rate", rates}}, data.schema);
  saved.config = saved.model->config();
  const tpp::Predictor predictor(saved, tpp::Context{});

  auto run = [&](const tpp::Dataset& part, bool closed_form, const char* label) {
    tpp::EvaluationOptions options;
    options.predict.closed_form = closed_form;
    options.predict.relative_tolerance = 1e-6;
    const auto began = std::chrono::steady_clock::now();
    const tpp::Metrics m = predictor.evaluate(part, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::printf("%-11s %5d types %6zu events %8.2f s %10.0f events/s  peak RSS %6.0f MB  LL/event %.6f  RMSE %.6f  "
                "accuracy %.4f\n",
                label, types, m.num_targets, seconds, m.num_targets / seconds, peak_rss_kb() / 1024.0,
                m.log_likelihood_per_event(), m.time_rmse(), m.type_accuracy());
    return m;
  };
  run(data, true, "closed form");
  tpp::Dataset part = data;
  part.sequences.resize(std::min<std::size_t>(quadrature_sequences, part.sequences.size()));
  const tpp::Metrics exact = run(part, true, "closed form");
  const tpp::Metrics quadrature = run(part, false, "quadrature");
  std::printf("largest difference on the shared part: LL %.2e, RMSE %.2e, accuracy %.2e\n",
              std::fabs(exact.log_likelihood_per_event() - quadrature.log_likelihood_per_event()),
              std::fabs(exact.time_rmse() - quadrature.time_rmse()),
              std::fabs(exact.type_accuracy() - quadrature.type_accuracy()));
  return 0;
}
