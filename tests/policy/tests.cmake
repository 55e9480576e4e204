list(APPEND TPP_TESTS
  tests/policy/action_log_test.cpp
  tests/policy/user_model_test.cpp
  tests/policy/simulator_test.cpp
  tests/policy/policy_gradient_test.cpp
  tests/policy/policy_cli_test.cpp
)
