#include "tpp/data/store_source.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tpp/core/error.h"

namespace tpp {

namespace {
constexpr std::size_t kPassChunk = 4096;  // sequences per piece of a streaming pass
}  // namespace

StoreSource::StoreSource(std::shared_ptr<const EventStore> store, TimeScale scale)
    : store_(std::move(store)), scale_(scale), schema_(store_->schema()) {}

void StoreSource::featurize(std::shared_ptr<const TextFeaturizer> featurizer) {
  featurizer_ = std::move(featurizer);
  if (featurizer_) schema_.event_meta_dim = featurizer_->config().dim;
}

void StoreSource::align(const Schema& schema, std::string where) {
  where_ = std::move(where);
  Dataset probe;  // no sequences: checks every name of the store's schema against the model's
  probe.schema = schema_;
  align_to_model(std::move(probe), schema, scale_, where_);
  schema_ = schema;
  aligned_ = true;
}

Dataset StoreSource::load(const std::vector<std::size_t>& indices) const {
  Dataset part = store_->load(indices);
  if (featurizer_) {
    for (auto& seq : part.sequences)
      for (auto& e : seq.events)
        if (!e.text.empty()) e.meta = featurizer_->transform(e.text);
    part.schema.event_meta_dim = featurizer_->config().dim;
  }
  if (aligned_) {
    part = align_to_model(std::move(part), schema_, scale_, where_);
  } else {
    part.schema = schema_;
    part.time_scale = scale_;
  }
  return part;  // EventStore::load has handed the pages back
}

double time_scale_factor(const std::string& spec, const EventStore& train) {
  if (spec != "auto") {
    Dataset none;
    return time_scale_factor(spec, none);  // "none" or a number: the data plays no part
  }
  double span = 0.0;
  for (std::size_t i = 0; i < train.size(); ++i) span += train.t_end(i) - train.t_start(i);
  train.release();
  const auto events = static_cast<double>(train.num_events());
  return span > 0 && events > 0 ? events / span : 1.0;
}

nlohmann::json fit_text_features(const nlohmann::json& spec, const EventStore& train) {
  if (!spec.is_object()) throw Error("\"text_features\" must be an object, e.g. {\"dim\": 64}");
  if (train.schema().event_meta_dim > 0)
    throw Error("\"text_features\": the data already carries " + std::to_string(train.schema().event_meta_dim) +
                "-dimensional event metadata; drop one of the two");
  if (spec.contains("idf")) return TextFeaturizer::from_json(spec).to_json();
  const TextFeaturizer unfitted{TextFeaturesConfig::from_json(spec)};
  const int dim = unfitted.config().dim;
  std::vector<double> df(static_cast<std::size_t>(dim), 0.0);
  std::size_t documents = 0;
  for (std::size_t begin = 0; begin < train.size(); begin += kPassChunk) {
    std::vector<std::size_t> piece(std::min(kPassChunk, train.size() - begin));
    std::iota(piece.begin(), piece.end(), begin);
    for (const auto& seq : train.load(piece).sequences)
      for (const auto& e : seq.events) {
        if (e.text.empty()) continue;
        auto ids = unfitted.buckets(e.text);
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        for (int b : ids) df[static_cast<std::size_t>(b)] += 1;
        ++documents;
      }
    train.release();
  }
  // TextFeaturizer::fit's smoothed idf, from the same counts.
  const double n = static_cast<double>(documents);
  std::vector<double> idf(df.size());
  for (std::size_t b = 0; b < df.size(); ++b) idf[b] = std::log((1 + n) / (1 + df[b])) + 1;
  nlohmann::json state = unfitted.to_json();
  state["num_documents"] = documents;
  state["idf"] = idf;
  return TextFeaturizer::from_json(state).to_json();
}

StoreTrainingData prepare_store_training_data(const std::string& train_path, const std::string& dev_path,
                                              const TrainingDataOptions& options) {
  auto store = std::make_shared<const EventStore>(train_path);
  StoreTrainingData data;
  std::shared_ptr<const TextFeaturizer> featurizer;
  if (!options.text_features.is_null()) {
    data.text_features = fit_text_features(options.text_features, *store);
    featurizer = std::make_shared<const TextFeaturizer>(TextFeaturizer::from_json(data.text_features));
  }
  TimeScale scale;
  scale.scale = time_scale_factor(options.time_scale, *store);
  auto train = std::make_unique<StoreSource>(store, scale);
  train->featurize(featurizer);
  if (!dev_path.empty()) {
    if (is_event_store(dev_path)) {
      auto dev = std::make_unique<StoreSource>(std::make_shared<const EventStore>(dev_path), scale);
      dev->featurize(featurizer);
      dev->align(train->schema(), options.dev_name);
      data.dev = std::move(dev);
    } else {
      Dataset dev = read_data_file(dev_path);
      if (featurizer) {
        TextFeaturizer f = *featurizer;
        featurize_event_texts(dev, f);
      }
      TimeScale dev_scale = dev.time_scale;
      dev_scale.scale *= scale.scale;
      data.dev_data = std::make_unique<Dataset>(align_to_model(std::move(dev), train->schema(), dev_scale, options.dev_name));
      data.dev = std::make_unique<DatasetSource>(*data.dev_data);
    }
  }
  data.train = std::move(train);
  return data;
}

}  // namespace tpp
