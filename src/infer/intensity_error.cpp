#include "tpp/infer/intensity_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "tpp/core/error.h"
#include "tpp/infer/simulation.h"

namespace tpp {

namespace {

std::shared_ptr<const Predictor> truth_predictor(const nlohmann::json& j, const std::string& base_dir,
                                                 const Context& ctx) {
  if (j.is_string()) {
    std::filesystem::path p = j.get<std::string>();
    if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
    return std::make_shared<const Predictor>(Predictor::load(p.string(), ctx));
  }
  if (!j.is_object() || !j.contains("model"))
    throw Error(
        "truth: expected a model config with \"model\", a model file name, {\"by_category\": {...}} or "
        "{\"by_user\": {...}}");
  // The number of types follows from the config (its names or per-type arrays), as in `tpp simulate`.
  return std::make_shared<const Predictor>(model_for_simulation(j, 0, ctx), ctx);
}

// (1/|W|) ∫ Σ_k |Δλ_k| by the trapezoid rule on the shared grid. At an event the grid holds the left
// then the right limit at one time: that zero-width step adds nothing, so the jump is not smeared.
double sequence_error(const SequenceIntensity& m, const SequenceIntensity& t, const std::vector<std::size_t>& match,
                      double t_start, double t_end, const std::string& where) {
  const std::size_t g = m.time.size();
  if (t.time.size() != g) throw Error(fmt::format("{}: user {}: model and truth grids differ", where, m.user));
  const double tol = 1e-9 * std::max(1.0, std::fabs(t_end) + std::fabs(t_start));
  std::vector<double> diff(g, 0.0);
  for (std::size_t i = 0; i < g; ++i) {
    if (std::fabs(m.time[i] - t.time[i]) > tol)
      throw Error(fmt::format("{}: user {}: model and truth grids differ at t = {}", where, m.user, m.time[i]));
    for (std::size_t k = 0; k < m.types.size(); ++k) diff[i] += std::fabs(m.intensity[k][i] - t.intensity[match[k]][i]);
  }
  double integral = 0.0;
  for (std::size_t i = 0; i + 1 < g; ++i) integral += 0.5 * (m.time[i + 1] - m.time[i]) * (diff[i] + diff[i + 1]);
  return integral / (t_end - t_start);
}

void read_mark_schedule(const nlohmann::json& j, IntensityTruth& truth) {
  const std::string where = "truth: \"mark_schedule\"";
  if (!j.is_object() || !j.contains("types") || !j.contains("phases"))
    throw Error(where + " must be an object with \"types\" and \"phases\"");
  const auto& types = j.at("types");
  if (!types.is_array() || types.empty()) throw Error(where + ": \"types\" must be a non-empty array of names");
  for (const auto& t : types) {
    if (!t.is_string()) throw Error(where + ": \"types\" must hold names (strings)");
    truth.mark_types.push_back(t.get<std::string>());
  }
  const auto& phases = j.at("phases");
  if (!phases.is_array() || phases.empty()) throw Error(where + ": \"phases\" must be a non-empty array");
  double previous = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const auto& ph = phases[i];
    const std::string at = fmt::format("{}: phase {}", where, i + 1);
    const bool last = i + 1 == phases.size();
    if (!ph.is_object() || !ph.contains("p")) throw Error(at + " must be an object with \"p\"");
    MarkPhase phase{std::numeric_limits<double>::infinity(), {}};
    if (ph.contains("until")) {
      if (!ph.at("until").is_number() || !std::isfinite(ph.at("until").get<double>()))
        throw Error(at + ": \"until\" must be a finite number");
      phase.until = ph.at("until").get<double>();
      if (!(phase.until > previous)) throw Error(at + ": \"until\" must increase from phase to phase");
    } else if (!last) {
      throw Error(at + ": every phase but the last needs \"until\"");
    }
    if (last && std::isfinite(phase.until)) throw Error(at + ": the last phase has no \"until\" (it runs on)");
    const auto& p = ph.at("p");
    if (!p.is_array() || p.size() != truth.mark_types.size())
      throw Error(fmt::format("{}: \"p\" must hold {} probabilities, one per type", at, truth.mark_types.size()));
    double sum = 0.0;
    for (const auto& v : p) {
      if (!v.is_number() || !(v.get<double>() >= 0) || !std::isfinite(v.get<double>()))
        throw Error(at + ": \"p\" must hold finite numbers >= 0");
      phase.probability.push_back(v.get<double>());
      sum += v.get<double>();
    }
    if (std::fabs(sum - 1.0) > 1e-9) throw Error(fmt::format("{}: \"p\" sums to {}, not 1", at, sum));
    previous = phase.until;
    truth.mark_phases.push_back(std::move(phase));
  }
}

// The data as a one-type ground generator sees it: every action its one type.
Dataset ground_view(const Dataset& data, const Predictor& ground, const std::string& where) {
  const Schema& schema = ground.model().schema;
  if (schema.num_action_types != 1 || schema.num_stimulus_types != 0)
    throw Error(fmt::format("{}: a mark schedule's ground generator must have one action type and no stimuli", where));
  Dataset out = data;
  out.schema.num_action_types = 1;
  out.schema.action_names = schema.action_names.empty() ? std::vector<std::string>{"0"} : schema.action_names;
  for (auto& seq : out.sequences)
    for (auto& e : seq.events) {
      if (e.is_stimulus) throw Error(fmt::format("{}: user {}: a mark schedule's data has no stimuli", where, seq.user));
      e.type = 0;
    }
  return out;
}

// λ_k(t) = λ_g(t) p_k(t) on the ground curve's grid.
SequenceIntensity apply_mark_schedule(const SequenceIntensity& ground, const IntensityTruth& truth) {
  SequenceIntensity out;
  out.user = ground.user;
  out.time = ground.time;
  out.types = truth.mark_types;
  out.intensity.assign(truth.mark_types.size(), std::vector<double>(ground.time.size(), 0.0));
  for (std::size_t g = 0; g < ground.time.size(); ++g) {
    std::size_t phase = 0;
    while (ground.time[g] > truth.mark_phases[phase].until) ++phase;  // the last phase has until = +inf
    for (std::size_t k = 0; k < truth.mark_types.size(); ++k)
      out.intensity[k][g] = ground.intensity[0][g] * truth.mark_phases[phase].probability[k];
  }
  return out;
}

}  // namespace

IntensityTruth IntensityTruth::from_json(const nlohmann::json& spec, const std::string& base_dir, const Context& ctx) {
  IntensityTruth truth;
  nlohmann::json j = spec;
  if (j.is_object() && j.contains("mark_schedule")) {
    read_mark_schedule(j.at("mark_schedule"), truth);
    j.erase("mark_schedule");
    if (j.contains("ground")) {
      if (j.size() != 1) throw Error("truth: \"ground\" must be the only key beside \"mark_schedule\"");
      j = nlohmann::json(j.at("ground"));
    }
  }
  for (const char* key : {"by_category", "by_user"}) {
    if (!j.is_object() || !j.contains(key)) continue;
    if (j.size() != 1)
      throw Error(fmt::format("truth: \"{}\" must be the only key (one of a model config, \"by_category\", "
                              "\"by_user\")", key));
    const auto& m = j.at(key);
    if (!m.is_object() || m.empty()) throw Error(fmt::format("truth: \"{}\" must be a non-empty object", key));
    auto& into = std::string(key) == "by_user" ? truth.by_user : truth.by_category;
    for (const auto& [name, value] : m.items()) {
      try {
        into[name] = truth_predictor(value, base_dir, ctx);
      } catch (const Error& e) {
        throw Error(fmt::format("truth: \"{}\" entry \"{}\": {}", key, name, e.what()));
      }
    }
    return truth;
  }
  truth.all = truth_predictor(j, base_dir, ctx);
  return truth;
}

IntensityTruth IntensityTruth::load(const std::string& path, const Context& ctx) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("truth: cannot read {}", path));
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("truth: {}: {}", path, e.what()));
  }
  return from_json(j, std::filesystem::path(path).parent_path().string(), ctx);
}

double IntensityError::mean() const {
  if (per_sequence.empty()) return 0.0;
  double s = 0.0;
  for (double v : per_sequence) s += v;
  return s / static_cast<double>(per_sequence.size());
}

double IntensityError::sd() const {
  if (per_sequence.size() < 2) return 0.0;
  const double mu = mean();
  double s = 0.0;
  for (double v : per_sequence) s += (v - mu) * (v - mu);
  return std::sqrt(s / static_cast<double>(per_sequence.size() - 1));
}

nlohmann::json IntensityError::to_json() const {
  nlohmann::json by = nlohmann::json::object();
  std::map<std::string, std::pair<double, std::size_t>> sums;
  for (std::size_t i = 0; i < per_sequence.size(); ++i) {
    if (categories[i].empty()) continue;
    sums[categories[i]].first += per_sequence[i];
    ++sums[categories[i]].second;
  }
  for (const auto& [name, s] : sums)
    by[name] = {{"mean", s.first / static_cast<double>(s.second)}, {"sequences", s.second}};
  return {{"mean", mean()}, {"sd", sd()}, {"sequences", per_sequence.size()}, {"points", points}, {"by_category", by}};
}

IntensityError intensity_error(const Predictor& model, const Dataset& data, const IntensityTruth& truth,
                               const IntensityErrorOptions& options, const std::string& where) {
  if (options.points < 2) throw Error("intensity error: at least 2 grid points");
  // Sequences grouped by their truth, each group scored by both models on the same grid.
  std::map<const Predictor*, std::vector<std::size_t>> groups;
  std::vector<std::string> category(data.sequences.size());
  for (std::size_t s = 0; s < data.sequences.size(); ++s) {
    const Sequence& seq = data.sequences[s];
    if (!(seq.t_end > seq.t_start))
      throw Error(fmt::format("{}: user {}: an empty window has no time average", where, seq.user));
    const bool has_category =
        seq.category >= 0 && static_cast<std::size_t>(seq.category) < data.schema.category_names.size();
    if (truth.all) {
      groups[truth.all.get()].push_back(s);
      continue;
    }
    if (!truth.by_user.empty()) {
      auto it = truth.by_user.find(seq.user);
      if (it == truth.by_user.end()) throw Error(fmt::format("{}: user {}: no truth for this user", where, seq.user));
      if (has_category) category[s] = data.schema.category_names[static_cast<std::size_t>(seq.category)];
      groups[it->second.get()].push_back(s);
      continue;
    }
    if (!has_category)
      throw Error(fmt::format("{}: user {} has no category, which the per-category truth needs", where, seq.user));
    category[s] = data.schema.category_names[static_cast<std::size_t>(seq.category)];
    auto it = truth.by_category.find(category[s]);
    if (it == truth.by_category.end())
      throw Error(fmt::format("{}: user {}: no truth for category '{}'", where, seq.user, category[s]));
    groups[it->second.get()].push_back(s);
  }
  IntensityError result;
  result.points = options.points;
  result.users.resize(data.sequences.size());
  result.categories = category;
  result.per_sequence.assign(data.sequences.size(), 0.0);
  IntensityCurveOptions co;
  co.points = options.points;
  co.batch_size = options.batch_size;
  for (const auto& [truth_model, indices] : groups) {
    Dataset subset;
    subset.schema = data.schema;
    subset.time_scale = data.time_scale;
    for (std::size_t s : indices) subset.sequences.push_back(data.sequences[s]);
    std::vector<SequenceIntensity> fitted, true_curves;
    model.intensity_curves(subset, co, [&](const SequenceIntensity& c) { fitted.push_back(c); }, where);
    if (truth.mark_phases.empty()) {
      truth_model->intensity_curves(subset, co, [&](const SequenceIntensity& c) { true_curves.push_back(c); }, where);
    } else {
      truth_model->intensity_curves(ground_view(subset, *truth_model, where), co, [&](const SequenceIntensity& c) {
        true_curves.push_back(apply_mark_schedule(c, truth));
      }, where);
    }
    if (fitted.size() != indices.size() || true_curves.size() != indices.size())
      throw Error(fmt::format("{}: intensity curves missing", where));
    // The model's types by name in the truth's; the same set of names on both sides.
    const auto& names = fitted.front().types;
    const auto& true_names = true_curves.front().types;
    if (names.size() != true_names.size())
      throw Error(fmt::format("{}: the model has {} types, the truth {}", where, names.size(), true_names.size()));
    std::vector<std::size_t> match;
    for (const auto& n : names) {
      auto it = std::find(true_names.begin(), true_names.end(), n);
      if (it == true_names.end()) throw Error(fmt::format("{}: the truth has no type '{}'", where, n));
      match.push_back(static_cast<std::size_t>(it - true_names.begin()));
    }
    for (std::size_t j = 0; j < indices.size(); ++j) {
      const Sequence& seq = data.sequences[indices[j]];
      result.users[indices[j]] = seq.user;
      result.per_sequence[indices[j]] = sequence_error(fitted[j], true_curves[j], match, seq.t_start, seq.t_end, where);
    }
  }
  return result;
}

}  // namespace tpp
