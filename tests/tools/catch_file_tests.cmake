# Writes a CTest file with one test per test source file of a Catch2 program
# (cmake -P, run after the program is linked; tests/CMakeLists.txt,
# vigil_catch_file_tests).
#
# One process per file instead of one per test case: the sanitizer build's
# programs take about half a second to start and exit, which over some 600
# test cases was minutes of CI time. A failure still names the test case and
# its file; run one case with the program and its name.
#
# Input (-D): EXE (the program), SPEC (Catch2 test spec: alternatives
# separated by commas), PREFIX (of the CTest names, before a space and the
# file name), WORKDIR, OUT (the CTest
# file), PROPS (more test properties: name|value|name|value...), COSTS
# (file=seconds|...: the files known to run long).
foreach(v EXE SPEC PREFIX WORKDIR OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "catch_file_tests.cmake: ${v} not set")
  endif()
endforeach()

# The files that hold selected test cases, and for each file the spec's
# alternatives that select some of them: with -# every case is tagged
# [#<file name>], and --list-tags counts only the cases a spec selects.
string(REPLACE "," ";" alternatives "${SPEC}")
set(files "")
foreach(alt ${alternatives})
  execute_process(COMMAND "${EXE}" "-#" --list-tags "${alt}"
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc WORKING_DIRECTORY "${WORKDIR}")
  if(rc LESS 0 OR NOT out MATCHES "Tags for matching test cases")
    message(FATAL_ERROR "${EXE} -# --list-tags '${alt}' failed (${rc}):\n${out}${err}")
  endif()
  string(REGEX MATCHALL "\\[#[A-Za-z0-9_.-]+\\]" tags "${out}")
  foreach(tag ${tags})
    string(REGEX REPLACE "^\\[#(.*)\\]$" "\\1" file "${tag}")
    list(APPEND files "${file}")
    # Only alternatives that select a case here: with -w NoTests one that
    # selects nothing fails the run.
    list(APPEND spec_of_${file} "${alt}${tag}")
  endforeach()
endforeach()
list(REMOVE_DUPLICATES files)
if(NOT files)
  message(FATAL_ERROR "${EXE} selects no test case with '${SPEC}'")
endif()

# Quotes one argument for the generated file (a bracket argument).
macro(quoted var value)
  set(${var} "[==[${value}]==]")
endmacro()

set(script "")
foreach(file ${files})
  string(REPLACE ";" "," file_spec "${spec_of_${file}}")
  quoted(name "${PREFIX} ${file}")
  quoted(exe "${EXE}")
  quoted(spec "${file_spec}")
  # -w NoTests: a selection that runs nothing fails instead of passing.
  string(APPEND script "add_test(${name} ${exe} ${spec} [==[-#]==] -w NoTests)\n")
  set(props "")
  string(REPLACE "|" ";" prop_list "${PROPS}")
  foreach(p ${prop_list})
    quoted(q "${p}")
    string(APPEND props " ${q}")
  endforeach()
  quoted(wd "${WORKDIR}")
  # CTest starts the costliest tests first (a fresh build has no timings):
  # the files named in COSTS.
  if("|${COSTS}|" MATCHES "\\|${file}=([0-9]+)\\|")
    string(APPEND props " COST ${CMAKE_MATCH_1}")
  endif()
  string(APPEND script "set_tests_properties(${name} PROPERTIES WORKING_DIRECTORY ${wd}${props})\n")
endforeach()
file(WRITE "${OUT}" "${script}")
