#include "tpp/cli/command.h"

#include <unistd.h>

#include <algorithm>
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
  cmd.add_option("--threads", o.threads, "CPU threads (0: the cores not already busy)")->capture_default_str()->check(non_negative_number());
  cmd.add_flag("--json", o.json, "machine-readable JSON on stdout");
  cmd.add_flag("-q,--quiet", o.quiet, "no progress output");
}

void add_tolerance_option(CLI::App& cmd, double& tolerance) {
  cmd.add_option("--tolerance", tolerance,
                 "relative accuracy of the next-event quadrature (looser is faster: 1e-6 suits metrics)")
      ->capture_default_str()
      ->check(CLI::Range(1e-15, 0.1));
}

void add_predictor_option(CLI::App& cmd, std::string& predictor) {
  cmd.add_option("--predictor", predictor,
                 "point predictions from the intensity (E[τ], argmax ∫λ_k S) or from the model's time and type "
                 "heads (THP, ExPERT)")
      ->capture_default_str()
      ->check(CLI::IsMember({"intensity", "heads"}));
}

namespace {
CLI::Validator number_check(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value) || !(allow_zero ? value >= 0 : value > 0))
          return std::string(allow_zero ? "must be zero or more" : "must be positive") + ", got " + input;
        return "";
      },
      allow_zero ? "NONNEGATIVE" : "POSITIVE");
}
}  // namespace

CLI::Validator positive_number() { return number_check(false); }
CLI::Validator non_negative_number() { return number_check(true); }

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
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e309
    // The line of a parse error; a number no double holds carries no position, so its token is found.
    std::size_t line = 0;
    std::size_t offset = std::string::npos;
    if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e)) {
      offset = parse->byte > 0 ? parse->byte - 1 : 0;
    } else {
      const std::string what = e.what();
      const std::size_t at = what.find("parsing '"), end = at == std::string::npos ? at : what.find('\'', at + 9);
      if (end != std::string::npos) offset = text.find(what.substr(at + 9, end - at - 9));
    }
    if (offset != std::string::npos)
      line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size())), '\n'));
    throw DataError(where, line, "json", std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace tpp
