#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define OW_TYPE_PAIRING_REQUEST (ow_pairing_request_get_type ())
G_DECLARE_FINAL_TYPE (OwPairingRequest, ow_pairing_request, OW, PAIRING_REQUEST, GObject)

/**
 * ow_pairing_request_new:
 * @method: how it proved it knows the offer: "code", "secret" or "grant"
 * @requested_at: Unix time in ms
 *
 * A device that waits for the owner's approval, as the owner sees it. Nothing of it
 * changes: it is in #OwPairing's list of requests while it waits, and leaves it once
 * decided or expired.
 */
OwPairingRequest *ow_pairing_request_new (const char *id,
                                          const char *name,
                                          const char *platform,
                                          const char *method,
                                          const char *address,
                                          gint64 requested_at);

const char *ow_pairing_request_get_id (OwPairingRequest *self);
/* The name the device gave itself */
const char *ow_pairing_request_get_name (OwPairingRequest *self);
/* "android", "ios", "linux", "macos", "windows", "web" or "unknown" */
const char *ow_pairing_request_get_platform (OwPairingRequest *self);
const char *ow_pairing_request_get_method (OwPairingRequest *self);
/* The network address it asked from */
const char *ow_pairing_request_get_address (OwPairingRequest *self);
gint64 ow_pairing_request_get_requested_at (OwPairingRequest *self);

G_END_DECLS
