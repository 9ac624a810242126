#include "config.h"

#include "ow-runtime-output.h"
#include "ow-runtime-protocol.h"

/* How many of a run's last stderr lines explain why it failed. */
#define STDERR_TAIL_LINES 8

struct _OwRuntimeOutput
{
  OwRotatingLog *log;
  const OwRuntimeOutputFuncs *funcs;
  gpointer user_data;
  guint open_pipes;
  gboolean listening;
  GQueue stderr_tail;
};

/* One pending read; it holds the cancellable, so that it can tell, once it returns,
 * whether the output is still there. */
typedef struct
{
  OwRuntimeOutput *output;
  GCancellable *cancellable;
  gboolean is_stderr;
} LineReader;

static void read_next_line (LineReader *reader, GDataInputStream *stream);

static void
pipe_ended (OwRuntimeOutput *output)
{
  if (output->open_pipes == 0)
    return;
  if (--output->open_pipes == 0)
    output->funcs->closed (output->user_data);
}

static void
take_line (OwRuntimeOutput *output, const char *line, gboolean is_stderr)
{
  g_autofree char *valid = g_utf8_make_valid (line, -1);
  guint port;

  ow_rotating_log_append (output->log, is_stderr ? "stderr" : "stdout", valid);
  if (is_stderr)
    {
      g_queue_push_tail (&output->stderr_tail, g_steal_pointer (&valid));
      while (g_queue_get_length (&output->stderr_tail) > STDERR_TAIL_LINES)
        g_free (g_queue_pop_head (&output->stderr_tail));
    }
  else if (!output->listening && ow_runtime_parse_listening_line (line, &port))
    {
      output->listening = TRUE;
      output->funcs->listening (port, output->user_data);
    }
}

static void
on_line_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LineReader *reader = user_data;
  OwRuntimeOutput *output = reader->output;
  g_autofree char *line = NULL;
  gboolean ended;

  /* Not the _utf8 variant: a stray invalid byte must not end the reading of a pipe. */
  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  if (line != NULL && !g_cancellable_is_cancelled (reader->cancellable))
    take_line (output, line, reader->is_stderr);
  /* A callback may have cancelled the reading; then the output may be gone. */
  if (g_cancellable_is_cancelled (reader->cancellable))
    ended = FALSE;
  else if (line != NULL)
    {
      read_next_line (reader, G_DATA_INPUT_STREAM (source));
      return;
    }
  else
    ended = TRUE; /* end of output, or unreadable output: either way this pipe is done */
  g_object_unref (reader->cancellable);
  g_free (reader);
  if (ended)
    pipe_ended (output);
}

static void
read_next_line (LineReader *reader, GDataInputStream *stream)
{
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, reader->cancellable,
                                       on_line_read, reader);
}

static void
watch (OwRuntimeOutput *output, GInputStream *pipe, GCancellable *cancellable, gboolean is_stderr)
{
  g_autoptr (GDataInputStream) stream = g_data_input_stream_new (pipe);
  LineReader *reader = g_new0 (LineReader, 1);

  reader->output = output;
  reader->cancellable = g_object_ref (cancellable);
  reader->is_stderr = is_stderr;
  g_data_input_stream_set_newline_type (stream, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  output->open_pipes++;
  read_next_line (reader, stream);
}

OwRuntimeOutput *
ow_runtime_output_new (GSubprocess *process,
                       OwRotatingLog *log,
                       GCancellable *cancellable,
                       const OwRuntimeOutputFuncs *funcs,
                       gpointer user_data)
{
  OwRuntimeOutput *output = g_new0 (OwRuntimeOutput, 1);

  output->log = g_object_ref (log);
  output->funcs = funcs;
  output->user_data = user_data;
  g_queue_init (&output->stderr_tail);
  watch (output, g_subprocess_get_stdout_pipe (process), cancellable, FALSE);
  watch (output, g_subprocess_get_stderr_pipe (process), cancellable, TRUE);
  return output;
}

void
ow_runtime_output_free (OwRuntimeOutput *output)
{
  if (output == NULL)
    return;
  g_object_unref (output->log);
  g_queue_clear_full (&output->stderr_tail, g_free);
  g_free (output);
}

gboolean
ow_runtime_output_is_closed (OwRuntimeOutput *output)
{
  return output->open_pipes == 0;
}

void
ow_runtime_output_stop_waiting (OwRuntimeOutput *output)
{
  if (output->open_pipes == 0)
    return;
  output->open_pipes = 0;
  output->funcs->closed (output->user_data);
}

void
ow_runtime_output_append_tail (OwRuntimeOutput *output, GString *text)
{
  if (g_queue_is_empty (&output->stderr_tail))
    return;
  g_string_append (text, " Its last output:");
  for (GList *l = output->stderr_tail.head; l; l = l->next)
    g_string_append_printf (text, "\n  %s", (const char *) l->data);
}
