# Writes OUT: the Debian changelog of a native package (Debian policy 12.7; lintian wants one),
# one entry for VERSION, dated SOURCE_DATE_EPOCH (else the commit's time, else 0) so that two
# builds of one commit write the same bytes. Compressed by the caller (gzip -9n).
# usage: cmake -DSRC=<source dir> -DVERSION=<x.y.z> -DOUT=<file> -P debian_changelog.cmake
set(epoch "$ENV{SOURCE_DATE_EPOCH}")
if(epoch STREQUAL "")
  execute_process(COMMAND git -C "${SRC}" log -1 --format=%ct OUTPUT_VARIABLE epoch
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(NOT epoch MATCHES "^[0-9]+$")
  set(epoch 0)
endif()
set(ENV{SOURCE_DATE_EPOCH} "${epoch}")  # string(TIMESTAMP) then formats that instant, in UTC
string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${OUT}" "sluice (${VERSION}) unstable; urgency=medium

  * Release ${VERSION}: see /usr/share/doc/sluice/README.md.

 -- sluice maintainers <sluice@invalid>  ${date}
")
