list(APPEND TPP_SOURCES
  src/distributed/process_group.cpp
)
