#include "tpp/policy/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "tpp/core/error.h"

namespace tpp {

namespace {
void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw Error(fmt::format("{}: cannot open to sync: {}", path, std::strerror(errno)));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0 && !(flags & O_DIRECTORY)) throw Error(fmt::format("{}: fsync failed: {}", path, std::strerror(errno)));
}
}  // namespace

void write_atomically(const std::string& path, const std::function<void(const std::string& temporary)>& write) {
  const std::string temporary = path + ".tmp";
  try {
    write(temporary);
    sync_path(temporary, O_RDONLY);
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  }
  auto dir = std::filesystem::path(path).parent_path().string();
  // Directories cannot always be opened for syncing (some file systems); the file itself is synced.
  try {
    sync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
  } catch (const Error&) {
  }
}

}  // namespace tpp
