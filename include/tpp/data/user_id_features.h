#pragma once
// Personalisation by user id (ExPERT's user metadata where users have no other features): the
// distinct user ids of the training data form a sorted vocabulary, and each sequence's user feature
// vector gets a one-hot block of that vocabulary appended. ExPERT adds W_u m^u to every input
// encoding, so for user j the block contributes W_u e_j, the j-th column of the block's part of
// W_u: a d_model vector trained on that user's sequences alone. An embedding table is a linear map
// applied to one-hot rows, so one-hot + W_u is exactly a learned user embedding, and needs nothing
// beyond the user projection the model already has. A user the vocabulary lacks (unseen in
// training, or with fewer than min_events training actions) gets the zero block: no personal term,
// the population model with only the users file's features.
//
// A model config asks for it with "user_ids": true (the defaults) or settings such as
// {"min_events": 3}; training fits the vocabulary on the training data and the saved model carries
// the fitted state {"min_events": n, "vocabulary": [...]} instead, which evaluation and prediction
// apply to new data (infer/predictor.h).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/data/dataset.h"
#include "tpp/data/sequence_source.h"

namespace tpp {

template <class Config>
class ConfigFields;

struct UserIdsConfig {
  int min_events{1};  // training actions a user needs for a column of their own
  // The keys, defaults and checks (one declaration; docs/training.md shows its table).
  static const ConfigFields<UserIdsConfig>& fields();
  static UserIdsConfig from_json(const nlohmann::json& j);  // missing keys keep defaults
  nlohmann::json to_json() const;
};

class UserIdFeaturizer {
 public:
  explicit UserIdFeaturizer(UserIdsConfig config = {});

  // The vocabulary: the distinct ids of the users with at least min_events actions over all their
  // sequences, sorted (byte order), so the column of a user does not depend on the file's order.
  void fit(const SequenceSource& train);
  void fit(const Dataset& train);

  const UserIdsConfig& config() const { return config_; }
  const std::vector<std::string>& vocabulary() const { return vocabulary_; }
  int size() const { return static_cast<int>(vocabulary_.size()); }
  // The user's column in the block, or -1 for a user outside the vocabulary.
  int column(const std::string& user) const;
  // Appends the block to seq.features, which are first padded with zeros to `base_dim` when the
  // sequence has none (a user missing from the users file).
  void append(Sequence& seq, int base_dim) const;
  // append on every sequence; schema.user_feature_dim grows by size().
  void apply(Dataset& data) const;

  // {"min_events": n, "vocabulary": [...]}.
  nlohmann::json to_json() const;
  // A fitted state. `where` names it in errors (e.g. a model file's "user_ids").
  static UserIdFeaturizer from_json(const nlohmann::json& j, const std::string& where = "\"user_ids\"");
  // True when `j` is a fitted state rather than settings.
  static bool is_fitted_state(const nlohmann::json& j) { return j.is_object() && j.contains("vocabulary"); }

 private:
  UserIdsConfig config_;
  std::vector<std::string> vocabulary_;  // sorted, distinct
};

// The settings a "user_ids" value that is not a fitted state asks for: none for false or null, the
// defaults for true, the object's for an object; any other value is a tpp::Error naming the key.
std::optional<UserIdsConfig> user_ids_settings(const nlohmann::json& spec);

// The featuriser a model config's "user_ids" asks for: none for false or null; for true or a
// settings object, one fitted on `train`; for a fitted state, that state as is. Any other value is a
// tpp::Error naming the key.
std::optional<UserIdFeaturizer> user_id_featurizer(const nlohmann::json& spec, const SequenceSource& train);

// A source whose sequences carry the block (schema().user_feature_dim grown by the vocabulary),
// appended to each batch as it is loaded. The inner source must outlive it.
class UserIdSource : public SequenceSource {
 public:
  UserIdSource(const SequenceSource& inner, UserIdFeaturizer featurizer);
  const Schema& schema() const override { return schema_; }
  TimeScale time_scale() const override { return inner_.time_scale(); }
  std::size_t size() const override { return inner_.size(); }
  std::size_t length(std::size_t i) const override { return inner_.length(i); }
  std::size_t num_actions() const override { return inner_.num_actions(); }
  Dataset load(const std::vector<std::size_t>& indices) const override;
  // The inner dataset with the block, copied on first use (IPTW's refits), when the inner source
  // holds one; nullptr otherwise.
  const Dataset* in_memory() const override;

 private:
  const SequenceSource& inner_;
  UserIdFeaturizer featurizer_;
  Schema schema_;
  mutable std::unique_ptr<Dataset> copy_;
};

}  // namespace tpp
