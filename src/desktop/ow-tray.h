#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  OW_TRAY_IDLE,
  OW_TRAY_RUNNING,   /* a task runs */
  OW_TRAY_ATTENTION, /* a device or a permission request waits for the owner */
  OW_TRAY_ERROR,     /* the runtime is down */
} OwTrayState;

#define OW_TYPE_TRAY (ow_tray_get_type ())
G_DECLARE_FINAL_TYPE (OwTray, ow_tray, OW, TRAY, GObject)

/* The StatusNotifier item (libayatana-appindicator) with its menu, whose entries activate
 * @application's actions: pair, devices, health, pause, open-logs and quit. */
OwTray *ow_tray_new (GApplication *application, const char *icon_theme_path);

void ow_tray_set_state (OwTray *self, OwTrayState state, const char *status_line);

/* Follows the "paused" state of the app.pause action in the menu's wording. */
void ow_tray_set_paused (OwTray *self, gboolean paused);

/* The icon name the item shows for @state. */
const char *ow_tray_icon_name (OwTrayState state);

G_END_DECLS
