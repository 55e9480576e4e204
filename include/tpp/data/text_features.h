#pragma once
// A built-in text featuriser needing no downloaded weights: hashed word unigrams and bigrams and
// character n-grams (over Unicode code points, within words padded with boundary marks), TF-IDF
// weighted with an IDF fitted on a dataset's texts, L2-normalised, of a fixed dimension. The fitted
// state saves to JSON so a model applies the same transform at prediction time.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/data/dataset.h"

namespace tpp {

template <class Config>
class ConfigFields;

struct TextFeaturesConfig {
  int dim{256};             // hashed buckets = output dimension
  bool word_unigrams{true};
  bool word_bigrams{true};
  int char_min{3};          // character n-gram lengths (0 disables)
  int char_max{5};
  bool sublinear_tf{true};  // 1 + log(tf) instead of raw counts
  // The keys, defaults and checks (one declaration; docs/expert.md shows its table).
  static const ConfigFields<TextFeaturesConfig>& fields();
  static TextFeaturesConfig from_json(const nlohmann::json& j);  // missing keys keep defaults
  nlohmann::json to_json() const;
};

class TextFeaturizer {
 public:
  explicit TextFeaturizer(TextFeaturesConfig config = {});

  // Fits the inverse document frequency per bucket, idf = ln((1 + N)/(1 + df)) + 1 (smoothed, so
  // a term in every document keeps weight 1 and unseen buckets get the largest weight).
  void fit(const std::vector<std::string>& documents);
  bool fitted() const { return num_documents_ > 0; }
  // The feature vector of one text: zero for a text without any feature.
  std::vector<float> transform(const std::string& text) const;

  const TextFeaturesConfig& config() const { return config_; }
  const std::vector<double>& idf() const { return idf_; }
  // Hashed bucket ids (with repetition) of a text's features, before weighting.
  std::vector<int> buckets(const std::string& text) const;

  nlohmann::json to_json() const;
  static TextFeaturizer from_json(const nlohmann::json& j);
  void save(const std::string& path) const;
  static TextFeaturizer load(const std::string& path);

 private:
  TextFeaturesConfig config_;
  std::vector<double> idf_;   // dim entries; all 1 before fit
  std::size_t num_documents_{0};
};

// Lowercased words of a UTF-8 text (invalid bytes become U+FFFD), as code point sequences.
std::vector<std::u32string> text_words(const std::string& utf8);

// Fits the featuriser on every non-empty event text of `data` (unless already fitted) and sets
// Event.meta = transform(text) for those events; events without text keep an empty meta (zeros
// when batched). Sets schema.event_meta_dim = dim.
void featurize_event_texts(Dataset& data, TextFeaturizer& featurizer, bool refit = false);

}  // namespace tpp
