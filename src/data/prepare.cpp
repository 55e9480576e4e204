#include "tpp/data/prepare.h"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/data/text_features.h"

namespace tpp {

Dataset read_data_file(const std::string& path, const std::string& schema, bool require_categories) {
  ReadOptions read;
  read.require_categories = require_categories;
  const std::filesystem::path file(path);
  const std::string extension = file.extension().string();
  std::string stem = path.substr(0, path.size() - extension.size());
  const bool event_log = extension == ".jsonl" || extension == ".csv";
  if (event_log) {
    for (const char* suffix : {".users.jsonl", ".users.csv"})
      if (std::filesystem::exists(stem + suffix)) {
        read.users = stem + suffix;
        break;
      }
  }
  if (!schema.empty())
    read.schema = read_schema(schema);
  else if (event_log && std::filesystem::exists(stem + ".schema.json"))
    read.schema = read_schema(stem + ".schema.json");
  return read_dataset(path, read);
}

namespace {
std::string known_names(const std::vector<std::string>& names) { return fmt::format("{}", fmt::join(names, ", ")); }
}  // namespace

Dataset align_to_model(Dataset data, const Schema& schema, const TimeScale& scale, const std::string& where) {
  std::vector<int> action_map(data.schema.num_action_types), stimulus_map(data.schema.num_stimulus_types);
  auto name_of = [](const std::vector<std::string>& names, int id) {
    return id < static_cast<int>(names.size()) ? names[id] : std::to_string(id);
  };
  for (int k = 0; k < data.schema.num_action_types; ++k) {
    const std::string name = name_of(data.schema.action_names, k);
    action_map[k] = schema.action_id(name);
    if (action_map[k] < 0)
      throw DataError(where, 0, "type", "action type \"" + name + "\" is unknown to the model (known: " +
                                            known_names(schema.action_names) + ")");
  }
  for (int s = 0; s < data.schema.num_stimulus_types; ++s) {
    const std::string name = name_of(data.schema.stimulus_names, s);
    stimulus_map[s] = schema.stimulus_id(name);
    if (stimulus_map[s] < 0)
      throw DataError(where, 0, "type", "stimulus type \"" + name + "\" is unknown to the model (known: " +
                                            known_names(schema.stimulus_names) + ")");
  }
  for (auto& seq : data.sequences)
    for (auto& e : seq.events) {
      const auto& map = e.is_stimulus ? stimulus_map : action_map;
      if (e.type < 0 || e.type >= static_cast<int>(map.size()))
        throw DataError(where, 0, "type", "type id " + std::to_string(e.type) + " outside the file's schema");
      e.type = map[e.type];
    }
  // Categories by name. They only weight training (IPTW), so a category the model never saw is
  // simply no category here rather than an error.
  for (auto& seq : data.sequences)
    if (seq.category >= 0)
      seq.category = seq.category < static_cast<int>(data.schema.category_names.size())
                         ? schema.category_id(data.schema.category_names[seq.category])
                         : -1;
  data.schema = schema;
  data.time_scale = scale;
  return data;
}

nlohmann::json featurize_texts(const nlohmann::json& spec, Dataset& train, Dataset* dev) {
  if (!spec.is_object()) throw Error("\"text_features\" must be an object, e.g. {\"dim\": 64}");
  for (const Dataset* d : {static_cast<const Dataset*>(&train), static_cast<const Dataset*>(dev)})
    if (d && d->schema.event_meta_dim > 0)
      throw Error("\"text_features\": the data already carries " + std::to_string(d->schema.event_meta_dim) +
                  "-dimensional event metadata; drop one of the two");
  TextFeaturizer featurizer = spec.contains("idf") ? TextFeaturizer::from_json(spec)
                                                   : TextFeaturizer(TextFeaturesConfig::from_json(spec));
  featurize_event_texts(train, featurizer);
  if (dev) featurize_event_texts(*dev, featurizer);
  return featurizer.to_json();
}

double time_scale_factor(const std::string& spec, const Dataset& train) {
  if (spec == "none") return 1.0;
  if (spec == "auto") {
    double span = 0.0;
    for (const auto& s : train.sequences)
      span += train.time_scale.to_model(s.t_end) - train.time_scale.to_model(s.t_start);
    const auto events = static_cast<double>(train.num_events());
    return span > 0 && events > 0 ? events / span : 1.0;
  }
  double factor = 0.0;
  std::size_t used = 0;
  try {
    factor = std::stod(spec, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != spec.size() || !(factor > 0) || !std::isfinite(factor))
    throw Error("--time-scale: expected auto, none or a positive number, got '" + spec + "'");
  return factor;
}

TrainingData prepare_training_data(Dataset train, std::optional<Dataset> dev, const TrainingDataOptions& options) {
  TrainingData data;
  // null is the declared default of "text_features" (no featuriser), as if the key were absent.
  if (!options.text_features.is_null())
    data.text_features = featurize_texts(options.text_features, train, dev ? &*dev : nullptr);
  const double factor = time_scale_factor(options.time_scale, train);
  train.time_scale.scale *= factor;
  if (dev) {
    // Types are matched by name, so a dev file holding a subset of the training types (an RMTPP
    // test fold without the rarest types) just works; a type the training data lacks is an error.
    TimeScale scale = dev->time_scale;
    scale.scale *= factor;
    dev = align_to_model(std::move(*dev), train.schema, scale, options.dev_name);
  }
  data.train = std::move(train);
  data.dev = std::move(dev);
  return data;
}

}  // namespace tpp
