list(APPEND TPP_TESTS
  tests/distributed/data_parallel_test.cpp
  tests/distributed/process_group_test.cpp
  tests/distributed/distributed_training_test.cpp
)
