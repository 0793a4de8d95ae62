/* header_c11.c -- the header test of header_c89.c, compiled as C11. */
#include "header_c89.c"
