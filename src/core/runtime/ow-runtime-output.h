#pragma once

#include <gio/gio.h>

#include "ow-rotating-log.h"

G_BEGIN_DECLS

/*
 * A run's stdout and stderr, read line by line until both end: every line goes to the
 * runtime log, the last lines of stderr are kept to say why a run failed, and the line
 * that says where the runtime listens is recognised.
 */
typedef struct _OwRuntimeOutput OwRuntimeOutput;

typedef struct
{
  /* The runtime printed where it listens, on 127.0.0.1: once per run. */
  void (*listening) (guint port, gpointer user_data);
  /* Both pipes ended (or ow_runtime_output_stop_waiting() was called). */
  void (*closed) (gpointer user_data);
} OwRuntimeOutputFuncs;

/**
 * ow_runtime_output_new:
 * @cancellable: ends the reading: no callback after it is cancelled
 *
 * Starts reading @process's pipes.
 */
OwRuntimeOutput *ow_runtime_output_new (GSubprocess *process,
                                        OwRotatingLog *log,
                                        GCancellable *cancellable,
                                        const OwRuntimeOutputFuncs *funcs,
                                        gpointer user_data);
/* Cancel the reading first. */
void ow_runtime_output_free (OwRuntimeOutput *output);

gboolean ow_runtime_output_is_closed (OwRuntimeOutput *output);
/* A grandchild holds a pipe open after the runtime exited: no more waiting for it. */
void ow_runtime_output_stop_waiting (OwRuntimeOutput *output);
/* Appends " Its last output:" and the last lines of stderr, if there were any. */
void ow_runtime_output_append_tail (OwRuntimeOutput *output, GString *text);

G_END_DECLS
