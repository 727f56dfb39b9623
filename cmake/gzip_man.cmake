# Compresses every IN/*.1 into OUT/*.1.gz with `gzip -9n` (no name or time stamp: reproducible),
# as Debian policy 12.3 wants installed man pages.
# usage: cmake -DIN=<dir> -DOUT=<dir> -P gzip_man.cmake
file(GLOB pages "${IN}/*.1")
file(MAKE_DIRECTORY "${OUT}")
foreach(page IN LISTS pages)
  get_filename_component(name "${page}" NAME)
  execute_process(COMMAND gzip -9nc "${page}" OUTPUT_FILE "${OUT}/${name}.gz" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${page}: ${rc}")
  endif()
endforeach()
