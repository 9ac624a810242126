#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * ow_body_guard_check_head:
 * @max_bytes: the largest body the gateway takes
 *
 * Checks a request's head as it arrives. Framing that libsoup would read otherwise than
 * the runtime behind the gateway (anything but one plain Content-Length) is refused, and
 * so is a declared length over @max_bytes, at once (a client that sent "Expect:
 * 100-continue" then sends nothing). A body of unknown length is watched as it arrives,
 * and dropped past @max_bytes. Either way no more than @max_bytes is ever held in memory.
 *
 * Returns: %FALSE after replying 400 or 413
 */
gboolean ow_body_guard_check_head (SoupServerMessage *message, gsize max_bytes);

/* Whether @message's body grew past @max_bytes as it came; then replies 413. */
gboolean ow_body_guard_reply_if_too_large (SoupServerMessage *message, gsize max_bytes);

G_END_DECLS
