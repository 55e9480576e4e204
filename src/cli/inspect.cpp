#include "tpp/cli/inspect.h"

#include <fmt/format.h>

#include <iostream>

#include "tpp/cli/command.h"
#include "tpp/data/event_store.h"
#include "tpp/data/io.h"
#include "tpp/data/summary.h"

namespace tpp {

namespace {

std::string stats_row(const char* label, const nlohmann::json& s) {
  return fmt::format("  {:<16} {:>12.6g} {:>12.6g} {:>12.6g} {:>12.6g}\n", label, s["min"].get<double>(),
                     s["mean"].get<double>(), s["median"].get<double>(), s["max"].get<double>());
}

std::string type_table(const char* title, const nlohmann::json& types, std::size_t total) {
  if (types.empty()) return "";
  std::string out = fmt::format("{}\n  {:>4}  {:<24} {:>10} {:>8}\n", title, "id", "name", "count", "share");
  for (const auto& t : types) {
    auto n = t["count"].get<std::size_t>();
    out += fmt::format("  {:>4}  {:<24} {:>10} {:>7.2f}%\n", t["id"].get<int>(), t["name"].get<std::string>(), n,
                       total ? 100.0 * static_cast<double>(n) / static_cast<double>(total) : 0.0);
  }
  return out;
}

}  // namespace

int run_inspect(const InspectOptions& o) {
  ReadReport report;
  const ReadOptions read = o.reader.read_options();
  const Format format = read.format != Format::Auto ? read.format : is_event_store(o.data) ? Format::Store : Format::Auto;
  // A store is summarised a piece at a time; anything else is read whole.
  Dataset data;
  nlohmann::json s;
  if (format == Format::Store && !read.schema && read.users.empty() && !read.drop_invalid && !read.sort) {
    const EventStore store(o.data);
    s = summarize(store);
    data.schema = store.schema();
  } else {
    data = read_dataset(o.data, read, &report);
    s = summarize(data);
  }
  s["dropped"] = {{"rows", report.rows_dropped}, {"sequences", report.sequences_dropped}, {"reasons", report.reasons}};
  if (o.json) {
    std::cout << s.dump(2) << "\n";
    return 0;
  }
  std::string out = fmt::format("{}\n", o.data);
  out += fmt::format("  sequences {:>10}   (empty {})\n", s["sequences"].get<std::size_t>(),
                     s["empty_sequences"].get<std::size_t>());
  out += fmt::format("  events    {:>10}\n", s["events"].get<std::size_t>());
  out += fmt::format("  actions   {:>10}   ({} types)\n", s["actions"].get<std::size_t>(), data.schema.num_action_types);
  out += fmt::format("  stimuli   {:>10}   ({} types, share {:.2f}%)\n", s["stimuli"].get<std::size_t>(),
                     data.schema.num_stimulus_types, 100.0 * s["stimulus_share"].get<double>());
  out += fmt::format("  window    [{:.6g}, {:.6g}]\n", s["window"]["min_start"].get<double>(),
                     s["window"]["max_end"].get<double>());
  if (data.schema.user_feature_dim || data.schema.event_meta_dim)
    out += fmt::format("  features  user {} / event meta {}\n", data.schema.user_feature_dim, data.schema.event_meta_dim);
  if (!s["categories"].empty()) {
    // Users per category, in id order, and how many have none (IPTW training needs every one).
    std::string list;
    std::size_t without = s["sequences"].get<std::size_t>();
    for (const auto& name : data.schema.category_names)
      if (s["categories"].contains(name)) {
        const auto n = s["categories"][name].get<std::size_t>();
        list += fmt::format("{}{} {}", list.empty() ? "" : ", ", name, n);
        without -= n;
      }
    out += fmt::format("  categories {}   ({} users without)\n", list, without);
  }
  if (report.total_dropped())
    out += fmt::format("  dropped   {} rows, {} sequences (--drop-invalid)\n", report.rows_dropped, report.sequences_dropped);
  out += fmt::format("\n  {:<16} {:>12} {:>12} {:>12} {:>12}\n", "", "min", "mean", "median", "max");
  out += stats_row("sequence length", s["sequence_length"]);
  out += stats_row("inter-event gap", s["gap"]);
  out += stats_row("window span", s["window_span"]);
  out += "\n" + type_table("action types", s["action_types"], s["actions"].get<std::size_t>());
  out += type_table("stimulus types", s["stimulus_types"], s["stimuli"].get<std::size_t>());
  std::cout << out;
  return 0;
}

void add_inspect(CLI::App& app, CommandAction& action) {
  auto opts = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "describe a data set: counts, types, lengths, gaps, windows");
  cmd->add_option("data", opts->data, "data file (RMTPP: either file of the pair)")->required();
  add_reader_options(*cmd, opts->reader);
  cmd->add_option("--threads", opts->threads, "CPU threads (accepted like the modelling verbs'; reading uses one)")
      ->check(non_negative_number());
  cmd->add_flag("--json", opts->json, "JSON output");
  cmd->callback([opts, &action] { action = [opts] { return run_inspect(*opts); }; });
}

}  // namespace tpp
