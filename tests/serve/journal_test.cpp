#include "tpp/serve/journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../test_support.h"
#include "tpp/core/error.h"

namespace tpp {
namespace {

using testing::TempDir;

JournalRecord append_record(const std::string& user, bool creates, std::vector<double> times) {
  JournalRecord r;
  r.user = user;
  r.creates = creates;
  r.t_start = 0.0;
  for (double t : times) r.events.push_back(Event{t, 1, false, {}, {}});
  return r;
}

struct Replayed {
  std::vector<StoredUser> users;
  std::vector<JournalRecord> records;
};

Replayed replay(Journal& journal) {
  Replayed out;
  journal.recover([&](StoredUser&& u) { out.users.push_back(std::move(u)); },
                  [&](JournalRecord&& r) { out.records.push_back(std::move(r)); });
  return out;
}

TEST(Journal, RecordsComeBackInOrderWithTheirFieldsAndLsns) {
  TempDir dir;
  {
    Journal j({dir.file("state")});
    replay(j);
    auto a = append_record("a", true, {0.5, 0.25000000000000006});
    a.features = {1.5f, -2.0f};
    a.events[1].is_stimulus = true;
    a.events[1].meta = {0.125f};
    j.append(a);
    JournalRecord d;
    d.kind = JournalRecord::Kind::Delete;
    d.user = "a";
    j.append(d);
    EXPECT_EQ(a.lsn, 1u);
    EXPECT_EQ(d.lsn, 2u);
  }
  Journal j({dir.file("state")});
  auto r = replay(j);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_TRUE(r.records[0].creates);
  EXPECT_EQ(r.records[0].features, (std::vector<float>{1.5f, -2.0f}));
  // Doubles survive the text log bit for bit.
  EXPECT_EQ(r.records[0].events[1].time, 0.25000000000000006);
  EXPECT_TRUE(r.records[0].events[1].is_stimulus);
  EXPECT_EQ(r.records[0].events[1].meta, (std::vector<float>{0.125f}));
  EXPECT_EQ(r.records[1].kind, JournalRecord::Kind::Delete);
  // Numbering continues after a restart.
  auto b = append_record("b", true, {1.0});
  j.append(b);
  EXPECT_EQ(b.lsn, 3u);
}

TEST(Journal, TornLastRecordIsCutAndEarlierCorruptionIsLocated) {
  TempDir dir;
  std::string segment;
  {
    Journal j({dir.file("state")});
    replay(j);
    auto a = append_record("a", true, {1.0});
    j.append(a);
    auto b = append_record("a", false, {2.0});
    j.append(b);
    for (const auto& e : std::filesystem::directory_iterator(dir.file("state"))) segment = e.path().string();
  }
  // A crash mid-write leaves a record without its line end: never acknowledged, cut on recovery.
  { std::ofstream(segment, std::ios::app) << R"({"lsn":3,"user":"a","events":[[3.0,)"; }
  {
    Journal j({dir.file("state")});
    auto r = replay(j);
    EXPECT_EQ(r.records.size(), 2u);
  }
  // A damaged line that is not the log's end is corruption: an error naming file and line.
  {
    std::ofstream out(segment, std::ios::trunc);
    out << R"({"lsn":1,"user":"a","t_start":0,"events":[[1.0,1,false]]})" << "\n"
        << "garbage\n"
        << R"({"lsn":2,"user":"a","events":[[2.0,1,false]]})" << "\n";
  }
  Journal j({dir.file("state")});
  try {
    replay(j);
    FAIL() << "corruption was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(segment + ":2:"), std::string::npos) << e.what();
  }
}

TEST(Journal, SnapshotSupersedesOlderSegmentsAndRecoveryReadsOnlyLaterRecords) {
  TempDir dir;
  {
    Journal j({dir.file("state"), FsyncPolicy::Always});
    replay(j);
    auto a = append_record("a", true, {1.0});
    j.append(a);
    const auto segment = j.rotate();
    auto b = append_record("a", false, {2.0});
    j.append(b);
    StoredUser u{"a", 0.0, {}, {Event{1.0, 1, false, {}, {}}}};
    j.write_snapshot(segment, {u});
    EXPECT_GE(j.syncs(), 1u);
  }
  int segments = 0, snapshots = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("state"))) {
    const auto name = e.path().filename().string();
    segments += name.rfind("wal-", 0) == 0;
    snapshots += name.rfind("snapshot-", 0) == 0;
  }
  EXPECT_EQ(segments, 1);  // the first segment went with the snapshot
  EXPECT_EQ(snapshots, 1);
  Journal j({dir.file("state")});
  auto r = replay(j);
  ASSERT_EQ(r.users.size(), 1u);
  EXPECT_EQ(r.users[0].events.size(), 1u);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].lsn, 2u);
  EXPECT_EQ(r.records[0].events[0].time, 2.0);
}

TEST(Journal, IntervalPolicySyncsInTheBackground) {
  TempDir dir;
  Journal j({dir.file("state"), FsyncPolicy::Interval, 5});
  replay(j);
  auto a = append_record("a", true, {1.0});
  j.append(a);
  for (int i = 0; i < 400 && j.syncs() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(j.syncs(), 1u);
  EXPECT_THROW(parse_fsync_policy("sometimes"), Error);
}

}  // namespace
}  // namespace tpp
