#pragma once
// Every file tpp writes reaches its final name whole or not at all. Bytes go to a temporary file
// beside the final one; on commit it is flushed, checked, fsynced and renamed over the final name.
// Any failure (full disk, file size limit, missing directory) removes the temporary file and throws
// a tpp::Error naming the final path, so a fault never leaves a truncated or empty file under that
// name and never ends the process with anything but a reported error.
#include <fstream>
#include <string>

namespace torch::serialize {
class OutputArchive;
}

namespace tpp {

// Refuses before any work starts an output path that cannot be created: its directory is missing
// or not a directory, or the path itself names a directory. `option` names the path in the error
// (e.g. "--output").
void check_output_path(const std::string& path, const std::string& option);

class AtomicOutput {
 public:
  explicit AtomicOutput(std::string path);
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput();  // removes the temporary file unless committed

  std::ostream& stream() { return out_; }
  // Flushes, checks every write, fsyncs and renames into place. Throws tpp::Error on failure.
  void commit();
  const std::string& path() const { return path_; }

 private:
  void fail(const std::string& why);
  std::string path_, temporary_;
  std::ofstream out_;
  bool committed_{false};
  bool direct_{false};  // a device or pipe, written in place
};

// The whole of `bytes` as the file `path`, through AtomicOutput.
void write_file_atomically(const std::string& path, const std::string& bytes);

// A torch archive serialised in memory first, then written through AtomicOutput: LibTorch's own
// file writer reports a failed write from a destructor, which aborts the process.
void write_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace tpp
