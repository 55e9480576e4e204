#pragma once
// Files that appear whole or not at all: written to "<path>.tmp", flushed to disk (fsync), renamed
// over `path`, and the directory entry synced, so a crash never leaves a truncated model or log.
#include <functional>
#include <string>

namespace tpp {

// `write` fills the temporary file at the path it is given; then it is synced and renamed.
void write_atomically(const std::string& path, const std::function<void(const std::string& temporary)>& write);

}  // namespace tpp
