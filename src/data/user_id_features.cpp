#include "tpp/data/user_id_features.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "tpp/core/config_fields.h"
#include "tpp/core/error.h"

namespace tpp {

namespace {
constexpr std::size_t kPassChunk = 4096;  // sequences per piece of the fitting pass over a source

void count_actions(const Dataset& data, std::map<std::string, std::size_t>& actions) {
  for (const auto& seq : data.sequences) {
    std::size_t n = 0;
    for (const auto& e : seq.events) n += !e.is_stimulus;
    actions[seq.user] += n;
  }
}
}  // namespace

const ConfigFields<UserIdsConfig>& UserIdsConfig::fields() {
  using C = UserIdsConfig;
  static const auto fields = ConfigFields<C>("user_ids").field(
      "min_events", &C::min_events, "training actions a user needs for a column; fewer: the zero block",
      rules::non_negative<int>());
  return fields;
}

UserIdsConfig UserIdsConfig::from_json(const nlohmann::json& j) {
  UserIdsConfig c;
  fields().read(j, c);
  return c;
}

nlohmann::json UserIdsConfig::to_json() const { return fields().write(*this); }

UserIdFeaturizer::UserIdFeaturizer(UserIdsConfig config) : config_(config) {}

void UserIdFeaturizer::fit(const SequenceSource& train) {
  if (const Dataset* data = train.in_memory()) return fit(*data);
  std::map<std::string, std::size_t> actions;
  for (std::size_t begin = 0; begin < train.size(); begin += kPassChunk) {
    std::vector<std::size_t> piece(std::min(kPassChunk, train.size() - begin));
    std::iota(piece.begin(), piece.end(), begin);
    count_actions(train.load(piece), actions);
  }
  vocabulary_.clear();
  for (const auto& [user, n] : actions)
    if (n >= static_cast<std::size_t>(config_.min_events)) vocabulary_.push_back(user);
}

void UserIdFeaturizer::fit(const Dataset& train) {
  std::map<std::string, std::size_t> actions;
  count_actions(train, actions);
  vocabulary_.clear();
  for (const auto& [user, n] : actions)  // std::map iterates in sorted order
    if (n >= static_cast<std::size_t>(config_.min_events)) vocabulary_.push_back(user);
}

int UserIdFeaturizer::column(const std::string& user) const {
  auto it = std::lower_bound(vocabulary_.begin(), vocabulary_.end(), user);
  return it != vocabulary_.end() && *it == user ? static_cast<int>(it - vocabulary_.begin()) : -1;
}

void UserIdFeaturizer::append(Sequence& seq, int base_dim) const {
  if (seq.features.empty()) seq.features.assign(static_cast<std::size_t>(base_dim), 0.0f);
  const std::size_t offset = seq.features.size();
  seq.features.resize(offset + vocabulary_.size(), 0.0f);
  if (const int j = column(seq.user); j >= 0) seq.features[offset + static_cast<std::size_t>(j)] = 1.0f;
}

void UserIdFeaturizer::apply(Dataset& data) const {
  for (auto& seq : data.sequences) append(seq, data.schema.user_feature_dim);
  data.schema.user_feature_dim += size();
}

nlohmann::json UserIdFeaturizer::to_json() const {
  nlohmann::json j = config_.to_json();
  j["vocabulary"] = vocabulary_;
  return j;
}

UserIdFeaturizer UserIdFeaturizer::from_json(const nlohmann::json& j, const std::string& where) {
  if (!is_fitted_state(j)) throw Error(where + ": not a fitted state (an object with \"vocabulary\")");
  nlohmann::json settings = j;
  settings.erase("vocabulary");
  UserIdsConfig config;
  try {
    config = UserIdsConfig::from_json(settings);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  UserIdFeaturizer f(config);
  const auto& vocabulary = j.at("vocabulary");
  if (!vocabulary.is_array()) throw Error(where + ": \"vocabulary\" must be an array of user ids, got " + vocabulary.dump());
  for (std::size_t i = 0; i < vocabulary.size(); ++i) {
    const auto& id = vocabulary[i];
    if (!id.is_string() || id.get_ref<const std::string&>().empty())
      throw Error(where + ": \"vocabulary\"[" + std::to_string(i) + "] must be a non-empty string, got " + id.dump());
    const auto& user = id.get_ref<const std::string&>();
    if (!f.vocabulary_.empty() && !(f.vocabulary_.back() < user))
      throw Error(where + ": \"vocabulary\"[" + std::to_string(i) + "] \"" + user +
                  "\" is out of order or repeated (the ids are sorted and distinct)");
    f.vocabulary_.push_back(user);
  }
  return f;
}

std::optional<UserIdsConfig> user_ids_settings(const nlohmann::json& spec) {
  if (spec.is_null() || (spec.is_boolean() && !spec.get<bool>())) return std::nullopt;
  if (!spec.is_boolean() && !spec.is_object())
    throw Error("\"user_ids\" must be true, false or an object such as {\"min_events\": 1}, got " + spec.dump());
  return spec.is_object() ? UserIdsConfig::from_json(spec) : UserIdsConfig{};
}

std::optional<UserIdFeaturizer> user_id_featurizer(const nlohmann::json& spec, const SequenceSource& train) {
  if (UserIdFeaturizer::is_fitted_state(spec)) return UserIdFeaturizer::from_json(spec);
  auto settings = user_ids_settings(spec);
  if (!settings) return std::nullopt;
  UserIdFeaturizer f(*settings);
  f.fit(train);
  return f;
}

UserIdSource::UserIdSource(const SequenceSource& inner, UserIdFeaturizer featurizer)
    : inner_(inner), featurizer_(std::move(featurizer)), schema_(inner.schema()) {
  schema_.user_feature_dim += featurizer_.size();
}

Dataset UserIdSource::load(const std::vector<std::size_t>& indices) const {
  Dataset part = inner_.load(indices);
  featurizer_.apply(part);
  return part;
}

const Dataset* UserIdSource::in_memory() const {
  const Dataset* data = inner_.in_memory();
  if (!data) return nullptr;
  if (!copy_) {
    copy_ = std::make_unique<Dataset>(*data);
    featurizer_.apply(*copy_);
  }
  return copy_.get();
}

}  // namespace tpp
