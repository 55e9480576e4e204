list(APPEND TPP_TESTS
  tests/cli/verbs_test.cpp
  tests/cli/output_faults_test.cpp
  tests/cli/output_test.cpp
  tests/cli/store_cli_test.cpp
  tests/cli/generate_test.cpp
  tests/cli/expert_cli_test.cpp
  tests/cli/user_ids_cli_test.cpp
  tests/cli/iptw_cli_test.cpp
  tests/cli/intensity_free_cli_test.cpp
)
