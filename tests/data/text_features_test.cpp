// The built-in hashed TF-IDF text featuriser.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "../test_support.h"
#include "tpp/core/config_fields.h"
#include "tpp/core/error.h"
#include "tpp/data/text_features.h"

namespace tpp {
namespace {

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return ab / std::sqrt(aa * bb);
}

double norm(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += v * v;
  return std::sqrt(s);
}

const std::vector<std::string> kCorpus{
    "20% off shoes, expires in 7 days", "15% off fashion, expires in 5 days", "bought running shoes",
    "bought coffee beans",              "your 20% off fashion coupon expires today", "bought milk",
    "assignment deadline",              "periodic reminder",                  "bought a table lamp"};

TEST(TextFeatures, DeterministicUnitNormFixedDimension) {
  TextFeaturesConfig cfg;
  cfg.dim = 128;
  TextFeaturizer f(cfg), g(cfg);
  f.fit(kCorpus);
  g.fit(kCorpus);
  for (const auto& text : kCorpus) {
    const auto a = f.transform(text), b = g.transform(text);
    ASSERT_EQ(a.size(), 128u);
    EXPECT_EQ(a, b);
    EXPECT_NEAR(norm(a), 1.0, 1e-6);
  }
}

TEST(TextFeatures, EmptyTextGivesZeroVector) {
  TextFeaturizer f;
  f.fit(kCorpus);
  for (const std::string text : {"", "   ", "!!! ,,, --"}) {
    const auto v = f.transform(text);
    ASSERT_EQ(v.size(), 256u);
    EXPECT_EQ(norm(v), 0.0) << "'" << text << "'";
  }
}

TEST(TextFeatures, SimilarTextsCloserThanUnrelated) {
  TextFeaturesConfig cfg;
  cfg.dim = 4096;
  TextFeaturizer f(cfg);
  f.fit(kCorpus);
  const auto a = f.transform("20% off shoes, expires in 7 days");
  const auto b = f.transform("25% off shoes, expires in 3 days");
  const auto c = f.transform("assignment deadline tomorrow");
  EXPECT_GT(cosine(a, b), 0.5);
  EXPECT_LT(cosine(a, c), 0.2);
  EXPECT_GT(cosine(a, b), cosine(a, c) + 0.3);
  // Character n-grams relate inflected forms the word features miss.
  EXPECT_GT(cosine(f.transform("shoes"), f.transform("shoe")), cosine(f.transform("shoes"), f.transform("lamp")));
}

TEST(TextFeatures, IdfDownWeightsUbiquitousWords) {
  TextFeaturesConfig cfg;
  cfg.dim = 4096;
  cfg.word_bigrams = false;
  cfg.char_min = cfg.char_max = 0;  // unigrams only: one bucket per word
  TextFeaturizer f(cfg);
  std::vector<std::string> docs;
  for (int i = 0; i < 20; ++i) docs.push_back("common word" + std::string(i % 4 == 0 ? " rare" : " other"));
  f.fit(docs);
  const int common = f.buckets("common")[0], rare = f.buckets("rare")[0];
  ASSERT_NE(common, rare);
  EXPECT_NEAR(f.idf()[common], 1.0, 1e-12);                            // in every document
  EXPECT_NEAR(f.idf()[rare], std::log(21.0 / 6.0) + 1.0, 1e-12);       // in 5 of 20
  const auto v = f.transform("common rare");
  EXPECT_GT(v[rare], v[common]);
  EXPECT_NEAR(v[rare] / v[common], std::log(21.0 / 6.0) + 1.0, 1e-5);
}

TEST(TextFeatures, Utf8CodePoints) {
  const auto words = text_words("Ünïcode ΚΑΛΗΜΕΡΑ, привет—mixed\xff bytes");
  ASSERT_EQ(words.size(), 5u);
  EXPECT_EQ(words[0], U"ünïcode");
  EXPECT_EQ(words[1], U"καλημερα");
  EXPECT_EQ(words[2], U"привет");  // the em dash separates words
  EXPECT_EQ(words[3], U"mixed");   // the invalid byte becomes U+FFFD, a separator
  TextFeaturesConfig cfg;
  cfg.word_unigrams = cfg.word_bigrams = false;
  cfg.char_min = cfg.char_max = 3;
  TextFeaturizer f(cfg);
  // "<é>" padded: exactly one trigram however many bytes the code point takes.
  EXPECT_EQ(f.buckets("é").size(), 1u);
  EXPECT_EQ(f.buckets("ab").size(), 2u);
  EXPECT_EQ(f.transform("Été"), f.transform("été"));
}

TEST(TextFeatures, SaveLoadRoundTrip) {
  testing::TempDir dir;
  TextFeaturesConfig cfg;
  cfg.dim = 64;
  cfg.char_max = 4;
  TextFeaturizer f(cfg);
  f.fit(kCorpus);
  f.save(dir.file("tf.json"));
  const TextFeaturizer g = TextFeaturizer::load(dir.file("tf.json"));
  EXPECT_EQ(g.config().dim, 64);
  EXPECT_EQ(g.config().char_max, 4);
  EXPECT_EQ(g.idf(), f.idf());
  for (const auto& text : kCorpus) EXPECT_EQ(g.transform(text), f.transform(text));
  EXPECT_THROW(TextFeaturizer::load(dir.file("missing.json")), DataError);
  std::ofstream(dir.file("bad.json")) << "{\"featurizer\":\"hashed_tfidf\",\"config\":{\"dim\":4},\"num_documents\":1,\"idf\":[1,2]}";
  EXPECT_THROW(TextFeaturizer::load(dir.file("bad.json")), DataError);
}

TEST(TextFeatures, FillsDatasetMeta) {
  Dataset d = testing::make_dataset(2, {{{1.0, 0}, {2.0, 1}}, {{0.5, 1}}}, {3.0, 3.0});
  d.sequences[0].events[0].text = "bought shoes";
  d.sequences[1].events[0].text = "20% off shoes";
  TextFeaturizer f;
  featurize_event_texts(d, f);
  EXPECT_TRUE(f.fitted());
  EXPECT_EQ(d.schema.event_meta_dim, 256);
  EXPECT_EQ(d.sequences[0].events[0].meta, f.transform("bought shoes"));
  EXPECT_TRUE(d.sequences[0].events[1].meta.empty());  // no text: zeros when batched
}

TEST(TextFeatures, EveryConfigFieldRoundTrips) {
  const nlohmann::json given{{"dim", 48},       {"word_unigrams", false}, {"word_bigrams", false},
                             {"char_min", 2},   {"char_max", 4},          {"sublinear_tf", false}};
  std::set<std::string> declared, tested;
  for (const auto& key : TextFeaturesConfig::fields().keys()) declared.insert(key);
  for (const auto& item : given.items()) tested.insert(item.key());
  EXPECT_EQ(declared, tested);
  const nlohmann::json defaults = TextFeaturesConfig{}.to_json();
  for (const auto& item : given.items()) EXPECT_NE(defaults[item.key()], item.value()) << item.key();
  EXPECT_EQ(TextFeaturesConfig::from_json(given).to_json(), given);
  EXPECT_EQ(TextFeaturesConfig::from_json(nlohmann::json::object()).to_json(), defaults);
}

TEST(TextFeatures, ConfigErrorsNameTheKey) {
  auto error_of = [](const nlohmann::json& j) -> std::string {
    try {
      TextFeaturesConfig::from_json(j);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  const std::string unknown = error_of({{"dims", 8}});
  EXPECT_NE(unknown.find("\"dims\""), std::string::npos) << unknown;
  for (const auto& key : TextFeaturesConfig::fields().keys()) EXPECT_NE(unknown.find(key), std::string::npos) << unknown;
  for (const auto& key : TextFeaturesConfig::fields().keys()) {
    const std::string message = error_of({{key, "bad"}});
    EXPECT_NE(message.find("text_features: \"" + key + "\""), std::string::npos) << message;
  }
  for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"dim", 0}, {"dim", (1 << 24) + 1}, {"char_min", -1}, {"char_max", 17}, {"dim", 2.5}}) {
    const std::string message = error_of({{key, value}});
    EXPECT_NE(message.find("text_features: \"" + key + "\""), std::string::npos) << key << ": " << message;
  }
  const std::string crossed = error_of({{"char_min", 4}, {"char_max", 3}});
  EXPECT_NE(crossed.find("\"char_min\" <= \"char_max\""), std::string::npos) << crossed;
}

}  // namespace
}  // namespace tpp
