#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define OW_TYPE_QR_VIEW (ow_qr_view_get_type ())
G_DECLARE_FINAL_TYPE (OwQrView, ow_qr_view, OW, QR_VIEW, GtkDrawingArea)

/* A QR code drawn as whole device pixels at any size: dark modules on a white card with a
 * quiet zone of four modules, also in dark themes, because scanners expect that. */
GtkWidget *ow_qr_view_new (void);

/* Encodes @text (nullable: nothing to show) with error correction level M. */
void ow_qr_view_set_text (OwQrView *self, const char *text);

G_END_DECLS
