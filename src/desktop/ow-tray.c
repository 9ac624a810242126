#include "config.h"

#include "ow-tray.h"

#include <glib/gi18n.h>
#include <libayatana-appindicator/app-indicator.h>

/* An AppIndicator without the XEmbed fallback: where no StatusNotifier host exists, the
 * desktop face opens its window instead (see ow-desktop.c). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AppIndicator, g_object_unref)

#define OW_TYPE_INDICATOR (ow_indicator_get_type ())
G_DECLARE_FINAL_TYPE (OwIndicator, ow_indicator, OW, INDICATOR, AppIndicator)

struct _OwIndicator
{
  AppIndicator parent_instance;
};

G_DEFINE_FINAL_TYPE (OwIndicator, ow_indicator, APP_INDICATOR_TYPE)

static GtkStatusIcon *
ow_indicator_fallback (AppIndicator *indicator)
{
  return NULL;
}

static void
ow_indicator_unfallback (AppIndicator *indicator, GtkStatusIcon *status_icon)
{
}

static void
ow_indicator_class_init (OwIndicatorClass *klass)
{
  AppIndicatorClass *indicator_class = APP_INDICATOR_CLASS (klass);

  indicator_class->fallback = ow_indicator_fallback;
  indicator_class->unfallback = ow_indicator_unfallback;
}

static void
ow_indicator_init (OwIndicator *self)
{
}

struct _OwTray
{
  GObject parent_instance;

  GApplication *application;
  AppIndicator *indicator;
  GtkWidget *menu;
  GtkWidget *status_item;
  GtkWidget *pause_item;
};

G_DEFINE_FINAL_TYPE (OwTray, ow_tray, G_TYPE_OBJECT)

const char *
ow_tray_icon_name (OwTrayState state)
{
  switch (state)
    {
    case OW_TRAY_RUNNING:
      return "org.openwork.Host-running-symbolic";
    case OW_TRAY_ATTENTION:
      return "org.openwork.Host-attention-symbolic";
    case OW_TRAY_ERROR:
      return "org.openwork.Host-error-symbolic";
    case OW_TRAY_IDLE:
    default:
      return "org.openwork.Host-idle-symbolic";
    }
}

static void
on_item_activate (GtkMenuItem *item, OwTray *self)
{
  g_action_group_activate_action (G_ACTION_GROUP (self->application),
                                  g_object_get_data (G_OBJECT (item), "ow-action"), NULL);
}

static GtkWidget *
add_item (OwTray *self, const char *label, const char *action)
{
  GtkWidget *item = gtk_menu_item_new_with_mnemonic (label);

  if (action)
    {
      g_object_set_data (G_OBJECT (item), "ow-action", (gpointer) action);
      g_signal_connect (item, "activate", G_CALLBACK (on_item_activate), self);
    }
  gtk_menu_shell_append (GTK_MENU_SHELL (self->menu), item);
  return item;
}

static void
add_separator (OwTray *self)
{
  gtk_menu_shell_append (GTK_MENU_SHELL (self->menu), gtk_separator_menu_item_new ());
}

void
ow_tray_set_state (OwTray *self, OwTrayState state, const char *status_line)
{
  g_return_if_fail (OW_IS_TRAY (self));

  gtk_menu_item_set_label (GTK_MENU_ITEM (self->status_item), status_line);
  app_indicator_set_title (self->indicator, status_line);
  if (state == OW_TRAY_ATTENTION)
    {
      app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_ATTENTION);
    }
  else
    {
      app_indicator_set_icon_full (self->indicator, ow_tray_icon_name (state), status_line);
      app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_ACTIVE);
    }
}

void
ow_tray_set_paused (OwTray *self, gboolean paused)
{
  g_return_if_fail (OW_IS_TRAY (self));
  gtk_menu_item_set_label (GTK_MENU_ITEM (self->pause_item),
                           paused ? _("_Resume Hosting") : _("P_ause Hosting"));
}

static void
ow_tray_dispose (GObject *object)
{
  OwTray *self = OW_TRAY (object);

  g_clear_object (&self->indicator);
  g_clear_object (&self->application);
  G_OBJECT_CLASS (ow_tray_parent_class)->dispose (object);
}

static void
ow_tray_class_init (OwTrayClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ow_tray_dispose;
}

static void
ow_tray_init (OwTray *self)
{
}

OwTray *
ow_tray_new (GApplication *application, const char *icon_theme_path)
{
  OwTray *self = g_object_new (OW_TYPE_TRAY, NULL);

  self->application = g_object_ref (application);
  self->indicator = g_object_new (
    OW_TYPE_INDICATOR, "id", "org.openwork.Host", "category", "ApplicationStatus", "icon-name",
    ow_tray_icon_name (OW_TRAY_IDLE), "attention-icon-name", ow_tray_icon_name (OW_TRAY_ATTENTION),
    "icon-theme-path", icon_theme_path, "title", _("OpenWork Host"), NULL);
  app_indicator_set_attention_icon_full (self->indicator, ow_tray_icon_name (OW_TRAY_ATTENTION),
                                         _("Waiting for you"));

  self->menu = gtk_menu_new ();
  self->status_item = add_item (self, _("Starting…"), NULL);
  gtk_widget_set_sensitive (self->status_item, FALSE);
  add_separator (self);
  add_item (self, _("_Pair a Device…"), "pair");
  add_item (self, _("_Devices…"), "devices");
  add_item (self, _("_Health…"), "health");
  add_separator (self);
  self->pause_item = add_item (self, _("P_ause Hosting"), "pause");
  add_item (self, _("Open _Logs Folder"), "open-logs");
  add_separator (self);
  add_item (self, _("_Quit"), "quit");
  gtk_widget_show_all (self->menu);
  app_indicator_set_menu (self->indicator, GTK_MENU (self->menu));
  app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_ACTIVE);
  return self;
}
