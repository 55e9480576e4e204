#include "tpp/core/atomic_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <torch/serialize/output-archive.h>

#include "tpp/core/error.h"

namespace tpp {

namespace fs = std::filesystem;

namespace {

std::string parent_directory(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// fsync through a descriptor of its own: std::ofstream exposes none, and fsync on any descriptor of
// a file forces that file's data to the disk.
bool sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

void check_output_path(const std::string& path, const std::string& option) {
  if (path.empty()) throw Error(option + ": empty path");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error(option + ": " + path + " is a directory, not a file");
  const std::string dir = parent_directory(path);
  if (!fs::exists(dir, ec)) throw Error(option + ": " + path + ": directory " + dir + " does not exist");
  if (!fs::is_directory(dir, ec)) throw Error(option + ": " + path + ": " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK) != 0) throw Error(option + ": " + path + ": directory " + dir + " is not writable");
}

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (fs::is_directory(path_, ec)) throw Error(path_ + ": cannot write: it is a directory");
  // A device or pipe (/dev/stdout, a FIFO) cannot be replaced by a rename: it is written in place,
  // still checked on commit.
  if (fs::exists(path_, ec) && !fs::is_regular_file(path_, ec)) {
    direct_ = true;
    out_.open(path_, std::ios::binary);
    if (!out_) throw Error(path_ + ": cannot write: " + std::strerror(errno));
    return;
  }
  temporary_ = path_ + ".tmp";
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    const std::string why = std::strerror(errno);
    throw Error(path_ + ": cannot write: " + why);
  }
}

AtomicOutput::~AtomicOutput() {
  if (committed_ || direct_) return;
  out_.close();
  std::error_code ignored;
  fs::remove(temporary_, ignored);
}

void AtomicOutput::fail(const std::string& why) {
  out_.close();
  std::error_code ignored;
  if (!direct_) fs::remove(temporary_, ignored);
  committed_ = true;  // nothing left to clean up
  throw Error(path_ + ": cannot write: " + why);
}

void AtomicOutput::commit() {
  if (committed_) throw Error(path_ + ": written twice");
  // errno still holds the failed write's reason (EFBIG, ENOSPC) when the stream failed.
  out_.flush();
  if (!out_) fail(errno ? std::strerror(errno) : "write failed");
  out_.close();
  if (!out_) fail(errno ? std::strerror(errno) : "write failed");
  if (direct_) {
    committed_ = true;
    return;
  }
  if (!sync_path(temporary_, O_RDONLY)) fail(std::string("fsync failed: ") + std::strerror(errno));
  std::error_code ec;
  fs::rename(temporary_, path_, ec);
  if (ec) fail(ec.message());
  committed_ = true;
  // The rename itself is durable once the directory is synced; a directory that refuses fsync
  // (some network file systems) still holds the whole file under its name, so that is not an error.
  sync_path(parent_directory(path_), O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  AtomicOutput out(path);
  out.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.commit();
}

void write_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, std::size_t size) -> std::size_t {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  write_file_atomically(path, bytes);
}

}  // namespace tpp
