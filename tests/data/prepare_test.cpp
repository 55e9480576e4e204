// Data prepared for a model through the library alone (data/prepare.h): companion files, schema,
// alignment to a model's names and units, and train/dev preparation.
#include <gtest/gtest.h>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/data/prepare.h"

namespace tpp {
namespace {

// Types named "b", "a" (so ids differ from a sorted order), windows wider than the events.
Dataset named_data() {
  auto d = testing::make_dataset(2, {{{0.5, 1}, {1.0, 0}, {1.5, 0}}, {{2.0, 1}}}, {4.0, 6.0});
  d.schema.action_names = {"b", "a"};
  return d;
}

TEST(PrepareData, ReadDataFileBringsTheCompanionUsersAndSchema) {
  testing::TempDir dir;
  const Dataset original = named_data();
  write_dataset(original, dir.file("x.jsonl"), WriteOptions{Format::Jsonl, dir.file("x.users.jsonl"), dir.file("x.schema.json")});
  const Dataset read = read_data_file(dir.file("x.jsonl"));
  EXPECT_EQ(read.schema.action_names, original.schema.action_names);
  ASSERT_EQ(read.sequences.size(), 2u);
  EXPECT_DOUBLE_EQ(read.sequences[0].t_end, 4.0);  // the users file's window, not the last event
  EXPECT_DOUBLE_EQ(read.sequences[1].t_end, 6.0);
  EXPECT_EQ(read.sequences[0].events[0].type, 1);  // "a" keeps id 1 through the schema

  // An explicit schema replaces the companion one.
  Schema wider;
  wider.num_action_types = 3;
  wider.action_names = {"c", "b", "a"};
  write_schema(wider, dir.file("wider.json"));
  const Dataset fixed = read_data_file(dir.file("x.jsonl"), dir.file("wider.json"));
  EXPECT_EQ(fixed.schema.num_action_types, 3);
  EXPECT_EQ(fixed.sequences[0].events[0].type, 2);  // "a"
}

TEST(PrepareData, AlignToModelMapsNamesAndSetsTheModelsTimeScale) {
  Schema model;
  model.num_action_types = 2;
  model.action_names = {"a", "b"};
  const Dataset aligned = align_to_model(named_data(), model, TimeScale{0.0, 2.0}, "x.jsonl");
  EXPECT_EQ(aligned.schema.action_names, model.action_names);
  EXPECT_EQ(aligned.sequences[0].events[0].type, 0);  // file "a" (id 1) is the model's id 0
  EXPECT_EQ(aligned.sequences[0].events[1].type, 1);  // file "b" (id 0) is the model's id 1
  EXPECT_DOUBLE_EQ(aligned.time_scale.scale, 2.0);
  EXPECT_DOUBLE_EQ(aligned.sequences[0].events[0].time, 0.5);  // times stay in file units
}

TEST(PrepareData, TrainingDataSharesTrainsTimeScaleAndChecksDev) {
  // "auto": 4 events over windows of 4 + 6 file units, so 0.4 events per file unit.
  EXPECT_DOUBLE_EQ(time_scale_factor("auto", named_data()), 0.4);
  EXPECT_DOUBLE_EQ(time_scale_factor("none", named_data()), 1.0);
  TrainingDataOptions options;
  const TrainingData data = prepare_training_data(named_data(), named_data(), options);
  EXPECT_DOUBLE_EQ(data.train.time_scale.scale, 0.4);
  ASSERT_TRUE(data.dev.has_value());
  EXPECT_DOUBLE_EQ(data.dev->time_scale.scale, 0.4);
  EXPECT_TRUE(data.text_features.is_null());

  options.time_scale = "3";
  EXPECT_DOUBLE_EQ(prepare_training_data(named_data(), std::nullopt, options).train.time_scale.scale, 3.0);

  Dataset other = testing::make_dataset(3, {{{0.5, 2}}}, {1.0});
  options.dev_name = "dev.jsonl";
  try {
    prepare_training_data(named_data(), other, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dev.jsonl"), std::string::npos) << e.what();
  }
}

TEST(PrepareData, TrainingDataFeaturisesTextsWithOneFittedState) {
  Dataset train = named_data(), dev = named_data();
  for (Dataset* d : {&train, &dev})
    for (auto& seq : d->sequences)
      for (auto& e : seq.events) e.text = "free shipping on blue shoes";
  TrainingDataOptions options;
  options.time_scale = "none";
  options.text_features = {{"dim", 8}};
  const TrainingData data = prepare_training_data(train, dev, options);
  EXPECT_EQ(data.train.schema.event_meta_dim, 8);
  EXPECT_EQ(data.dev->schema.event_meta_dim, 8);
  ASSERT_TRUE(data.text_features.contains("idf"));  // the fitted state, ready to save with a model
  EXPECT_EQ(data.dev->sequences[0].events[0].meta, data.train.sequences[0].events[0].meta);
}

}  // namespace
}  // namespace tpp
