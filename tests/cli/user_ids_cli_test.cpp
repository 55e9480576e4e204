// ExPERT personalised by user id ("user_ids", data/user_id_features.h) through the CLI entry
// points: training fits the vocabulary and saves it with the model; evaluation and prediction give
// a training user their learned column of W_u and an unseen user the zero block, which scores as
// the same model without the block; stores train as event logs do; bad settings and bad saved
// vocabularies are errors naming the key (and the model file).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "cli_test_support.h"
#include "tpp/cli/evaluate.h"
#include "tpp/cli/generate.h"
#include "tpp/cli/model_data.h"
#include "tpp/cli/predict.h"
#include "tpp/cli/train.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/data/user_id_features.h"
#include "tpp/infer/predictor.h"
#include "tpp/models/saved_config.h"
#include "tpp/serve/served_model.h"

namespace tpp {
namespace {

using testing::error_of;
using testing::shop_log;

nlohmann::json tiny_expert(nlohmann::json user_ids) {
  return {{"model", "expert"}, {"d_model", 8}, {"d_ff", 8}, {"heads", 1}, {"layers", 1}, {"user_ids", user_ids},
          {"train", {{"epochs", 1}, {"batch_size", 3}, {"seed", 1}}}};
}

TrainOptions train_options(const std::string& train, const std::string& output, const nlohmann::json& config) {
  TrainOptions t;
  t.common.quiet = true;
  t.train = train;
  t.output = output;
  t.config = config.dump();
  return t;
}

// The saved model without its user-id block: the same parameters, W_u cut to the users file's columns.
SavedModel without_user_ids(const SavedModel& saved, int base_dim) {
  nlohmann::json config = saved.config;
  config.erase("user_ids");
  Schema schema = saved.schema;
  schema.user_feature_dim = base_dim;
  ModelPtr plain = ModelRegistry::instance().create(config, schema);
  torch::NoGradGuard no_grad;
  const auto trained = saved.model->named_parameters();
  for (auto& p : plain->named_parameters()) {
    torch::Tensor from = trained[p.key()];
    if (p.key() == "user_projection.weight") from = from.narrow(1, 0, base_dim);
    p.value().copy_(from);
  }
  return SavedModel{plain, schema, saved.time_scale, config};
}

Dataset one_user(const Dataset& data, std::size_t i, const std::string& user) {
  Dataset out = data;
  out.sequences = {data.sequences[i]};
  out.sequences[0].user = user;
  return out;
}

TEST(UserIdsCli, SeenUsersGetTheirColumnAndUnseenUsersThePopulationModel) {
  testing::TempDir dir;
  const std::string train = shop_log(dir, "train", 1);
  const TrainOptions t = train_options(train, dir.file("ids.tpp"), tiny_expert(true));
  ASSERT_EQ(run_train(t), 0);
  const SavedModel saved = load_model(t.output, Context{});
  // The vocabulary is the training users with an action, sorted; it replaces the setting.
  const Dataset train_data = read_data_file(train);
  ASSERT_EQ(train_data.schema.user_feature_dim, 4);
  UserIdFeaturizer expected;
  expected.fit(train_data);
  ASSERT_GT(expected.size(), 1);
  EXPECT_EQ(saved.config.at("user_ids"), expected.to_json());
  EXPECT_EQ(saved.schema.user_feature_dim, 4 + expected.size());
  const std::string seen = expected.vocabulary()[0];

  const Predictor with_ids(saved, Context{});
  const Predictor plain(without_user_ids(saved, 4), Context{});
  const Dataset test = read_data_file(shop_log(dir, "test", 2));
  const Dataset stranger = one_user(test, 1, "stranger"), known = one_user(test, 1, seen);
  // An unseen user is scored as by the model without the block: no personal term at all.
  const double unseen_ll = with_ids.evaluate(stranger).log_likelihood;
  EXPECT_NEAR(unseen_ll, plain.evaluate(stranger).log_likelihood, 1e-9 * std::abs(unseen_ll));
  // The same events under a training user's id move the likelihood through their W_u column.
  const double seen_ll = with_ids.evaluate(known).log_likelihood;
  EXPECT_GT(std::abs(seen_ll - unseen_ll), 1e-6);
  EXPECT_NEAR(plain.evaluate(known).log_likelihood, unseen_ll, 1e-9 * std::abs(unseen_ll));

  // The server takes the users file's features and appends the block from the user id.
  const ServedModel served(saved, Context{}, PredictOptions{}), served_plain(without_user_ids(saved, 4), Context{},
                                                                           PredictOptions{});
  EXPECT_EQ(served.schema().user_feature_dim, 4);
  const Dataset prepared = plain.prepare(stranger);  // type ids of the model's schema, file units
  const Sequence& events = prepared.sequences[0];
  auto next_time = [&](const ServedModel& model, const std::string& user) {
    const StoredUser stored{user, events.t_start, test.sequences[1].features, events.events};
    return model.predict(*model.build_state(stored), std::numeric_limits<double>::quiet_NaN(), 1).expected_time;
  };
  const double population = next_time(served_plain, "stranger");
  EXPECT_NEAR(next_time(served, "stranger"), population, 1e-9 * std::abs(population));
  EXPECT_GT(std::abs(next_time(served, seen) - population), 1e-9 * std::abs(population));

  // tpp evaluate and tpp predict on a file with a seen and an unseen user.
  Dataset mixed = test;
  mixed.sequences = {known.sequences[0], stranger.sequences[0]};
  WriteOptions w;
  w.users = dir.file("mixed.users.jsonl");
  w.schema = dir.file("mixed.schema.json");
  write_dataset(mixed, dir.file("mixed.jsonl"), w);
  EvaluateCommandOptions e;
  e.model = t.output;
  e.data = dir.file("mixed.jsonl");
  e.common.quiet = true;
  ::testing::internal::CaptureStdout();
  const int evaluated = run_evaluate(e);
  ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(evaluated, 0);
  PredictCommandOptions p;
  p.model = t.output;
  p.data = dir.file("mixed.jsonl");
  p.output = dir.file("predictions.jsonl");
  p.common.quiet = true;
  EXPECT_EQ(run_predict(p), 0);
  std::set<std::string> predicted;
  for (const auto& row : testing::json_lines(testing::slurp(p.output))) predicted.insert(row.at("user").get<std::string>());
  EXPECT_EQ(predicted, (std::set<std::string>{seen, "stranger"}));
}

TEST(UserIdsCli, StoreTrainsAsTheEventLogDoes) {
  testing::TempDir dir;
  const std::string log = shop_log(dir, "train", 1);
  WriteOptions w;
  write_dataset(read_data_file(log), dir.file("train.tpps"), w);
  const nlohmann::json config = tiny_expert({{"min_events", 2}});
  ASSERT_EQ(run_train(train_options(log, dir.file("log.tpp"), config)), 0);
  ASSERT_EQ(run_train(train_options(dir.file("train.tpps"), dir.file("store.tpp"), config)), 0);
  const SavedModel a = load_model(dir.file("log.tpp"), Context{}), b = load_model(dir.file("store.tpp"), Context{});
  EXPECT_EQ(a.config.at("user_ids"), b.config.at("user_ids"));
  EXPECT_EQ(a.config.at("user_ids").at("min_events"), 2);
  EXPECT_EQ(a.schema.user_feature_dim, b.schema.user_feature_dim);
  const auto pa = a.model->named_parameters(), pb = b.model->named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(torch::allclose(p.value(), pb[p.key()], 1e-9, 1e-12)) << p.key();
}

TEST(UserIdsCli, BadSettingsAndSavedVocabulariesNameTheKey) {
  testing::TempDir dir;
  const std::string train = shop_log(dir, "train", 1);
  auto train_error = [&](const nlohmann::json& config) {
    return error_of([&] { run_train(train_options(train, dir.file("bad.tpp"), config)); });
  };
  EXPECT_NE(train_error(tiny_expert("yes")).find("\"user_ids\" must be true, false or an object"), std::string::npos);
  EXPECT_NE(train_error(tiny_expert({{"min_event", 1}})).find("user_ids: unknown field \"min_event\""),
            std::string::npos);
  // A model that reads no user features has no use for them.
  nlohmann::json thp = tiny_expert(true);
  thp["variant"] = "thp";
  EXPECT_NE(train_error(thp).find("\"user_ids\": model \"expert\" reads no user features"), std::string::npos);
  // false trains the model without them.
  ASSERT_EQ(run_train(train_options(train, dir.file("off.tpp"), tiny_expert(false))), 0);
  const SavedModel off = load_model(dir.file("off.tpp"), Context{});
  EXPECT_FALSE(off.config.contains("user_ids"));
  EXPECT_EQ(off.schema.user_feature_dim, 4);

  ASSERT_EQ(run_train(train_options(train, dir.file("ids.tpp"), tiny_expert(true))), 0);
  const SavedModel saved = load_model(dir.file("ids.tpp"), Context{});
  auto load_error = [&](const nlohmann::json& user_ids) {
    nlohmann::json config = saved.config;
    config["user_ids"] = user_ids;
    save_model_with_config(dir.file("edited.tpp"), saved.model, config, saved.schema, saved.time_scale);
    return error_of([&] { load_model(dir.file("edited.tpp"), Context{}); });
  };
  const std::string where = dir.file("edited.tpp") + ": config \"user_ids\": ";
  std::string message = load_error({{"min_events", 1}, {"vocabulary", {"u2", "u1"}}});
  EXPECT_NE(message.find(where + "\"vocabulary\"[1] \"u1\" is out of order"), std::string::npos) << message;
  message = load_error({{"vocabulary", 7}});
  EXPECT_NE(message.find(where + "\"vocabulary\" must be an array"), std::string::npos) << message;
  message = load_error(true);
  EXPECT_NE(message.find(where + "not a fitted state"), std::string::npos) << message;
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back("user" + std::to_string(10 + i));
  message = load_error({{"vocabulary", many}});
  EXPECT_NE(message.find(where + "20 user ids, but the schema has only"), std::string::npos) << message;
}

}  // namespace
}  // namespace tpp
