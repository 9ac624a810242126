#pragma once

#include <json-glib/json-glib.h>

#include "ow-client-connection.h"

G_BEGIN_DECLS

/* What the client keeps about the host it paired with, in `<data-dir>/client.json`
 * (mode 0600: it holds the token). */
typedef struct
{
  char *host_name;
  char *url;         /* "https://address:port" */
  char *fingerprint; /* pinned */
  char *token;
  JsonNode *device; /* nullable: the host's record of this device */
} OwClientStore;

void ow_client_store_free (OwClientStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwClientStore, ow_client_store_free)

/* The client's data folder: @data_dir, or `$XDG_DATA_HOME/openwork-host/client`. */
char *ow_client_store_dir (const char *data_dir);

/* Returns: (transfer full): the saved pairing, or %NULL with %OW_CLIENT_ERROR_NOT_PAIRED */
OwClientStore *ow_client_store_load (const char *dir, GError **error);

/* A connection to the host saved in @dir, pinned to its certificate and with the saved
 * token; the saved credential in @store_out (optional). %NULL with @error when there is
 * none. */
OwClientConnection *
ow_client_store_connect (const char *dir, OwClientStore **store_out, GError **error);

/* Saves atomically, so a crash leaves the old pairing or the new one. */
gboolean ow_client_store_save (const char *dir, const OwClientStore *store, GError **error);

G_END_DECLS
