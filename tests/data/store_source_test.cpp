// A store read as a sequence source gives the batches the same data gives in memory, and its
// streamed pre-passes (time scale, text-feature document frequencies, summary) equal the
// in-memory ones exactly.
#include <gtest/gtest.h>

#include <numeric>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/data/batch.h"
#include "tpp/data/event_store.h"
#include "tpp/data/prepare.h"
#include "tpp/data/store_source.h"
#include "tpp/data/summary.h"

namespace tpp {

using testing::TempDir;

namespace {

// Three action types named out of order, texts on most events, windows wider than the events.
Dataset texts_dataset() {
  Dataset d;
  d.schema.num_action_types = 3;
  d.schema.action_names = {"c", "a", "b"};
  const char* words[] = {"red apple", "green apple pie", "blue sky", "red sky at night", ""};
  for (int u = 0; u < 9; ++u) {
    Sequence s;
    s.user = "u" + std::to_string(u);
    s.t_start = 0.0;
    for (int i = 0; i < 1 + u % 4; ++i) {
      Event e;
      e.time = 1.0 + 2.0 * i + 0.1 * u;
      e.type = (u + i) % 3;
      e.text = words[(u * 3 + i) % 5];
      s.events.push_back(e);
    }
    s.t_end = s.events.back().time + 1.5;
    d.sequences.push_back(s);
  }
  return d;
}

void expect_same_tensor(const torch::Tensor& a, const torch::Tensor& b, const char* name) {
  ASSERT_EQ(a.defined(), b.defined()) << name;
  if (a.defined()) EXPECT_TRUE(torch::equal(a, b)) << name;
}

}  // namespace

TEST(StoreSource, PrePassesEqualTheInMemoryOnes) {
  TempDir dir;
  Dataset data = texts_dataset();
  const std::string path = dir.file("d.tpps");
  write_event_store(data, path);
  const EventStore store(path);
  EXPECT_EQ(time_scale_factor("auto", store), time_scale_factor("auto", data));
  EXPECT_EQ(time_scale_factor("2.5", store), 2.5);
  EXPECT_EQ(summarize(store), summarize(data));
  const nlohmann::json spec = {{"dim", 16}};
  Dataset featurised = data;
  const nlohmann::json in_memory = featurize_texts(spec, featurised);
  EXPECT_EQ(fit_text_features(spec, store), in_memory);
  EXPECT_EQ(fit_text_features(in_memory, store), in_memory);  // a fitted state is applied as is
}

TEST(StoreSource, BatchesEqualTheInMemoryBatches) {
  TempDir dir;
  const Dataset data = texts_dataset();
  const std::string path = dir.file("d.tpps");
  write_event_store(data, path);
  TrainingDataOptions options;
  options.text_features = {{"dim", 8}};
  // In memory: the path the CLI takes for an event log, train and dev alike.
  const TrainingData memory = prepare_training_data(data, data, options);
  // From the store, dev aligned to the training schema batch by batch.
  const StoreTrainingData stored = prepare_store_training_data(path, path, options);
  EXPECT_EQ(stored.text_features, memory.text_features);
  EXPECT_EQ(stored.train->time_scale().scale, memory.train.time_scale.scale);
  const DatasetSource train(memory.train), dev(*memory.dev);
  const std::vector<std::size_t> indices = {7, 0, 3, 3, 8};
  for (auto [from_store, in_memory] : {std::pair<const SequenceSource*, const SequenceSource*>{stored.train.get(), &train},
                                       {stored.dev.get(), &dev}}) {
    const Batch a = from_store->batch(indices, Context{}), b = in_memory->batch(indices, Context{});
    expect_same_tensor(a.time, b.time, "time");
    expect_same_tensor(a.span, b.span, "span");
    expect_same_tensor(a.type, b.type, "type");
    expect_same_tensor(a.mask, b.mask, "mask");
    expect_same_tensor(a.action_mask, b.action_mask, "action_mask");
    expect_same_tensor(a.event_meta, b.event_meta, "event_meta");
    expect_same_tensor(a.sequence_id, b.sequence_id, "sequence_id");
    EXPECT_EQ(from_store->num_actions(), in_memory->num_actions());
    EXPECT_EQ(from_store->lengths(), in_memory->lengths());
  }
  EXPECT_EQ(length_sorted_batch_indices(*stored.train, 4), length_sorted_batch_indices(memory.train, 4));
}

TEST(StoreSource, DevTypesUnknownToTheModelAreAnErrorBeforeAnyBatch) {
  TempDir dir;
  Dataset train = texts_dataset();
  Dataset dev = train;
  dev.schema.action_names[2] = "zebra";
  write_event_store(train, dir.file("train.tpps"));
  write_event_store(dev, dir.file("dev.tpps"));
  TrainingDataOptions options;
  options.dev_name = "dev.tpps";
  EXPECT_THROW(prepare_store_training_data(dir.file("train.tpps"), dir.file("dev.tpps"), options), DataError);
}

}  // namespace tpp
