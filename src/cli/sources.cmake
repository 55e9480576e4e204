list(APPEND TPP_SOURCES
  src/cli/command.cpp
)
