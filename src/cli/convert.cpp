#include "tpp/cli/convert.h"

#include <iostream>

#include "tpp/cli/command.h"
#include "tpp/core/atomic_output.h"
#include "tpp/data/io.h"

namespace tpp {

int run_convert(const ConvertOptions& o) {
  check_output_path(o.output, "output");
  if (!o.users_out.empty()) check_output_path(o.users_out, "--users-out");
  if (!o.schema_out.empty()) check_output_path(o.schema_out, "--schema-out");
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
  auto* cmd = app.add_subcommand("convert", "translate event data between formats (csv, jsonl, easytpp, rmtpp)");
  cmd->add_option("input", opts->input, "input file (RMTPP: either file of the pair)")->required();
  cmd->add_option("output", opts->output, "output file (RMTPP: time-*.txt or event-*.txt)")->required();
  add_reader_options(*cmd, opts->reader);
  cmd->add_option("--to", opts->to, "output format (default: from the name)");
  cmd->add_option("--users-out", opts->users_out, "also write a users file");
  cmd->add_option("--schema-out", opts->schema_out, "also write the schema JSON");
  cmd->add_flag("--json", opts->json, "summary as JSON");
  cmd->callback([opts, &action] { action = [opts] { return run_convert(*opts); }; });
}

}  // namespace tpp
