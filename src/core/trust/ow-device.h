#pragma once

#include <glib-object.h>

#include "ow-token-store.h"

G_BEGIN_DECLS

#define OW_TYPE_DEVICE (ow_device_get_type ())
G_DECLARE_FINAL_TYPE (OwDevice, ow_device, OW, DEVICE, GObject)

/**
 * ow_device_new:
 * @id: "dev_…"
 * @name: what the device calls itself, e.g. "Ana's phone"
 * @platform: e.g. "android", "ios", "linux"
 * @method: how it paired: "code", "secret" (QR) or "grant"
 * @workspaces: (nullable): the workspace ids it may use; %NULL is all
 * @token_id: its token in the #OwTokenStore
 * @paired_at: Unix time in ms
 * @last_seen_at: Unix time in ms of its last request; 0 for never
 *
 * A paired device, as the host owner sees it. Only #OwDevice:last-seen-at changes, as
 * the #OwDeviceRegistry notes the device's requests; it is notified.
 */
OwDevice *ow_device_new (const char *id,
                         const char *name,
                         const char *platform,
                         const char *method,
                         OwScope scope,
                         const char *const *workspaces,
                         const char *token_id,
                         gint64 paired_at,
                         gint64 last_seen_at);

const char *ow_device_get_id (OwDevice *self);
const char *ow_device_get_name (OwDevice *self);
const char *ow_device_get_platform (OwDevice *self);
const char *ow_device_get_method (OwDevice *self);
OwScope ow_device_get_scope (OwDevice *self);
/* %NULL: every workspace */
const char *const *ow_device_get_workspaces (OwDevice *self);
const char *ow_device_get_token_id (OwDevice *self);
gint64 ow_device_get_paired_at (OwDevice *self);
gint64 ow_device_get_last_seen_at (OwDevice *self);

/* For the registry: the device made a request at @last_seen_at. */
void ow_device_set_last_seen_at (OwDevice *self, gint64 last_seen_at);

G_END_DECLS
