# Script mode: SRC (source tree), BIN (build tree), WORK (scratch folder), CC (the build's
# compiler), SAN (the build's sanitizers, if any: the consumer must use them too).
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BIN} --prefix ${prefix})

# The C example is the README's own code block, so the README cannot drift from the API.
file(READ ${SRC}/README.md readme)
string(REGEX MATCH "```c\n(.*)\n```" _ "${readme}")
if(NOT CMAKE_MATCH_1)
  message(FATAL_ERROR "README.md has no ```c block")
endif()
file(WRITE ${WORK}/consumer/example.c "${CMAKE_MATCH_1}\n")
file(COPY ${SRC}/tests/install/consumer/CMakeLists.txt DESTINATION ${WORK}/consumer)

set(sanflags "")
if(SAN)
  set(sanflags "-fsanitize=${SAN}")
endif()
run(${CMAKE_COMMAND} -S ${WORK}/consumer -B ${WORK}/consumer-build -DCMAKE_C_COMPILER=${CC}
    -DCMAKE_PREFIX_PATH=${prefix} "-DCMAKE_C_FLAGS=-Werror ${sanflags}"
    "-DCMAKE_EXE_LINKER_FLAGS=${sanflags}")
run(${CMAKE_COMMAND} --build ${WORK}/consumer-build)
set(ENV{MEMBUDGET_BACKENDS} cpu)
run(${WORK}/consumer-build/example)
if(NOT last_out MATCHES "Memory profiling takes [0-9.]+ seconds\\. Total non KV cache memory")
  message(FATAL_ERROR "the example printed no profiling result:\n${last_out}")
endif()
if(NOT last_out MATCHES "profiling on cpu:[0-9]+ .*; the host has [0-9]+ NUMA nodes")
  message(FATAL_ERROR "the example printed no device (a growing struct, MB_DEVICE_INFO_INIT):\n${last_out}")
endif()
if(NOT last_out MATCHES "KV cache on an 80 GiB GPU: [0-9.]+ GiB")
  message(FATAL_ERROR "the example printed no KV budget (membudget/vllm.h):\n${last_out}")
endif()

# pkg-config: the same example, compiled by hand against the installed .pc file.
file(GLOB pcdir ${prefix}/lib*/pkgconfig)
set(ENV{PKG_CONFIG_PATH} ${pcdir})
run(pkg-config --cflags --libs membudget)
string(STRIP "${last_out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
file(GLOB libdir ${prefix}/lib*)
run(${CC} -std=c11 -Wall -Werror ${sanflags} ${WORK}/consumer/example.c ${flags}
    -Wl,-rpath,${libdir}
    -o ${WORK}/example-pc)
run(${WORK}/example-pc)
message(STATUS "install, find_package and pkg-config: ok")
