#pragma once
// Helpers shared by the tests: hand-made datasets and the location of ../shared/data.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tpp/data/dataset.h"

namespace tpp::testing {

// ../shared/data beside the checkout; tests that need it skip when it is absent.
inline std::string shared_data_dir() {
  if (const char* env = std::getenv("TPP_SHARED_DATA")) return env;
  return std::string(TPP_SOURCE_DIR) + "/../shared/data";
}

#define TPP_REQUIRE_SHARED_DATA()                                                              \
  do {                                                                                          \
    if (!std::filesystem::exists(::tpp::testing::shared_data_dir()))                            \
      GTEST_SKIP() << "shared data not found at " << ::tpp::testing::shared_data_dir();         \
  } while (0)

// A dataset from (time, type) lists per sequence; window [0, t_end].
inline Dataset make_dataset(int num_types, const std::vector<std::vector<std::pair<double, int>>>& seqs,
                            const std::vector<double>& t_end) {
  Dataset d;
  d.schema.num_action_types = num_types;
  for (int k = 0; k < num_types; ++k) d.schema.action_names.push_back(std::to_string(k));
  for (std::size_t s = 0; s < seqs.size(); ++s) {
    Sequence seq;
    seq.user = "u" + std::to_string(s);
    seq.t_start = 0.0;
    seq.t_end = t_end[s];
    for (auto [t, k] : seqs[s]) seq.events.push_back(Event{t, k, false, {}, {}});
    d.sequences.push_back(seq);
  }
  return d;
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("tpp_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::error_code ec; std::filesystem::remove_all(path_, ec); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static int& counter() { static int c = 0; return c; }
  std::filesystem::path path_;
};

}  // namespace tpp::testing
