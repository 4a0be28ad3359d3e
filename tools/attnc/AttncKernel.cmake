# attnc_add_kernel(<target> <source.mlir> [MCPU <cpu>] [MATTR <features>]
#                  [FLAGS <attnc flags>...])
#
# Compiles an attn-dialect MLIR file with attnc at build time (in the spirit
# of Halide's add_halide_library) and wraps the result in a STATIC library
# target <target>. Linking it gives the app the object file, the include
# directory holding <target>.h, and libattn_runtime:
#
#   attnc_add_kernel(gpt2_kernel gpt2_attention.mlir)
#   target_link_libraries(my_app PRIVATE gpt2_kernel)   # #include "gpt2_kernel.h"
#
# Uses the in-tree `attnc` target when there is one, else ATTNC_EXECUTABLE.
# The kernel is compiled for the build machine's CPU unless MCPU is given.
function(attnc_add_kernel target source)
  cmake_parse_arguments(ARG "" "MCPU;MATTR" "FLAGS" ${ARGN})
  get_filename_component(src "${source}" ABSOLUTE)
  set(outdir "${CMAKE_CURRENT_BINARY_DIR}/${target}.attnc")
  set(obj "${outdir}/${target}.o")
  set(hdr "${outdir}/${target}.h")
  set(flags)
  if(ARG_MCPU)
    list(APPEND flags "--mcpu=${ARG_MCPU}")
  endif()
  if(ARG_MATTR)
    list(APPEND flags "--mattr=${ARG_MATTR}")
  endif()
  list(APPEND flags ${ARG_FLAGS})
  if(TARGET attnc)
    set(attnc_cmd $<TARGET_FILE:attnc>)
    set(attnc_dep attnc)
  elseif(ATTNC_EXECUTABLE)
    set(attnc_cmd "${ATTNC_EXECUTABLE}")
    set(attnc_dep "${ATTNC_EXECUTABLE}")
  else()
    message(FATAL_ERROR "attnc_add_kernel: no attnc target and no ATTNC_EXECUTABLE")
  endif()
  add_custom_command(
    OUTPUT "${obj}" "${hdr}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${outdir}"
    COMMAND ${attnc_cmd} "${src}" -o "${obj}" --header "${hdr}" ${flags}
    DEPENDS ${attnc_dep} "${src}"
    COMMENT "attnc ${source} -> ${target}.o, ${target}.h"
    VERBATIM)
  set_source_files_properties("${obj}" PROPERTIES EXTERNAL_OBJECT TRUE
                                                  GENERATED TRUE)
  add_library(${target} STATIC "${obj}" "${hdr}")
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${target} INTERFACE "${outdir}")
  target_link_libraries(${target} INTERFACE attn_runtime m)
endfunction()
