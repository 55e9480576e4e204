// tpp: marked temporal point processes. Parses, dispatches, reports errors.
#include <iostream>

#include "tpp/cli/command.h"
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!action) {
    std::cerr << app.help() << "tpp: error: a verb is required (convert, inspect, simulate, evaluate, predict, "
                               "train, generate, serve, policy)\n";
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
