list(APPEND TPP_TESTS)
list(APPEND TPP_TESTS tests/sim/ground_truth_test.cpp)
# TEST SCAFFOLDING (expertsim branch): a private thinning loop until src/sim/thinning.cpp is merged.
if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/src/sim/thinning.cpp)
  list(APPEND TPP_TESTS tests/sim/thinning_scaffold.cpp)
  target_sources(tpp_cli PRIVATE tests/sim/thinning_scaffold.cpp)
endif()
