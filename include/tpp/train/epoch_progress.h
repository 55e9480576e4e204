#pragma once
// Progress inside one training epoch, for a terminal: a single line rewritten in place (batches
// done, events/s, time left in the epoch), at most once per `interval` seconds so that thousands of
// small batches cost nothing, and erased before the epoch's own summary line. Writes nothing when
// `out` is null (no TTY, --quiet, --json).
#include <fmt/format.h>

#include <chrono>
#include <ostream>
#include <string>

#include "tpp/core/progress.h"

namespace tpp {

class EpochProgress {
 public:
  EpochProgress(std::ostream* out, int epoch, int epochs, std::size_t batches, double interval = 1.0)
      : out_(out), epoch_(epoch), epochs_(epochs), batches_(batches), interval_(interval),
        began_(std::chrono::steady_clock::now()), last_(began_) {}
  ~EpochProgress() { finish(); }

  // After each batch, with the user actions it encoded.
  void update(double events) {
    ++done_;
    events_ += events;
    if (!out_) return;
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last_).count() < interval_) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - began_).count();
    const double left = seconds * static_cast<double>(batches_ - done_) / static_cast<double>(done_);
    // \r returns to the line's start and \x1b[K clears what a longer previous line left.
    *out_ << fmt::format("\repoch {}/{}: batch {}/{}  {:.0f} events/s  epoch ETA {}\x1b[K", epoch_, epochs_, done_,
                         batches_, seconds > 0 ? events_ / seconds : 0.0, format_duration(left))
          << std::flush;
    shown_ = true;
  }

  // Erases the line (once); the epoch's summary line then starts on a clean line.
  void finish() {
    if (out_ && shown_) *out_ << "\r\x1b[K" << std::flush;
    shown_ = false;
  }

 private:
  std::ostream* out_;
  int epoch_, epochs_;
  std::size_t batches_, done_{0};
  double interval_, events_{0.0};
  std::chrono::steady_clock::time_point began_, last_;
  bool shown_{false};
};

}  // namespace tpp
