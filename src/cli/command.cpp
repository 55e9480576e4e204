#include "tpp/cli/command.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tpp/core/error.h"

namespace tpp {

Context CommonOptions::context() const {
  Context ctx;
  ctx.device = Context::parse_device(device);
  ctx.dtype = Context::parse_dtype(dtype);
  ctx.seed = seed;
  ctx.threads = threads;
  ctx.progress = !quiet && !json && isatty(STDERR_FILENO);
  return ctx;
}

void add_common_options(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--device", o.device, "cpu or cuda[:N]")->capture_default_str();
  cmd.add_option("--dtype", o.dtype, "float32 or float64")->capture_default_str();
  cmd.add_option("--seed", o.seed, "random seed")->capture_default_str();
  cmd.add_option("--threads", o.threads, "CPU threads (0: the cores not already busy)")->capture_default_str();
  cmd.add_flag("--json", o.json, "machine-readable JSON on stdout");
  cmd.add_flag("-q,--quiet", o.quiet, "no progress output");
}

void add_tolerance_option(CLI::App& cmd, double& tolerance) {
  cmd.add_option("--tolerance", tolerance,
                 "relative accuracy of the next-event quadrature (looser is faster: 1e-6 suits metrics)")
      ->capture_default_str()
      ->check(CLI::Range(1e-15, 0.1));
}

ReadOptions ReaderOptions::read_options() const {
  ReadOptions read;
  read.format = parse_format(from);
  read.users = users;
  if (!schema.empty()) read.schema = read_schema(schema);
  read.drop_invalid = drop_invalid;
  read.sort = sort;
  read.split = split;
  return read;
}

void add_reader_options(CLI::App& cmd, ReaderOptions& o) {
  cmd.add_option("--from", o.from, "input format (default: from the name): csv, jsonl, easytpp, rmtpp");
  cmd.add_option("--users", o.users, "users file (CSV or JSONL): category, window, features");
  cmd.add_option("--schema", o.schema, "schema JSON fixing type ids and names");
  cmd.add_option("--split", o.split, "EasyTPP input: key holding the sequences");
  cmd.add_flag("--drop-invalid", o.drop_invalid, "skip malformed rows/sequences, reporting them");
  cmd.add_flag("--sort", o.sort, "sort each user's events by time instead of rejecting disorder");
}

nlohmann::json read_json_argument(const std::string& arg, const std::string& what) {
  std::string text = arg;
  std::string where = what;
  if (arg.empty() || arg[0] != '{') {
    std::ifstream in(arg);
    if (!in) throw Error(arg + ": cannot open " + what);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    where = arg;
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
}

}  // namespace tpp
