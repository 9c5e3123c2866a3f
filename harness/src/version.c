/* version.c — the library's version string, from the generated tornpage/version.h. */
#include "tornpage/version.h"

const char *tornpage_version(void)
{
	return TORNPAGE_VERSION;
}
