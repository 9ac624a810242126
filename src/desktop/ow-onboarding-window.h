#pragma once

#include <gtk/gtk.h>

#include "ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_ONBOARDING_WINDOW (ow_onboarding_window_get_type ())
G_DECLARE_FINAL_TYPE (OwOnboardingWindow, ow_onboarding_window, OW, ONBOARDING_WINDOW, GtkWindow)

/* Pairing a device, step by step: the runtime and the shared folders, then the QR code and
 * the 6-digit code of the host's current offer with its countdown, then the approval of
 * the device that used it, and what that device may now do. */
OwOnboardingWindow *ow_onboarding_window_new (GtkApplication *application, OwHost *host);

/* Shows the first step (@setup) or straight the code. */
void ow_onboarding_window_start (OwOnboardingWindow *self, gboolean setup);

/* Takes the pairing request @id into the window when it is waiting for a device; %FALSE
 * when the request is for the approval dialog instead. */
gboolean ow_onboarding_window_take_request (OwOnboardingWindow *self, const char *id);

G_END_DECLS
