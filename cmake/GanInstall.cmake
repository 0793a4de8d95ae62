# GanInstall.cmake -- what `cmake --install` puts beside the library and its
# headers (issue 19: installed like a real library).  Included from the top
# CMakeLists.txt before tools/ and tests/.
#
# Install components (cmake --install BUILD --component NAME):
#   Unspecified  libgan.so*, gan.h, gan_version.h, gan.pc, the CMake package
#   data         share/libgan: the shipped classifier and reference statistics
#   tools        bin/gan, its manual pages, its bash completion
#   python       the Python package (GAN_INSTALL_PYTHON)

# The data directory of gan eval / gan train --fid-every and Python's
# libgan.metrics (docs/metrics.md).
set(GAN_INSTALL_FULL_DATA_DIR ${CMAKE_INSTALL_FULL_DATADIR}/libgan)
install(FILES models/fashion_mnist_classifier.gan models/fashion_mnist_t10k.fidstats
  DESTINATION ${CMAKE_INSTALL_DATADIR}/libgan COMPONENT data)

# An RPATH of $ORIGIN/../lib on installed programs, except when the library
# goes to a directory the dynamic loader searches anyway (/usr/lib/<triplet>,
# /usr/lib): there it is useless, and Debian policy forbids it.
list(FIND CMAKE_C_IMPLICIT_LINK_DIRECTORIES "${CMAKE_INSTALL_FULL_LIBDIR}" gan_libdir_is_system)
if(gan_libdir_is_system EQUAL -1)
  set(gan_rpath_default ON)
else()
  set(gan_rpath_default OFF)
endif()
option(GAN_INSTALL_RPATH "Installed programs find libgan through \$ORIGIN/../lib"
  ${gan_rpath_default})

# Manual pages from each command's --help (help2man, Debian's help2man).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(gan_man_default ON)
else()
  set(gan_man_default OFF)
  message(STATUS "help2man not found: no manual pages (apt-get install help2man)")
endif()
option(GAN_BUILD_MAN "Generate and install the manual pages of gan (help2man)" ${gan_man_default})
if(GAN_BUILD_MAN AND NOT HELP2MAN)
  message(FATAL_ERROR "GAN_BUILD_MAN=ON needs help2man (apt-get install help2man)")
endif()

# The Python package, pure Python: a copy of bindings/python/libgan.  The
# default directory is lib/pythonX.Y/site-packages of the prefix (put it on
# PYTHONPATH); pip (bindings/python/pyproject.toml) is the other way.
option(GAN_INSTALL_PYTHON "Install the Python package with cmake --install" ON)
if(GAN_INSTALL_PYTHON)
  set(gan_py_dir "")
  if(EXISTS /usr/bin/python3)
    execute_process(COMMAND /usr/bin/python3 -c
      "import sys; print('lib/python%d.%d/site-packages' % sys.version_info[:2])"
      OUTPUT_VARIABLE gan_py_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  if(NOT gan_py_dir)
    set(gan_py_dir lib/python3/site-packages)
  endif()
  set(GAN_PYTHON_INSTALL_DIR ${gan_py_dir} CACHE STRING
    "Where cmake --install puts the Python package (relative to the prefix)")
  install(DIRECTORY bindings/python/libgan DESTINATION ${GAN_PYTHON_INSTALL_DIR}
    COMPONENT python FILES_MATCHING PATTERN "*.py" PATTERN "*.pyi" PATTERN "py.typed"
    PATTERN "__pycache__" EXCLUDE)
endif()
