#ifndef CATALOG_CHIREDIS_SHIM_H
#define CATALOG_CHIREDIS_SHIM_H
/* Only the reply reader and the command formatter are used: NIO owns the socket. */
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
