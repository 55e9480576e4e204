#include "tpp/train/epoch_progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tpp {

TEST(EpochProgress, RewritesOneLineAndErasesIt) {
  std::ostringstream out;
  {
    EpochProgress progress(&out, 2, 5, 4, /*interval=*/0.0);
    progress.update(10);
    progress.update(10);
    const std::string line = out.str();
    EXPECT_NE(line.find("\repoch 2/5: batch 1/4"), std::string::npos) << line;
    EXPECT_NE(line.find("\repoch 2/5: batch 2/4"), std::string::npos) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos) << "one line, rewritten in place";
    progress.finish();
    EXPECT_EQ(out.str().substr(out.str().size() - 4), "\r\x1b[K");
  }
  const std::size_t after_finish = out.str().size();
  EXPECT_EQ(out.str().size(), after_finish) << "the destructor erases nothing twice";
}

TEST(EpochProgress, QuietWithoutATerminalOrWithinTheInterval) {
  EpochProgress silent(nullptr, 1, 1, 3, 0.0);
  silent.update(5);  // no stream: nothing to write to, nothing to crash on
  std::ostringstream out;
  {
    EpochProgress slow(&out, 1, 1, 3, /*interval=*/3600.0);
    slow.update(5);
    slow.update(5);
  }
  EXPECT_TRUE(out.str().empty()) << "an hour's interval shows nothing for a fast epoch";
}

}  // namespace tpp
