// tpp: marked temporal point processes. Parses, dispatches, reports errors.
#include <iostream>
#include <string>

#include "tpp/cli/command.h"
#include "tpp/cli/launch.h"
#include "tpp/cli/policy.h"
#include "tpp/core/allocator.h"
#include "tpp/core/error.h"

int main(int argc, char** argv) {
  tpp::keep_large_blocks_in_heap();
  CLI::App app{"tpp: marked temporal point processes (simulate, fit, evaluate, predict)"};
  app.set_version_flag("--version", std::string("tpp ") + TPP_VERSION);
  // --version alone needs no verb; any other use does.
  app.require_subcommand(0, 1);
  tpp::CommandAction action;
  tpp::add_convert(app, action);
  tpp::add_inspect(app, action);
  tpp::add_simulate(app, action);
  tpp::add_evaluate(app, action);
  tpp::add_predict(app, action);
  tpp::add_train(app, action);
  tpp::add_generate(app, action);
  tpp::add_serve(app, action);
  tpp::add_policy(app, action);
  tpp::add_launch(app, action);
  // A first argument that is neither an option nor a verb is a mistyped verb: name the verbs.
  std::string verbs;
  bool known = argc < 2 || argv[1][0] == '-';
  for (const CLI::App* verb : app.get_subcommands([](CLI::App*) { return true; })) {
    verbs += (verbs.empty() ? "" : ", ") + verb->get_name();
    known = known || verb->get_name() == argv[1];
  }
  if (!known) {
    std::cerr << "tpp: error: unknown command '" << argv[1] << "'; commands: " << verbs << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version exit 0; a command line CLI11 rejects is bad input like any other (exit 2).
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!action) {
    std::cerr << app.help() << "tpp: error: a command is required: " << verbs << "\n";
    return 2;
  }
  try {
    return action();
  } catch (const tpp::Error& e) {
    std::cerr << "tpp: error: " << e.what() << "\n";
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "tpp: internal error: " << e.what_without_backtrace() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "tpp: internal error: " << e.what() << "\n";
    return 3;
  }
}
