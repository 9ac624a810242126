#pragma once

#include <gio/gio.h>

#include "ow-device.h"
#include "ow-token-store.h"

G_BEGIN_DECLS

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
 * The paired devices not revoked: a #GListModel of #OwDevice, the oldest first, kept in
 * step with the database.
 *
 * Returns: (transfer full): the registry, or %NULL with @error set
 */
OwDeviceRegistry *ow_device_registry_open (const char *path, OwTokenStore *tokens, GError **error);

/**
 * ow_device_registry_add:
 * @token: (nullable): the value the device's token must have (a grant it already holds);
 *   %NULL makes a new one
 * @device: (out) (optional) (transfer full): the device, as the model now holds it
 *
 * Issues the device's token, limited to @scope and @workspaces, and records the device,
 * which joins the model.
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
                              OwDevice **device,
                              GError **error);

/* Returns: (transfer none) (nullable): the device @id, unless it was revoked */
OwDevice *ow_device_registry_lookup (OwDeviceRegistry *self, const char *id);

/**
 * ow_device_registry_revoke:
 *
 * Revokes the device and its token at once; the device leaves the model, and the token's
 * open streams close (see #OwTokenStore::token-revoked). Unknown or revoked ids are
 * %OW_DEVICE_REGISTRY_ERROR_NOT_FOUND.
 */
gboolean ow_device_registry_revoke (OwDeviceRegistry *self, const char *id, GError **error);

/**
 * ow_device_registry_seen:
 * @token_id: the token a request was authorised with
 *
 * Notes that the device holding @token_id is active: its #OwDevice:last-seen-at. Writes
 * (and notifies) at most once a minute per device, so it can be called on every request.
 */
void ow_device_registry_seen (OwDeviceRegistry *self, const char *token_id);

G_END_DECLS
