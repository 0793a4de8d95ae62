/* version.c -- the library's version at run time. */
#include "core/core.h"

const char *gan_version(void)
{
    return GAN_VERSION_STRING;
}

long gan_version_number(void)
{
    return GAN_VERSION_NUMBER;
}
