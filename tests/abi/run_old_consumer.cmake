# Script mode: runs CONSUMER (built against the previous release's headers) against the
# library in LIB, then against the grown library in GROWN; both must pass every check and
# print the same figures.
function(run_against dir var)
  set(ENV{LD_LIBRARY_PATH} ${dir})
  execute_process(COMMAND ${CONSUMER} ${SYSROOT} ${CONFIG} ${dir}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the old consumer failed (${rc}) against ${dir}:\n${out}\n${err}")
  endif()
  set(${var} "${out}" PARENT_SCOPE)
endfunction()
run_against(${LIB} a)
run_against(${GROWN} b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "the old consumer saw other figures with the grown library:\n"
                      "--- ${LIB}\n${a}\n--- ${GROWN}\n${b}")
endif()
if(NOT a MATCHES "plan: [1-9][0-9]* blocks")
  message(FATAL_ERROR "the old consumer printed no plan:\n${a}")
endif()
message(STATUS "old consumer, same figures with both libraries:\n${a}")
