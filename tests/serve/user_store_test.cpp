#include "tpp/serve/user_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "serve_fixture.h"
#include "tpp/infer/state_prediction.h"

namespace tpp {
namespace {

using testing::kNow;
using testing::small_served_model;
using testing::stream_event;
using testing::TempDir;

AppendRequest one(const Event& e) {
  AppendRequest r;
  r.events = {e};
  return r;
}

// The prediction as doubles, compared exactly: a state rebuilt from stored events must take the
// same one-event steps as one advanced live.
std::vector<double> numbers(const ServedPrediction& p) {
  std::vector<double> out = {p.expected_time, p.median_time, p.no_event_probability};
  for (const auto& [type, q] : p.type_probability) out.push_back(q);
  return out;
}

std::vector<double> predict(UserStore& store, const ServedModel& model, const std::string& user, double as_of = kNow) {
  std::vector<double> out;
  EXPECT_TRUE(store.with_state(user, [&](const StoredUser&, UserState& s) { out = numbers(model.predict(s, as_of, 2)); }));
  return out;
}

TEST(UserStore, PredictsInFileUnitsFromTheModelUnitState) {
  auto model = small_served_model();
  TempDir dir;
  Journal journal({dir.file("state")});
  UserStore store(*model, journal, {});
  store.recover();
  for (int n = 0; n < 6; ++n) store.append("u", one(stream_event(0, n)));
  ServedPrediction served;
  StatePrediction direct;
  store.with_state("u", [&](const StoredUser& user, UserState& state) {
    served = model->predict(state, user.events.back().time + 0.3, 2);
    PredictOptions options;
    options.relative_tolerance = 1e-8;
    options.top_k = 2;
    // File times are twice model times (scale 0.5): quiet 0.3 file units is 0.15 model units.
    direct = predict_from_state(model->model(), state, options, 0.15);
  });
  EXPECT_DOUBLE_EQ(served.expected_time, served.last_event_time + direct.expected_time / 0.5);
  EXPECT_DOUBLE_EQ(served.median_time, served.last_event_time + direct.median_time / 0.5);
  EXPECT_EQ(served.top_k.size(), 2u);
  EXPECT_EQ(served.top_k[0].first, model->schema().action_names[direct.top_k_type[0]]);
  EXPECT_THROW(model->predict(*model->build_state({"v", 0.0, {}, {stream_event(0, 0)}}), -1.0, 1), Error);
}

TEST(UserStore, EvictionAndRecoveryLeavePredictionsBitIdentical) {
  auto model = small_served_model();
  TempDir dir;
  std::vector<std::vector<double>> live, evicted;
  {
    // A roomy store and one holding a single state, fed the same interleaved streams.
    Journal j1({dir.file("a")}), j2({dir.file("b")});
    UserStoreOptions tight;
    tight.max_cached_states = 1;
    UserStore roomy(*model, j1, {}), small(*model, j2, tight);
    roomy.recover();
    small.recover();
    for (int n = 0; n < 12; ++n)
      for (int u = 0; u < 3; ++u) {
        const std::string id = "user" + std::to_string(u);
        roomy.append(id, one(stream_event(u, n)));
        small.append(id, one(stream_event(u, n)));
        live.push_back(predict(roomy, *model, id));
        evicted.push_back(predict(small, *model, id));
      }
    EXPECT_EQ(live, evicted);
    EXPECT_LE(small.stats().cached_states, 1u);
    EXPECT_GT(small.stats().evictions, 20u);
    EXPECT_EQ(roomy.stats().evictions, 0u);
  }
  // A restart replays the log to the same predictions.
  Journal j({dir.file("a")});
  UserStore restarted(*model, j, {});
  restarted.recover();
  EXPECT_EQ(restarted.stats().users, 3u);
  for (int u = 0; u < 3; ++u) EXPECT_EQ(predict(restarted, *model, "user" + std::to_string(u)), live[33 + u]);
}

TEST(UserStore, LateEventsAreRefusedUnchangedOrMergedWhenAllowed) {
  auto model = small_served_model();
  TempDir dir;
  Journal journal({dir.file("s")});
  UserStore store(*model, journal, {});
  store.recover();
  for (int n = 0; n < 5; ++n) store.append("u", one(stream_event(0, n)));
  const auto bytes = journal.bytes_written();
  Event late = stream_event(0, 2);
  late.time -= 0.01;
  try {
    store.append("u", one(late));
    FAIL() << "a late event was accepted";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_NE(std::string(e.what()).find("events[0].time"), std::string::npos);
  }
  EXPECT_EQ(journal.bytes_written(), bytes);  // nothing journaled for a refused request
  AppendRequest before_start;
  before_start.events = {stream_event(0, 9)};
  before_start.events[0].time = -1;
  EXPECT_THROW(store.append("u", before_start), RequestError);
  // Existing users keep their window start.
  AppendRequest moved = one(stream_event(0, 6));
  moved.t_start = 0.05;
  EXPECT_THROW(store.append("u", moved), RequestError);

  TempDir other;
  Journal j2({other.file("s")});
  UserStoreOptions merging;
  merging.allow_out_of_order = true;
  UserStore lenient(*model, j2, merging);
  lenient.recover();
  for (int n = 0; n < 5; ++n) lenient.append("u", one(stream_event(0, n)));
  predict(lenient, *model, "u");  // a cached state that the merge must invalidate
  const AppendOutcome outcome = lenient.append("u", one(late));
  EXPECT_TRUE(outcome.rebuilt);
  StoredUser sorted{"u", stream_event(0, 0).time, {}, {}};
  for (int n = 0; n < 5; ++n) sorted.events.push_back(stream_event(0, n));
  sorted.events.insert(sorted.events.begin() + 2, late);
  auto reference = model->build_state(sorted);
  EXPECT_EQ(predict(lenient, *model, "u"), numbers(model->predict(*reference, kNow, 2)));
}

TEST(UserStore, DeletionForgetsTheUserAcrossRestarts) {
  auto model = small_served_model();
  TempDir dir;
  {
    Journal journal({dir.file("s")});
    UserStore store(*model, journal, {});
    store.recover();
    store.append("gone", one(stream_event(0, 0)));
    store.append("kept", one(stream_event(1, 0)));
    EXPECT_TRUE(store.remove("gone"));
    EXPECT_FALSE(store.remove("gone"));
    EXPECT_FALSE(store.with_user("gone", [](const StoredUser&) {}));
    store.snapshot();
    store.append("gone", one(stream_event(2, 0)));  // a new user of the same name, after the snapshot
  }
  Journal journal({dir.file("s")});
  UserStore store(*model, journal, {});
  store.recover();
  EXPECT_EQ(store.stats().users, 2u);
  store.with_user("gone", [](const StoredUser& u) {
    ASSERT_EQ(u.events.size(), 1u);
    EXPECT_EQ(u.events[0].time, stream_event(2, 0).time);
  });
}

TEST(UserStore, ConcurrentClientsLoseNothingAndOneUsersUpdatesSerialise) {
  auto model = small_served_model();
  TempDir dir;
  Journal journal({dir.file("s")});
  UserStoreOptions options;
  options.max_cached_states = 4;  // eviction races with use
  options.snapshot_every = 50;    // snapshots race with appends
  UserStore store(*model, journal, options);
  store.recover();
  constexpr int kThreads = 8, kEvents = 30;
  std::atomic<int> shared_acknowledged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int n = 0; n < kEvents; ++n) {
        store.append("own" + std::to_string(t), one(stream_event(t, n)));
        predict(store, *model, "own" + std::to_string(t));
        // Every thread also appends to one shared user; a time behind the last is refused (409).
        Event e = stream_event(0, n);
        e.time += 1e-4 * t;
        AppendRequest r = one(e);
        r.t_start = 0.0;  // whichever thread comes first, the window starts before every event
        try {
          store.append("shared", r);
          ++shared_acknowledged;
        } catch (const RequestError& refused) {
          EXPECT_EQ(refused.status(), 409);
        }
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    StoredUser expected{"own" + std::to_string(t), stream_event(t, 0).time, {}, {}};
    for (int n = 0; n < kEvents; ++n) expected.events.push_back(stream_event(t, n));
    auto reference = model->build_state(expected);
    EXPECT_EQ(predict(store, *model, expected.user), numbers(model->predict(*reference, kNow, 2))) << expected.user;
    store.with_user(expected.user, [&](const StoredUser& u) {
      ASSERT_EQ(u.events.size(), expected.events.size());
      for (std::size_t i = 0; i < u.events.size(); ++i) {
        EXPECT_EQ(u.events[i].time, expected.events[i].time) << i;
        EXPECT_EQ(u.events[i].type, expected.events[i].type) << i;
      }
      auto rebuilt = model->build_state(u);
      EXPECT_EQ(numbers(model->predict(*rebuilt, kNow, 2)), numbers(model->predict(*reference, kNow, 2))) << "rebuilt";
    });
  }
  store.with_user("shared", [&](const StoredUser& u) {
    EXPECT_EQ(static_cast<int>(u.events.size()), shared_acknowledged.load());
    for (std::size_t i = 1; i < u.events.size(); ++i) EXPECT_LE(u.events[i - 1].time, u.events[i].time);
  });
  // And the log, snapshots included, holds exactly what was acknowledged.
  store.snapshot();
  Journal reread({dir.file("s")});
  UserStore restarted(*model, reread, {});
  restarted.recover();
  EXPECT_EQ(restarted.stats().users, static_cast<std::size_t>(kThreads + 1));
  restarted.with_user("shared", [&](const StoredUser& u) {
    EXPECT_EQ(static_cast<int>(u.events.size()), shared_acknowledged.load());
  });
}

}  // namespace
}  // namespace tpp

namespace tpp {
namespace {

TEST(ServedModelThreads, StatesAdvancedOnSeveralThreadsMatchSerialOnes) {
  auto model = testing::small_served_model();
  constexpr int kThreads = 8, kEvents = 40, kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::vector<double>> parallel(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        StoredUser u{"t", testing::stream_event(t, 0).time, {}, {}};
        auto state = model->build_state(u);
        for (int n = 0; n < kEvents; ++n) {
          model->observe(*state, testing::stream_event(t, n));
          model->predict(*state, testing::kNow, 2);
        }
        parallel[t] = numbers(model->predict(*state, testing::kNow, 2));
      });
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) {
      StoredUser u{"t", testing::stream_event(t, 0).time, {}, {}};
      for (int n = 0; n < kEvents; ++n) u.events.push_back(testing::stream_event(t, n));
      auto serial = model->build_state(u);
      EXPECT_EQ(parallel[t], numbers(model->predict(*serial, testing::kNow, 2))) << "round " << round << " thread " << t;
    }
  }
}

}  // namespace
}  // namespace tpp
