#include "tpp/cli/convert.h"

#include <iostream>

#include "tpp/cli/command.h"
#include "tpp/core/atomic_output.h"
#include "tpp/data/event_store.h"
#include "tpp/data/io.h"
#include "tpp/data/store_conversion.h"

namespace tpp {

namespace {

// Event log to store in bounded memory; what the in-memory path would print, from the report.
int convert_streaming(const ConvertOptions& o) {
  StoreConversionOptions options;
  options.format = parse_format(o.reader.from);
  if (!o.reader.schema.empty()) options.schema = read_schema(o.reader.schema);
  options.drop_invalid = o.reader.drop_invalid;
  options.chunk_rows = o.chunk_rows;
  ReadReport report;
  const StoreConversionReport r = convert_to_store(o.input, o.output, options, &report);
  if (!o.schema_out.empty()) write_schema(EventStore(o.output).schema(), o.schema_out);
  if (o.json) {
    nlohmann::json j = {{"input", o.input},          {"output", o.output},         {"format", "store"},
                        {"sequences", r.sequences},   {"events", r.events},         {"rows_dropped", report.rows_dropped},
                        {"sequences_dropped", report.sequences_dropped},           {"lost", nlohmann::json::array()},
                        {"sorted_runs", r.runs},      {"max_rows_held", r.max_rows_held}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "wrote " << r.sequences << " sequences, " << r.events << " events to " << o.output << " (store; "
              << r.runs << " sorted run" << (r.runs == 1 ? "" : "s") << ")";
    if (report.total_dropped() > 0) std::cout << "; dropped " << report.rows_dropped << " rows";
    std::cout << "\n";
  }
  for (const auto& reason : report.reasons) std::cerr << "tpp convert: dropped: " << reason << "\n";
  return 0;
}

}  // namespace

int run_convert(const ConvertOptions& o) {
  check_output_path(o.output, "output");
  if (!o.users_out.empty()) check_output_path(o.users_out, "--users-out");
  if (!o.schema_out.empty()) check_output_path(o.schema_out, "--schema-out");
  const Format target_format = parse_format(o.to) == Format::Auto ? detect_format(o.output) : parse_format(o.to);
  const Format source_format = parse_format(o.reader.from) != Format::Auto ? parse_format(o.reader.from)
                               : is_event_store(o.input)                   ? Format::Store
                                                                           : detect_format(o.input);
  if (target_format == Format::Store && (source_format == Format::Csv || source_format == Format::Jsonl) &&
      o.reader.users.empty() && o.users_out.empty() && o.reader.split.empty())
    return convert_streaming(o);
  ReadReport report;
  Dataset data = read_dataset(o.input, o.reader.read_options(), &report);

  WriteOptions write;
  write.format = parse_format(o.to);
  write.users = o.users_out;
  write.schema = o.schema_out;
  const Format target = write.format == Format::Auto ? detect_format(o.output) : write.format;
  auto lost = lost_in_format(data, target, !o.users_out.empty());
  write_dataset(data, o.output, write);

  for (const auto& what : lost) std::cerr << "tpp convert: note: " << format_name(target) << " output drops " << what << "\n";
  if (o.json) {
    nlohmann::json j = {{"input", o.input},       {"output", o.output},
                        {"format", format_name(target)},
                        {"sequences", data.sequences.size()}, {"events", data.num_events()},
                        {"rows_dropped", report.rows_dropped}, {"sequences_dropped", report.sequences_dropped},
                        {"lost", lost}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "wrote " << data.sequences.size() << " sequences, " << data.num_events() << " events to " << o.output
              << " (" << format_name(target) << ")";
    if (report.total_dropped() > 0)
      std::cout << "; dropped " << report.rows_dropped << " rows and " << report.sequences_dropped << " sequences";
    std::cout << "\n";
  }
  for (const auto& r : report.reasons) std::cerr << "tpp convert: dropped: " << r << "\n";
  return 0;
}

void add_convert(CLI::App& app, CommandAction& action) {
  auto opts = std::make_shared<ConvertOptions>();
  auto* cmd = app.add_subcommand("convert", "translate event data between formats (csv, jsonl, easytpp, rmtpp, store)");
  cmd->add_option("input", opts->input, "input file (RMTPP: either file of the pair)")->required();
  cmd->add_option("output", opts->output, "output file (RMTPP: time-*.txt or event-*.txt)")->required();
  add_reader_options(*cmd, opts->reader);
  cmd->add_option("--threads", opts->threads, "CPU threads (accepted like the modelling verbs'; reading uses one)")
      ->check(non_negative_number());
  cmd->add_option("--to", opts->to, "output format (default: from the name): csv, jsonl, easytpp, rmtpp, store");
  cmd->add_option("--chunk-rows", opts->chunk_rows, "store from an event log: rows sorted in memory at once")
      ->capture_default_str()
      ->check(positive_number());
  cmd->add_option("--users-out", opts->users_out, "also write a users file");
  cmd->add_option("--schema-out", opts->schema_out, "also write the schema JSON");
  cmd->add_flag("--json", opts->json, "summary as JSON");
  cmd->callback([opts, &action] { action = [opts] { return run_convert(*opts); }; });
}

}  // namespace tpp
