# etiquette_embed_lua(<target> INCLUDE <header path> NAMESPACE <ns> FILES <.lua>...)
#
# Embeds .lua files in <target> at build time: generates <binary dir>/<header path> (.h, one
# char array per file, see embed_lua.cmake) and its .cc, adds the .cc to <target> and the
# binary dir to its include path (PUBLIC), so that sources include "<header path>". The files
# are regenerated when a .lua file changes.
function(etiquette_embed_lua target)
  cmake_parse_arguments(ARG "" "INCLUDE;NAMESPACE" "FILES" ${ARGN})
  set(script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_lua.cmake")
  set(header "${PROJECT_BINARY_DIR}/${ARG_INCLUDE}")
  string(REGEX REPLACE "\\.h$" ".cc" source "${header}")
  set(files "")
  foreach(file IN LISTS ARG_FILES)
    get_filename_component(file "${file}" ABSOLUTE)
    list(APPEND files "${file}")
  endforeach()
  string(REPLACE ";" "|" joined "${files}")
  add_custom_command(
    OUTPUT "${header}" "${source}"
    COMMAND "${CMAKE_COMMAND}" "-DHEADER=${header}" "-DSOURCE=${source}"
            "-DINCLUDE=${ARG_INCLUDE}" "-DNAMESPACE=${ARG_NAMESPACE}" "-DFILES=${joined}"
            -P "${script}"
    DEPENDS ${files} "${script}"
    COMMENT "Embedding Lua: ${ARG_INCLUDE}"
    VERBATIM)
  target_sources(${target} PRIVATE "${header}" "${source}")
  target_include_directories(${target} PUBLIC "${PROJECT_BINARY_DIR}")
endfunction()
