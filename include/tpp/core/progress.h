#pragma once
// Progress lines of long runs (training epochs, evaluation and prediction batches).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <ostream>
#include <string>

namespace tpp {

// h:mm:ss, or "?" while unknown.
inline std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<long long>(std::llround(seconds));
  return fmt::format("{}:{:02d}:{:02d}", s / 3600, static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
}

// One line per batch of a pass over `total` sequences: done, events/s and ETA. Writes nothing
// when `out` is null (no TTY, --quiet, --json).
class BatchProgress {
 public:
  BatchProgress(std::ostream* out, std::string what, std::size_t total)
      : out_(out), what_(std::move(what)), total_(total), began_(std::chrono::steady_clock::now()) {}
  void update(std::size_t sequences, std::size_t events) {
    done_ += sequences;
    events_ += events;
    if (!out_) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
    const double eta = done_ > 0 ? seconds * static_cast<double>(total_ - done_) / static_cast<double>(done_) : -1;
    *out_ << fmt::format("{}: {}/{} sequences  {:.0f} events/s  ETA {}\n", what_, done_, total_,
                         seconds > 0 ? static_cast<double>(events_) / seconds : 0.0, format_duration(eta))
          << std::flush;
  }

 private:
  std::ostream* out_;
  std::string what_;
  std::size_t total_, done_{0}, events_{0};
  std::chrono::steady_clock::time_point began_;
};

}  // namespace tpp
