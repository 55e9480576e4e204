#pragma once
// Helpers for the data-layer tests: write a file, expect a located DataError, compare datasets.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <string>

#include "tpp/core/error.h"
#include "tpp/data/dataset.h"

namespace tpp::testing {

inline std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return path;
}

// Runs f, which must throw a DataError located at (file, line, field); the message must name them.
inline void expect_data_error(const std::function<void()>& f, const std::string& file, std::size_t line,
                              const std::string& field, const std::string& reason_part = "") {
  try {
    f();
    ADD_FAILURE() << "expected a DataError at " << file << ":" << line << ": " << field;
  } catch (const DataError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.file(), file) << msg;
    EXPECT_EQ(e.line(), line) << msg;
    EXPECT_EQ(e.field(), field) << msg;
    std::string where = line > 0 ? file + ":" + std::to_string(line) + ": " : file + ": ";
    EXPECT_NE(msg.find(where + field + ": "), std::string::npos) << msg;
    if (!reason_part.empty()) {
      EXPECT_NE(msg.find(reason_part), std::string::npos) << msg;
    }
  }
}

inline void expect_same_dataset(const Dataset& a, const Dataset& b, bool compare_users = true) {
  EXPECT_EQ(a.schema.num_action_types, b.schema.num_action_types);
  EXPECT_EQ(a.schema.num_stimulus_types, b.schema.num_stimulus_types);
  EXPECT_EQ(a.schema.action_names, b.schema.action_names);
  EXPECT_EQ(a.schema.stimulus_names, b.schema.stimulus_names);
  EXPECT_EQ(a.schema.affects, b.schema.affects);
  EXPECT_EQ(a.schema.user_feature_dim, b.schema.user_feature_dim);
  EXPECT_EQ(a.schema.event_meta_dim, b.schema.event_meta_dim);
  ASSERT_EQ(a.sequences.size(), b.sequences.size());
  for (std::size_t s = 0; s < a.sequences.size(); ++s) {
    const auto& x = a.sequences[s];
    const auto& y = b.sequences[s];
    if (compare_users) {
      EXPECT_EQ(x.user, y.user) << "sequence " << s;
      EXPECT_EQ(x.category, y.category) << "sequence " << s;
      EXPECT_EQ(x.features, y.features) << "sequence " << s;
    }
    EXPECT_EQ(x.t_start, y.t_start) << "sequence " << s;
    EXPECT_EQ(x.t_end, y.t_end) << "sequence " << s;
    ASSERT_EQ(x.events.size(), y.events.size()) << "sequence " << s;
    for (std::size_t i = 0; i < x.events.size(); ++i) {
      const auto& e = x.events[i];
      const auto& f = y.events[i];
      EXPECT_EQ(e.time, f.time) << s << "/" << i;
      EXPECT_EQ(e.type, f.type) << s << "/" << i;
      EXPECT_EQ(e.is_stimulus, f.is_stimulus) << s << "/" << i;
      EXPECT_EQ(e.text, f.text) << s << "/" << i;
      EXPECT_EQ(e.meta, f.meta) << s << "/" << i;
    }
  }
}

}  // namespace tpp::testing
