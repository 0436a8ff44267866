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
# A shared link needs no dependency's development files: pkg-config finds nothing but
# membudget.pc while the consumer is configured (a machine without libcjson-dev).
file(MAKE_DIRECTORY ${WORK}/no-pc)
set(ENV{PKG_CONFIG_LIBDIR} ${WORK}/no-pc)
run(${CMAKE_COMMAND} -S ${WORK}/consumer -B ${WORK}/consumer-build -DCMAKE_C_COMPILER=${CC}
    -DCMAKE_PREFIX_PATH=${prefix} "-DCMAKE_C_FLAGS=-Werror ${sanflags}"
    "-DCMAKE_EXE_LINKER_FLAGS=${sanflags}")
unset(ENV{PKG_CONFIG_LIBDIR})
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
set(ENV{PKG_CONFIG_LIBDIR} ${WORK}/no-pc) # only membudget.pc: no libcjson.pc, no hwloc.pc
run(pkg-config --cflags --libs membudget)
unset(ENV{PKG_CONFIG_LIBDIR})
string(STRIP "${last_out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
file(GLOB libdir ${prefix}/lib*)
run(${CC} -std=c11 -Wall -Werror ${sanflags} ${WORK}/consumer/example.c ${flags}
    -Wl,-rpath,${libdir}
    -o ${WORK}/example-pc)
run(${WORK}/example-pc)
# The installed command runs from its prefix with no LD_LIBRARY_PATH (RPATH $ORIGIN), and
# still after the whole tree is moved.
unset(ENV{LD_LIBRARY_PATH})
run(${prefix}/bin/membudget --version)
file(RENAME ${prefix} ${WORK}/moved)
run(${WORK}/moved/bin/membudget --version)
if(NOT last_out MATCHES "^membudget [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "the moved command printed no version:\n${last_out}")
endif()
# The README and docs/ are installed beside it.
foreach(f README.md docs/architecture.md docs/reliability.md)
  file(GLOB found ${WORK}/moved/share/doc/*/${f})
  if(NOT found)
    message(FATAL_ERROR "${f} was not installed under share/doc")
  endif()
endforeach()
message(STATUS "install, find_package, pkg-config, RPATH and docs: ok")
