// tpp_fuzz: a seeded mutation fuzzer over every reader of user files. Each input is a valid file of
// tests/fuzz/corpus/<format>/ changed by a few mutations (byte flips, inserts, deletes, splices,
// numbers no double holds, hexadecimal, NaN, huge counts, invalid UTF-8, NUL); the real entry point
// reads it in-process and the outcome is classified:
//   ok          the input was read
//   located     a tpp::DataError naming the file and a line or a field (what a user can act on)
//   unlocated   any other tpp::Error, or a DataError with neither line nor a specific field
//   internal    any other exception (what `tpp` reports as "internal error", exit code 3)
//   crash/hang  a signal or an input running past --timeout seconds (the input is saved first)
// Exit code 0 only when no input was internal, unlocated, a crash or a hang. docs/reliability.md.
//
//   tpp_fuzz --corpus tests/fuzz/corpus [--inputs N] [--seed S] [--format csv,jsonl,...] [--out DIR]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/cli/command.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/models/registry.h"
#include "tpp/train/fit.h"

namespace fs = std::filesystem;

namespace {

// ---- what the signal handlers save: the input being read, as raw bytes ----
const char* g_input = nullptr;
std::size_t g_input_size = 0;
char g_crash_path[4096] = {0};

void save_and_exit(int code) {
  if (g_input && g_crash_path[0]) {
    const int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      std::size_t done = 0;
      while (done < g_input_size) {
        const ssize_t n = ::write(fd, g_input + done, g_input_size - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      ::close(fd);
    }
  }
  const char* msg = code == 98 ? "tpp_fuzz: hang, input saved in " : "tpp_fuzz: crash, input saved in ";
  (void)!::write(2, msg, std::strlen(msg));
  (void)!::write(2, g_crash_path, std::strlen(g_crash_path));
  (void)!::write(2, "\n", 1);
  ::_exit(code);
}

void on_crash(int) { save_and_exit(99); }
void on_alarm(int) { save_and_exit(98); }

// ---- mutations ----
const std::vector<std::string> kNumbers = {
    "1e309", "-1e309", "1e308", "-1e308", "-1", "0", "-0", "0x10", "0X1p3", "NaN", "nan", "inf", "-inf", "Infinity",
    "2e9", "2000000000", "4294967296", "9223372036854775808", "99999999999999999999999", "1.5", "-2.5", "1e-400",
    "4.9e-324", "1.7976931348623157e308", "00012", "+3", ".5", "5.", "1e", "--1", "1,5", "\"\"", "null", "true", "[]",
    "{}", "\"\\u0000\"", "\"\\ud800\"", "100000", "100001"};
const std::vector<std::string> kBytes = {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", std::string(1, '\0'),
                                         "\r", "\n", "\"", ",", "\t", "{", "}", "[", "]", ":", "\\", "\x1b[31m"};

class Mutator {
 public:
  Mutator(std::uint64_t seed, const std::vector<std::string>& corpus) : rng_(seed), corpus_(corpus) {}

  std::string mutate(std::string s) {
    const int rounds = 1 + static_cast<int>(pick(4));
    for (int r = 0; r < rounds; ++r) {
      switch (pick(10)) {
        case 0: flip_bit(s); break;
        case 1: insert(s, std::string(1, static_cast<char>(pick(256)))); break;
        case 2: erase_range(s); break;
        case 3: duplicate_range(s); break;
        case 4: splice(s); break;
        case 5: case 6: replace_number(s); break;
        case 7: insert(s, kBytes[pick(kBytes.size())]); break;
        case 8: if (!s.empty()) s.resize(pick(s.size())); break;  // truncated file
        default: swap_lines(s); break;
      }
    }
    return s;
  }
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

 private:
  void flip_bit(std::string& s) {
    if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
  }
  void insert(std::string& s, const std::string& what) { s.insert(pick(s.size() + 1), what); }
  void erase_range(std::string& s) {
    if (s.empty()) return;
    const std::size_t at = pick(s.size());
    s.erase(at, 1 + pick(std::min<std::size_t>(16, s.size() - at)));
  }
  void duplicate_range(std::string& s) {
    if (s.empty()) return;
    const std::size_t at = pick(s.size());
    const std::string part = s.substr(at, 1 + pick(64));
    const int copies = pick(8) == 0 ? 200 : 1;  // sometimes many lines or elements
    std::string repeated;
    for (int i = 0; i < copies; ++i) repeated += part;
    s.insert(pick(s.size() + 1), repeated);
  }
  void splice(std::string& s) {
    const std::string& other = corpus_[pick(corpus_.size())];
    if (other.empty()) return;
    const std::size_t from = pick(other.size());
    s.insert(pick(s.size() + 1), other.substr(from, 1 + pick(80)));
  }
  // A number token (digits with sign, dot, exponent) replaced by an awkward value.
  void replace_number(std::string& s) {
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (std::size_t i = 0; i < s.size();) {
      if (std::isdigit(static_cast<unsigned char>(s[i]))) {
        std::size_t b = i;
        if (b > 0 && s[b - 1] == '-') --b;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == 'e' ||
                                s[i] == 'E' || s[i] == '+' || s[i] == '-'))
          ++i;
        spans.emplace_back(b, i - b);
      } else {
        ++i;
      }
    }
    const std::string& value = kNumbers[pick(kNumbers.size())];
    if (spans.empty()) return insert(s, value);
    const auto [at, len] = spans[pick(spans.size())];
    s.replace(at, len, value);
  }
  void swap_lines(std::string& s) {
    std::vector<std::string> lines;
    std::stringstream in(s);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    if (lines.size() < 2) return;
    std::swap(lines[pick(lines.size())], lines[pick(lines.size())]);
    s.clear();
    for (const auto& l : lines) s += l + "\n";
  }

  std::mt19937_64 rng_;
  const std::vector<std::string>& corpus_;
};

// ---- targets: the real entry point of each kind of user file ----
struct Target {
  std::string name;
  std::string file_name;  // the mutated input's name (its extension chooses the reader)
  std::function<void(const std::string& dir, const std::string& path)> read;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<Target> targets() {
  std::vector<Target> t;
  auto dataset = [](const std::string&, const std::string& path) { tpp::read_dataset(path); };
  t.push_back({"csv", "events.csv", dataset});
  t.push_back({"jsonl", "events.jsonl", dataset});
  t.push_back({"easytpp", "events.json", dataset});
  // The mutated file is either file of an RMTPP pair; its valid partner is written beside it.
  t.push_back({"rmtpp", "time-x.txt", dataset});
  t.push_back({"schema", "schema.json", [](const std::string&, const std::string& path) { tpp::read_schema(path); }});
  t.push_back({"users", "users.jsonl", [](const std::string& dir, const std::string& path) {
                 tpp::ReadOptions options;
                 options.users = path;
                 tpp::read_dataset(dir + "/companion.jsonl", options);
               }});
  t.push_back({"config", "config.json", [](const std::string&, const std::string& path) {
                 const tpp::FitConfig fit = tpp::FitConfig::from_json(tpp::read_json_argument(path, "model config"), 1, path);
                 tpp::Schema schema;
                 schema.num_action_types = 2;
                 schema.action_names = {"a", "b"};
                 tpp::ModelRegistry::instance().create(fit.model, schema);
               }});
  return t;
}

enum Outcome { Ok, Located, Unlocated, Internal, kOutcomes };
const char* kOutcomeNames[] = {"ok", "located", "unlocated", "internal"};

// A DataError names its file, and within it a line, or a field other than the whole document
// ("schema", "json", "" say only "somewhere in here"). Whole-file facts ("empty file") use "file".
bool located(const tpp::DataError& e) {
  if (e.file().empty()) return false;
  if (e.line() > 0) return true;
  return !e.field().empty() && e.field() != "schema" && e.field() != "json";
}

Outcome classify(const Target& target, const std::string& dir, const std::string& path, std::string& message) {
  try {
    target.read(dir, path);
    return Ok;
  } catch (const tpp::DataError& e) {
    message = e.what();
    return located(e) ? Located : Unlocated;
  } catch (const tpp::Error& e) {
    message = e.what();
    // A model config's errors name the config and the key ("model config for \"thp\": \"d_model\" ...").
    if (target.name == "config" && message.find('"') != std::string::npos) return Located;
    return Unlocated;
  } catch (const std::exception& e) {
    message = e.what();
    return Internal;
  } catch (...) {
    message = "unknown exception";
    return Internal;
  }
}

std::vector<std::string> read_corpus(const std::string& dir) {
  std::vector<std::string> files;
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir)) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());  // the same order, so the same seed gives the same inputs
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back(ss.str());
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus_dir = std::string(TPP_SOURCE_DIR) + "/tests/fuzz/corpus", out_dir, formats;
  std::uint64_t inputs = 1000, seed = 1;
  unsigned timeout = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--corpus") corpus_dir = value;
    else if (key == "--inputs") inputs = std::stoull(value);
    else if (key == "--seed") seed = std::stoull(value);
    else if (key == "--format") formats = "," + value + ",";
    else if (key == "--out") out_dir = value;
    else if (key == "--timeout") timeout = static_cast<unsigned>(std::stoul(value));
    else {
      std::cerr << "tpp_fuzz: unknown option " << key << "\n";
      return 2;
    }
  }
  char work_template[] = "/tmp/tpp_fuzz.XXXXXX";
  const char* made = ::mkdtemp(work_template);
  if (!made) {
    std::perror("tpp_fuzz: mkdtemp");
    return 2;
  }
  const std::string work = made;
  if (out_dir.empty()) out_dir = work + "/findings";
  fs::create_directories(out_dir);
  // Events for the users target: users a, b and c of the users corpus, two features each.
  fs::create_directories(work + "/users");
  write_bytes(work + "/users/companion.jsonl",
              "{\"user\":\"a\",\"time\":1,\"type\":\"x\"}\n{\"user\":\"a\",\"time\":2,\"type\":\"y\"}\n"
              "{\"user\":\"b\",\"time\":5,\"type\":\"x\"}\n{\"user\":\"c\",\"time\":5.5,\"type\":\"y\"}\n");
  // A model config may ask for an enormous model: a bounded address space makes that allocation
  // fail at once instead of exhausting the machine.
  rlimit memory{std::size_t{6} << 30, std::size_t{6} << 30};
  ::setrlimit(RLIMIT_AS, &memory);
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_crash);
  std::signal(SIGALRM, on_alarm);

  bool clean = true;
  nlohmann::json summary = nlohmann::json::object();
  for (std::size_t t = 0; t < targets().size(); ++t) {
    const Target target = targets()[t];
    if (!formats.empty() && formats.find("," + target.name + ",") == std::string::npos) continue;
    const auto corpus = read_corpus(corpus_dir + "/" + target.name);
    if (corpus.empty()) {
      std::cerr << "tpp_fuzz: empty corpus for " << target.name << "\n";
      return 2;
    }
    std::vector<std::pair<std::string, std::string>> pairs;  // RMTPP: each corpus pair as (time, event)
    if (target.name == "rmtpp") {
      std::vector<fs::path> names;
      for (const auto& entry : fs::directory_iterator(corpus_dir + "/rmtpp")) names.push_back(entry.path());
      std::sort(names.begin(), names.end());
      for (const auto& p : names) {
        const std::string base = p.filename().string();
        if (base.rfind("time", 0) != 0) continue;
        std::ifstream a(p), b(p.parent_path() / ("event" + base.substr(4)));
        std::stringstream sa, sb;
        sa << a.rdbuf();
        sb << b.rdbuf();
        pairs.emplace_back(sa.str(), sb.str());
      }
    }
    Mutator mutator(seed * 1000003 + t, corpus);
    std::uint64_t counts[kOutcomes] = {0, 0, 0, 0};
    std::map<std::string, std::uint64_t> examples;  // message -> count, first ones kept
    const std::string dir = work + "/" + target.name;
    fs::create_directories(dir);
    const std::string path = dir + "/" + target.file_name;
    std::snprintf(g_crash_path, sizeof g_crash_path, "%s/signal-or-hang-%s", out_dir.c_str(), target.name.c_str());
    for (std::uint64_t n = 0; n < inputs; ++n) {
      std::string input, partner_path, partner;
      if (target.name == "rmtpp") {
        const auto& pair = pairs[mutator.pick(pairs.size())];
        const bool mutate_time = mutator.pick(2) == 0;
        input = mutator.mutate(mutate_time ? pair.first : pair.second);
        partner = mutate_time ? pair.second : pair.first;
        write_bytes(dir + "/time-x.txt", mutate_time ? input : partner);
        write_bytes(dir + "/event-x.txt", mutate_time ? partner : input);
      } else {
        input = mutator.mutate(corpus[mutator.pick(corpus.size())]);
        write_bytes(path, input);
      }
      g_input = input.data();
      g_input_size = input.size();
      ::alarm(timeout);
      std::string message;
      const Outcome outcome = classify(target, dir, path, message);
      ::alarm(0);
      ++counts[outcome];
      if (outcome == Unlocated || outcome == Internal) {
        const std::string key = std::string(kOutcomeNames[outcome]) + ": " + message.substr(0, 300);
        if (examples[key]++ == 0 && examples.size() <= 50)
          write_bytes(out_dir + "/" + target.name + "-" + kOutcomeNames[outcome] + "-" + std::to_string(n), input);
      }
    }
    g_input = nullptr;
    nlohmann::json row = {{"inputs", inputs}};
    for (int o = 0; o < kOutcomes; ++o) row[kOutcomeNames[o]] = counts[o];
    summary[target.name] = row;
    std::cout << target.name << ": " << row.dump() << std::endl;
    std::size_t shown = 0;
    for (const auto& [message, count] : examples)
      if (shown++ < 10) std::cout << "  " << count << " x " << message << std::endl;
    clean = clean && counts[Unlocated] == 0 && counts[Internal] == 0;
  }
  std::cout << summary.dump() << "\n";
  // The inputs themselves go; the findings stay when there are any.
  std::error_code ignored;
  for (const auto& target : targets()) fs::remove_all(work + "/" + target.name, ignored);
  if (clean) fs::remove_all(out_dir, ignored);
  fs::remove(work, ignored);  // only when empty
  if (!clean) std::cout << "inputs kept in " << out_dir << "\n";
  return clean ? 0 : 1;
}
