#pragma once

#include <glib-object.h>

#include "ow-token-store.h"

G_BEGIN_DECLS

/* A paired device, as the host owner sees it. */
typedef struct
{
  char *id;       /* "dev_…" */
  char *name;     /* what the device calls itself, e.g. "Ana's phone" */
  char *platform; /* e.g. "android", "ios", "linux" */
  char *method;   /* how it paired: "code", "secret" (QR) or "grant" */
  OwScope scope;
  GStrv workspaces;    /* (nullable): the workspace ids it may use; %NULL is all */
  char *token_id;      /* its token in the #OwTokenStore */
  gint64 paired_ms;    /* Unix time */
  gint64 last_seen_ms; /* Unix time of its last request; 0 for never */
} OwDeviceInfo;

void ow_device_info_free (OwDeviceInfo *info);
OwDeviceInfo *ow_device_info_copy (const OwDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwDeviceInfo, ow_device_info_free)

#define OW_DEVICE_REGISTRY_ERROR (ow_device_registry_error_quark ())

typedef enum
{
  OW_DEVICE_REGISTRY_ERROR_DATABASE,
  OW_DEVICE_REGISTRY_ERROR_NOT_FOUND,
} OwDeviceRegistryError;

GQuark ow_device_registry_error_quark (void);

#define OW_TYPE_DEVICE_REGISTRY (ow_device_registry_get_type ())
G_DECLARE_FINAL_TYPE (OwDeviceRegistry, ow_device_registry, OW, DEVICE_REGISTRY, GObject)

/**
 * ow_device_registry_open:
 * @path: the SQLite database (created, mode 0600)
 * @tokens: where the devices' tokens live
 *
 * Returns: (transfer full): the registry, or %NULL with @error set
 */
OwDeviceRegistry *ow_device_registry_open (const char *path, OwTokenStore *tokens, GError **error);

/**
 * ow_device_registry_add:
 * @token: (nullable): the value the device's token must have (a grant it already holds);
 *   %NULL makes a new one
 * @info: (out) (optional) (transfer full): what was stored
 *
 * Issues the device's token, limited to @scope and @workspaces, and records the device.
 * Emits #OwDeviceRegistry::changed.
 *
 * Returns: (transfer full): the token, to be handed to the device once, or %NULL with
 *   @error set
 */
char *ow_device_registry_add (OwDeviceRegistry *self,
                              const char *name,
                              const char *platform,
                              const char *method,
                              OwScope scope,
                              const char *const *workspaces,
                              const char *token,
                              OwDeviceInfo **info,
                              GError **error);

/* Returns: (transfer full) (element-type OwDeviceInfo): the devices not revoked, oldest
 * first */
GPtrArray *ow_device_registry_list (OwDeviceRegistry *self, GError **error);

/**
 * ow_device_registry_revoke:
 *
 * Revokes the device and its token at once; the token's open streams close (see
 * #OwTokenStore::token-revoked). Unknown or revoked ids are
 * %OW_DEVICE_REGISTRY_ERROR_NOT_FOUND.
 */
gboolean ow_device_registry_revoke (OwDeviceRegistry *self, const char *id, GError **error);

/**
 * ow_device_registry_seen:
 * @token_id: the token a request was authorised with
 *
 * Notes that the device holding @token_id is active. Writes at most once a minute per
 * device, so it can be called on every request.
 */
void ow_device_registry_seen (OwDeviceRegistry *self, const char *token_id);

G_END_DECLS
