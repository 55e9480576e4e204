#include "tpp/data/text_features.h"

#include <cmath>
#include <fstream>
#include <algorithm>
#include <sstream>

#include "tpp/core/atomic_output.h"
#include "tpp/core/config_fields.h"
#include "tpp/core/error.h"

namespace tpp {

namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kWordStart = 0x0002;  // boundary marks for character n-grams (never in text words)
constexpr char32_t kWordEnd = 0x0003;
constexpr char32_t kBigramGlue = 0x0001;

std::u32string decode_utf8(const std::string& s) {
  std::u32string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  static const char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  for (std::size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    int extra = 0;
    char32_t cp = 0;
    if ((b & 0xE0) == 0xC0) extra = 1, cp = b & 0x1F;
    else if ((b & 0xF0) == 0xE0) extra = 2, cp = b & 0x0F;
    else if ((b & 0xF8) == 0xF0) extra = 3, cp = b & 0x07;
    bool ok = extra > 0 && i + extra < n;
    for (int k = 1; ok && k <= extra; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    if (!ok || cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out.push_back(kReplacement);  // one replacement per invalid lead byte; resynchronise after it
      ++i;
      continue;
    }
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

// Simple case folding for the scripts with one-to-one upper/lower pairs at fixed offsets.
char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;                    // Latin-1
  if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 0) return c + 1;  // Latin Ext-A
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;                  // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;                                // Cyrillic
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c <= 0xBF || c == 0xD7 || c == 0xF7 || c == kReplacement) return false;  // Latin-1 controls, punctuation
  if ((c >= 0x2000 && c <= 0x206F) || (c >= 0x20A0 && c <= 0x20CF) || (c >= 0x2E00 && c <= 0x2E7F)) return false;
  if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20)) return false;
  return true;  // letters, digits and ideographs of every other script
}

std::uint64_t hash_feature(char tag, const std::u32string& text) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  auto mix = [&h](unsigned char byte) {
    h ^= byte;
    h *= 0x100000001B3ULL;
  };
  mix(static_cast<unsigned char>(tag));
  for (char32_t c : text)
    for (int k = 0; k < 4; ++k) mix(static_cast<unsigned char>((c >> (8 * k)) & 0xFF));
  // Final avalanche so the bucket (low bits) depends on every input byte.
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::vector<std::u32string> text_words(const std::string& utf8) {
  std::vector<std::u32string> words;
  std::u32string current;
  for (char32_t c : decode_utf8(utf8)) {
    if (is_word_char(c)) {
      current.push_back(to_lower(c));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

const ConfigFields<TextFeaturesConfig>& TextFeaturesConfig::fields() {
  using C = TextFeaturesConfig;
  static const auto fields =
      ConfigFields<C>("text_features")
          .field("dim", &C::dim, "hashed buckets, the output dimension",
                 Rule<int>{[](const int& v) { return v >= 1 && v <= (1 << 24); }, "in [1, 2^24]"})
          .field("word_unigrams", &C::word_unigrams, "hash single words")
          .field("word_bigrams", &C::word_bigrams, "hash pairs of adjacent words")
          .field("char_min", &C::char_min, "shortest character n-gram; 0: no character n-grams",
                 rules::non_negative<int>())
          .field("char_max", &C::char_max, "longest character n-gram, >= char_min",
                 Rule<int>{[](const int& v) { return v >= 0 && v <= 16; }, "in [0, 16]"})
          .field("sublinear_tf", &C::sublinear_tf, "1 + log(tf) instead of raw counts")
          .check([](const C& c) {
            return c.char_max >= c.char_min ? std::string()
                                            : "need \"char_min\" <= \"char_max\", got " + std::to_string(c.char_min) +
                                                  " > " + std::to_string(c.char_max);
          });
  return fields;
}

TextFeaturesConfig TextFeaturesConfig::from_json(const nlohmann::json& j) {
  TextFeaturesConfig c;
  fields().read(j, c);
  return c;
}

nlohmann::json TextFeaturesConfig::to_json() const { return fields().write(*this); }

TextFeaturizer::TextFeaturizer(TextFeaturesConfig config) : config_(TextFeaturesConfig::from_json(config.to_json())) {
  idf_.assign(config_.dim, 1.0);
}

std::vector<int> TextFeaturizer::buckets(const std::string& text) const {
  std::vector<int> out;
  const auto words = text_words(text);
  const auto bucket = [&](char tag, const std::u32string& s) {
    out.push_back(static_cast<int>(hash_feature(tag, s) % static_cast<std::uint64_t>(config_.dim)));
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (config_.word_unigrams) bucket('w', words[i]);
    if (config_.word_bigrams && i + 1 < words.size()) bucket('b', words[i] + kBigramGlue + words[i + 1]);
    if (config_.char_min > 0) {
      const std::u32string padded = kWordStart + words[i] + kWordEnd;
      for (int n = config_.char_min; n <= config_.char_max; ++n)
        for (std::size_t start = 0; start + n <= padded.size(); ++start) bucket('c', padded.substr(start, n));
    }
  }
  return out;
}

void TextFeaturizer::fit(const std::vector<std::string>& documents) {
  std::vector<double> df(config_.dim, 0.0);
  for (const auto& doc : documents) {
    auto ids = buckets(doc);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (int b : ids) df[b] += 1;
  }
  num_documents_ = documents.size();
  const double n = static_cast<double>(num_documents_);
  for (int b = 0; b < config_.dim; ++b) idf_[b] = std::log((1 + n) / (1 + df[b])) + 1;
}

std::vector<float> TextFeaturizer::transform(const std::string& text) const {
  std::vector<double> tf(config_.dim, 0.0);
  for (int b : buckets(text)) tf[b] += 1;
  double norm2 = 0;
  for (int b = 0; b < config_.dim; ++b) {
    if (tf[b] == 0) continue;
    tf[b] = (config_.sublinear_tf ? 1 + std::log(tf[b]) : tf[b]) * idf_[b];
    norm2 += tf[b] * tf[b];
  }
  std::vector<float> out(config_.dim, 0.0f);
  if (norm2 == 0) return out;
  const double inv = 1 / std::sqrt(norm2);
  for (int b = 0; b < config_.dim; ++b) out[b] = static_cast<float>(tf[b] * inv);
  return out;
}

nlohmann::json TextFeaturizer::to_json() const {
  return {{"featurizer", "hashed_tfidf"}, {"config", config_.to_json()}, {"num_documents", num_documents_}, {"idf", idf_}};
}

TextFeaturizer TextFeaturizer::from_json(const nlohmann::json& j) {
  try {
    if (j.value("featurizer", std::string()) != "hashed_tfidf") throw Error("text features: not a hashed_tfidf featuriser");
    TextFeaturizer f(TextFeaturesConfig::from_json(j.at("config")));
    f.num_documents_ = j.at("num_documents").get<std::size_t>();
    const auto idf = j.at("idf").get<std::vector<double>>();
    if (static_cast<int>(idf.size()) != f.config_.dim) throw Error("text features: idf has the wrong length");
    for (double v : idf)
      if (!(std::isfinite(v) && v > 0)) throw Error("text features: idf values must be positive and finite");
    f.idf_ = idf;
    return f;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("text features: ") + e.what());
  }
}

void TextFeaturizer::save(const std::string& path) const {
  write_file_atomically(path, to_json().dump(1) + "\n");
}

TextFeaturizer TextFeaturizer::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(path, 0, "file", "cannot open text featuriser");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(path, 0, "json", e.what());
  }
  try {
    return from_json(j);
  } catch (const Error& e) {
    throw DataError(path, 0, "featuriser", e.what());
  }
}

void featurize_event_texts(Dataset& data, TextFeaturizer& featurizer, bool refit) {
  if (refit || !featurizer.fitted()) {
    std::vector<std::string> docs;
    for (const auto& seq : data.sequences)
      for (const auto& e : seq.events)
        if (!e.text.empty()) docs.push_back(e.text);
    featurizer.fit(docs);
  }
  for (auto& seq : data.sequences)
    for (auto& e : seq.events)
      if (!e.text.empty()) e.meta = featurizer.transform(e.text);
  data.schema.event_meta_dim = featurizer.config().dim;
}

}  // namespace tpp
