#pragma once
// An event store read as a SequenceSource, and the pre-passes that prepare a store for training
// without loading it: the time scale from the windows column alone, text-feature document
// frequencies over the texts one piece at a time. Batches are read from the mapped file, texts
// featurised and type ids aligned to a model's per batch, so memory holds one batch's sequences.
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tpp/data/event_store.h"
#include "tpp/data/prepare.h"
#include "tpp/data/sequence_source.h"
#include "tpp/data/text_features.h"

namespace tpp {

class StoreSource : public SequenceSource {
 public:
  // The store with its own schema; times multiplied by `scale`.
  StoreSource(std::shared_ptr<const EventStore> store, TimeScale scale);
  // Texts featurised by `featurizer` (fitted) into each event's metadata.
  void featurize(std::shared_ptr<const TextFeaturizer> featurizer);
  // Type and category names mapped to `schema`'s ids, as align_to_model maps a Dataset; a name
  // the schema lacks is an error naming `where`, raised here rather than at the first batch.
  void align(const Schema& schema, std::string where);

  const Schema& schema() const override { return schema_; }
  TimeScale time_scale() const override { return scale_; }
  std::size_t size() const override { return store_->size(); }
  std::size_t length(std::size_t i) const override { return store_->length(i); }
  std::size_t num_actions() const override { return store_->num_actions(); }
  Dataset load(const std::vector<std::size_t>& indices) const override;
  const EventStore& store() const { return *store_; }

 private:
  std::shared_ptr<const EventStore> store_;
  TimeScale scale_;
  Schema schema_;
  std::shared_ptr<const TextFeaturizer> featurizer_;
  bool aligned_{false};
  std::string where_;
};

// time_scale_factor (data/prepare.h) of a store: "auto" from the window sums and event count.
double time_scale_factor(const std::string& spec, const EventStore& train);

// featurize_texts' fitting pass over a store: `spec` holds settings (fitted here on every
// non-empty event text, exactly as TextFeaturizer::fit would on them all) or a fitted state
// (returned as is). Returns the fitted state.
nlohmann::json fit_text_features(const nlohmann::json& spec, const EventStore& train);

// prepare_training_data for a training store: sources instead of datasets. `dev_path` may be a
// store (read batch by batch) or any other data file (read into memory); empty: no dev data.
struct StoreTrainingData {
  std::unique_ptr<SequenceSource> train;
  std::unique_ptr<SequenceSource> dev;
  std::unique_ptr<Dataset> dev_data;  // what `dev` reads when the dev file is not a store
  nlohmann::json text_features;       // the fitted featuriser state; null: none
};
StoreTrainingData prepare_store_training_data(const std::string& train_path, const std::string& dev_path,
                                              const TrainingDataOptions& options = {});

}  // namespace tpp
