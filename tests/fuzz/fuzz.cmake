# tpp_fuzz: the seeded mutation fuzzer over every reader of user files (docs/reliability.md).
# `make test` runs it briefly (the fuzz_inputs test); `make fuzz` runs it for long.
add_executable(tpp_fuzz tests/fuzz/fuzz_inputs.cpp)
set_target_properties(tpp_fuzz PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_link_libraries(tpp_fuzz PRIVATE tpp_commands tpp_serve tpp)
if(TPP_PCH)
  target_precompile_headers(tpp_fuzz REUSE_FROM tpp)
endif()
add_test(NAME fuzz_inputs COMMAND tpp_fuzz --corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus --inputs 3000 --seed 1
         --format csv,jsonl,easytpp,rmtpp,schema,users,config)
# The Gatech pickle converter (tools/gatech_to_jsonl.py), fuzzed in Python.
add_test(NAME fuzz_gatech COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_gatech.py --inputs 3000 --seed 1)
