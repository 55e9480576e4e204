list(APPEND TPP_SOURCES
  src/policy/atomic_file.cpp
  src/policy/action_log.cpp
  src/policy/user_model.cpp
  src/policy/simulator.cpp
  src/policy/policy_config.cpp
  src/policy/policy.cpp
  src/policy/evaluation.cpp
)
