// The user-id featuriser (data/user_id_features.h): the sorted vocabulary of training users, the
// one-hot block after the users file's features, zeros for an unseen user, the saved state and
// its errors, and the source that appends the block batch by batch.
#include <gtest/gtest.h>

#include <string>

#include "../cli/cli_test_support.h"
#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/data/user_id_features.h"

namespace tpp {
namespace {

// Users "carol", "alice", "bob", "alice" (two sequences) with 2 features each; bob has one action
// and carol none besides a stimulus.
Dataset users_data() {
  Dataset d = testing::make_dataset(2, {{{1.0, 0}, {2.0, 1}}, {{0.5, 1}}, {{1.5, 0}}, {{3.0, 0}}}, {4, 4, 4, 4});
  d.schema.num_stimulus_types = 1;
  d.schema.stimulus_names = {"s"};
  d.schema.user_feature_dim = 2;
  const char* names[] = {"carol", "alice", "bob", "alice"};
  for (std::size_t i = 0; i < d.sequences.size(); ++i) {
    d.sequences[i].user = names[i];
    d.sequences[i].features = {0.25f * static_cast<float>(i), -1.0f};
  }
  d.sequences[0].events = {Event{1.0, 0, true, {}, {}}};  // carol: a stimulus, no action
  return d;
}

TEST(UserIdFeatures, VocabularyIsTheSortedDistinctTrainingUsers) {
  const Dataset data = users_data();
  UserIdFeaturizer all(UserIdsConfig{0});
  all.fit(data);
  EXPECT_EQ(all.vocabulary(), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(all.column("alice"), 0);
  EXPECT_EQ(all.column("carol"), 2);
  EXPECT_EQ(all.column("dave"), -1);
  // The default needs one action: carol's stimulus alone earns no column.
  UserIdFeaturizer one;
  one.fit(data);
  EXPECT_EQ(one.vocabulary(), (std::vector<std::string>{"alice", "bob"}));
  // Actions add up over a user's sequences: alice has 3, bob 1.
  UserIdFeaturizer two(UserIdsConfig{2});
  two.fit(data);
  EXPECT_EQ(two.vocabulary(), (std::vector<std::string>{"alice"}));
  // A source read piece by piece gives the same vocabulary as the dataset.
  UserIdFeaturizer streamed(UserIdsConfig{0});
  const DatasetSource source(data);
  streamed.fit(source);
  EXPECT_EQ(streamed.vocabulary(), all.vocabulary());
}

TEST(UserIdFeatures, OneHotBlockFollowsTheUserFeaturesAndUnseenUsersGetZeros) {
  Dataset data = users_data();
  UserIdFeaturizer f(UserIdsConfig{0});
  f.fit(data);
  f.apply(data);
  EXPECT_EQ(data.schema.user_feature_dim, 5);
  EXPECT_EQ(data.sequences[0].features, (std::vector<float>{0.0f, -1.0f, 0, 0, 1}));  // carol
  EXPECT_EQ(data.sequences[1].features, (std::vector<float>{0.25f, -1.0f, 1, 0, 0}));  // alice
  EXPECT_EQ(data.sequences[2].features, (std::vector<float>{0.5f, -1.0f, 0, 1, 0}));   // bob
  EXPECT_EQ(data.sequences[3].features, (std::vector<float>{0.75f, -1.0f, 1, 0, 0}));  // alice again

  Dataset test = users_data();
  test.sequences[1].user = "dave";  // never seen in training
  test.sequences[2].features.clear();  // a user missing from the users file: zero features
  f.apply(test);
  EXPECT_EQ(test.sequences[1].features, (std::vector<float>{0.25f, -1.0f, 0, 0, 0}));
  EXPECT_EQ(test.sequences[2].features, (std::vector<float>{0, 0, 0, 1, 0}));

  // Without a users file the block is the whole feature vector.
  Dataset bare = testing::make_dataset(1, {{{1.0, 0}}, {{1.0, 0}}}, {2, 2});
  UserIdFeaturizer g;
  g.fit(bare);
  g.apply(bare);
  EXPECT_EQ(bare.schema.user_feature_dim, 2);
  EXPECT_EQ(bare.sequences[1].features, (std::vector<float>{0, 1}));
}

TEST(UserIdFeatures, SavedStateRoundTripsAndIsCheckedNamingTheField) {
  UserIdFeaturizer f(UserIdsConfig{0});
  f.fit(users_data());
  const nlohmann::json state = f.to_json();
  EXPECT_EQ(state, (nlohmann::json{{"min_events", 0}, {"vocabulary", {"alice", "bob", "carol"}}}));
  ASSERT_TRUE(UserIdFeaturizer::is_fitted_state(state));
  const UserIdFeaturizer back = UserIdFeaturizer::from_json(state);
  EXPECT_EQ(back.vocabulary(), f.vocabulary());
  EXPECT_EQ(back.config().min_events, 0);
  EXPECT_EQ(back.to_json(), state);

  const std::string where = "m.tpp: config \"user_ids\"";
  auto bad = [&](nlohmann::json j, const std::string& part) {
    const std::string message = testing::error_of([&] { UserIdFeaturizer::from_json(j, where); });
    EXPECT_NE(message.find(where), std::string::npos) << message;
    EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  bad({{"vocabulary", "alice"}}, "\"vocabulary\" must be an array");
  bad({{"vocabulary", {"alice", 3}}}, "\"vocabulary\"[1] must be a non-empty string");
  bad({{"vocabulary", {"bob", "alice"}}}, "\"vocabulary\"[1] \"alice\" is out of order or repeated");
  bad({{"vocabulary", {"alice", "alice"}}}, "out of order or repeated");
  bad({{"vocabulary", {""}}}, "\"vocabulary\"[0]");
  bad({{"vocabulary", {"a"}}, {"min_events", "x"}}, "\"min_events\"");
  bad({{"vocabulary", {"a"}}, {"dim", 3}}, "unknown field \"dim\"");
  bad({{"min_events", 1}}, "not a fitted state");
}

TEST(UserIdFeatures, ConfigValuesAreCheckedNamingTheKey) {
  const Dataset data = users_data();
  const DatasetSource source(data);
  EXPECT_FALSE(user_id_featurizer(nullptr, source));
  EXPECT_FALSE(user_id_featurizer(false, source));
  auto fitted = user_id_featurizer(true, source);
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted->vocabulary(), (std::vector<std::string>{"alice", "bob"}));
  fitted = user_id_featurizer({{"min_events", 0}}, source);
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted->size(), 3);
  // A fitted state is applied as is, not refitted.
  fitted = user_id_featurizer({{"min_events", 1}, {"vocabulary", {"zoe"}}}, source);
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted->vocabulary(), (std::vector<std::string>{"zoe"}));

  for (const nlohmann::json& spec : {nlohmann::json(1), nlohmann::json("yes"), nlohmann::json::array()}) {
    const std::string message = testing::error_of([&] { user_id_featurizer(spec, source); });
    EXPECT_NE(message.find("\"user_ids\" must be true, false or an object"), std::string::npos) << message;
  }
  std::string message = testing::error_of([&] { user_id_featurizer({{"min_event", 1}}, source); });
  EXPECT_NE(message.find("user_ids: unknown field \"min_event\""), std::string::npos) << message;
  message = testing::error_of([&] { user_id_featurizer({{"min_events", -1}}, source); });
  EXPECT_NE(message.find("user_ids: \"min_events\""), std::string::npos) << message;
  message = testing::error_of([&] { user_id_featurizer({{"min_events", true}}, source); });
  EXPECT_NE(message.find("user_ids: \"min_events\""), std::string::npos) << message;
}

TEST(UserIdFeatures, SourceAppendsTheBlockToEveryBatch) {
  Dataset data = users_data();
  const DatasetSource inner(data);
  UserIdFeaturizer f;
  f.fit(data);
  const UserIdSource source(inner, f);
  EXPECT_EQ(source.schema().user_feature_dim, 4);
  EXPECT_EQ(inner.schema().user_feature_dim, 2);
  EXPECT_EQ(source.size(), inner.size());
  EXPECT_EQ(source.num_actions(), inner.num_actions());
  const Dataset part = source.load({2, 0});
  EXPECT_EQ(part.schema.user_feature_dim, 4);
  EXPECT_EQ(part.sequences[0].features, (std::vector<float>{0.5f, -1.0f, 0, 1}));  // bob
  EXPECT_EQ(part.sequences[1].features, (std::vector<float>{0.0f, -1.0f, 0, 0}));  // carol: no column
  const Batch batch = source.batch({1}, Context{});
  ASSERT_TRUE(batch.user_features.defined());
  EXPECT_EQ(batch.user_features.size(1), 4);
  EXPECT_EQ(batch.user_features[0][2].item<double>(), 1.0);
  // The whole dataset with the block, for what needs every sequence at once.
  const Dataset* all = source.in_memory();
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->schema.user_feature_dim, 4);
  EXPECT_EQ(all->sequences[3].features, (std::vector<float>{0.75f, -1.0f, 1, 0}));
  EXPECT_EQ(data.sequences[3].features.size(), 2u);  // the inner data is untouched
}

}  // namespace
}  // namespace tpp
