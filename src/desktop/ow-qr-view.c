#include "config.h"

#include "ow-qr-view.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <qrencode.h>

/* The quiet zone the QR specification asks for, in modules. */
#define QUIET_ZONE 4

struct _OwQrView
{
  GtkDrawingArea parent_instance;

  QRcode *code; /* nullable */
};

G_DEFINE_FINAL_TYPE (OwQrView, ow_qr_view, GTK_TYPE_DRAWING_AREA)

static gboolean
ow_qr_view_draw (GtkWidget *widget, cairo_t *cr)
{
  OwQrView *self = OW_QR_VIEW (widget);
  int width = gtk_widget_get_allocated_width (widget);
  int height = gtk_widget_get_allocated_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  int modules, module_px, side_px;
  double x0, y0;

  if (self->code == NULL)
    return FALSE;

  /* Whole device pixels per module, so that every edge is sharp at any scale factor. */
  modules = self->code->width + 2 * QUIET_ZONE;
  module_px = MIN (width, height) * scale / modules;
  if (module_px < 1)
    return FALSE;
  side_px = module_px * modules;
  x0 = (double) ((width * scale - side_px) / 2) / scale;
  y0 = (double) ((height * scale - side_px) / 2) / scale;

  cairo_save (cr);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x0, y0, (double) side_px / scale, (double) side_px / scale);
  cairo_fill (cr);

  cairo_set_source_rgb (cr, 0, 0, 0);
  for (int y = 0; y < self->code->width; y++)
    for (int x = 0; x < self->code->width; x++)
      if (self->code->data[y * self->code->width + x] & 1)
        cairo_rectangle (cr, x0 + (double) (x + QUIET_ZONE) * module_px / scale,
                         y0 + (double) (y + QUIET_ZONE) * module_px / scale,
                         (double) module_px / scale, (double) module_px / scale);
  cairo_fill (cr);
  cairo_restore (cr);
  return FALSE;
}

static void
ow_qr_view_get_preferred_size (GtkWidget *widget, int *minimum, int *natural)
{
  OwQrView *self = OW_QR_VIEW (widget);
  int modules = (self->code ? self->code->width : 21) + 2 * QUIET_ZONE;

  /* Two pixels per module is the least a phone camera reads reliably off a screen. */
  *minimum = modules * 2;
  *natural = modules * 5;
}

static void
ow_qr_view_finalize (GObject *object)
{
  OwQrView *self = OW_QR_VIEW (object);

  g_clear_pointer (&self->code, QRcode_free);
  G_OBJECT_CLASS (ow_qr_view_parent_class)->finalize (object);
}

static void
ow_qr_view_class_init (OwQrViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ow_qr_view_finalize;
  widget_class->draw = ow_qr_view_draw;
  widget_class->get_preferred_width = ow_qr_view_get_preferred_size;
  widget_class->get_preferred_height = ow_qr_view_get_preferred_size;
  gtk_widget_class_set_accessible_role (widget_class, ATK_ROLE_IMAGE);
}

static void
ow_qr_view_init (OwQrView *self)
{
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self)),
                       _("Pairing QR code: scan it with the OpenWork app"));
}

GtkWidget *
ow_qr_view_new (void)
{
  return g_object_new (OW_TYPE_QR_VIEW, NULL);
}

void
ow_qr_view_set_text (OwQrView *self, const char *text)
{
  g_return_if_fail (OW_IS_QR_VIEW (self));

  g_clear_pointer (&self->code, QRcode_free);
  if (text != NULL)
    self->code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (text != NULL && self->code == NULL)
    g_warning ("The pairing link cannot be drawn as a QR code: %s", g_strerror (errno));
  gtk_widget_queue_resize (GTK_WIDGET (self));
}
