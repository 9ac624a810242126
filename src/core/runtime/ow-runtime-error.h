#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OW_RUNTIME_ERROR (ow_runtime_error_quark ())

typedef enum
{
  OW_RUNTIME_ERROR_NOT_FOUND,  /* no OpenCode binary where the host looks */
  OW_RUNTIME_ERROR_BAD_OUTPUT, /* the runtime printed or answered something unexpected */
  OW_RUNTIME_ERROR_UNHEALTHY,  /* the runtime answered its health check with "not healthy" */
} OwRuntimeError;

GQuark ow_runtime_error_quark (void);

G_END_DECLS
