// AtomicOutput: a file reaches its name whole or not at all, and a failed write (here a full disk,
// made by a file size limit in a child process) is a tpp::Error that leaves the old file intact.
#include "tpp/core/atomic_output.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "../fault_support.h"
#include "../test_support.h"
#include "tpp/core/error.h"

namespace tpp {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace


TEST(AtomicOutput, WritesTheWholeFileAndNoTemporary) {
  testing::TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomically(path, "first\n");
  write_file_atomically(path, "second, longer\n");
  EXPECT_EQ(slurp(path), "second, longer\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(AtomicOutput, AnUncommittedOutputLeavesNothing) {
  testing::TempDir dir;
  const std::string path = dir.file("out.txt");
  {
    AtomicOutput out(path);
    out.stream() << "half of it";
  }  // e.g. an exception between the first row and commit
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(AtomicOutput, AFullDiskIsAnErrorAndKeepsTheOldFile) {
  testing::TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomically(path, "old\n");
  const std::string big(1 << 20, 'x');
  EXPECT_EQ(testing::run_with_file_size_limit(4096, [&] { write_file_atomically(path, big); }), 2);
  EXPECT_EQ(slurp(path), "old\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  // And no file at all where there was none.
  const std::string fresh = dir.file("fresh.txt");
  EXPECT_EQ(testing::run_with_file_size_limit(4096, [&] { write_file_atomically(fresh, big); }), 2);
  EXPECT_FALSE(std::filesystem::exists(fresh));
  EXPECT_FALSE(std::filesystem::exists(fresh + ".tmp"));
}

TEST(AtomicOutput, AFullDiskUnderATorchArchiveIsAnErrorNotAnAbort) {
  testing::TempDir dir;
  const std::string path = dir.file("m.tpp");
  EXPECT_EQ(testing::run_with_file_size_limit(4096,
                                              [&] {
                                                torch::serialize::OutputArchive archive;
                                                archive.write("w", torch::ones({100000}));
                                                write_archive_atomically(archive, path);
                                              }),
            2);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(AtomicOutput, ADeviceIsWrittenInPlace) {
  write_file_atomically("/dev/null", "nothing\n");  // no rename over a device
  EXPECT_TRUE(std::filesystem::exists("/dev/null"));
  EXPECT_FALSE(std::filesystem::exists("/dev/null.tmp"));
}

TEST(AtomicOutput, OutputPathsAreCheckedBeforeWork) {
  testing::TempDir dir;
  EXPECT_NO_THROW(check_output_path(dir.file("m.tpp"), "--output"));
  EXPECT_NO_THROW(check_output_path("relative-name.tpp", "--output"));
  try {
    check_output_path(dir.file("missing/m.tpp"), "--output");
    FAIL() << "a missing directory was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--output"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(dir.file("d"));
  EXPECT_THROW(check_output_path(dir.file("d"), "--output"), Error);
  EXPECT_THROW(AtomicOutput(dir.file("d")), Error);
  write_file_atomically(dir.file("plain"), "x");
  EXPECT_THROW(check_output_path(dir.file("plain/m.tpp"), "--output"), Error);  // parent is a file
}

}  // namespace tpp
