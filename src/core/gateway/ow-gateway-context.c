#include "config.h"

#include "ow-gateway-context.h"
#include "ow-gateway-routes.h"
#include "ow-opencode-front.h"
#include "ow-stream-registry.h"

OwGatewayContext *
ow_gateway_context_new (const OwGatewayContext *services)
{
  OwGatewayContext *context = g_new0 (OwGatewayContext, 1);

  g_return_val_if_fail (services != NULL, NULL);

  context->identity = g_object_ref (services->identity);
  context->tokens = g_object_ref (services->tokens);
  context->runtime = g_object_ref (services->runtime);
  context->hub = g_object_ref (services->hub);
  context->approvals = g_object_ref (services->approvals);
  context->pairing = g_object_ref (services->pairing);
  context->devices = g_object_ref (services->devices);
  context->tasks = g_object_ref (services->tasks);
  context->permissions = g_object_ref (services->permissions);
  context->metrics = g_object_ref (services->metrics);
  context->workspaces = g_ptr_array_ref (services->workspaces);
  return context;
}

void
ow_gateway_context_free (OwGatewayContext *context)
{
  if (context == NULL)
    return;

  /* What holds streams and polls first: closing them may still use the services. */
  if (context->streams)
    ow_stream_registry_close_all (context->streams);
  g_clear_object (&context->streams);
  g_clear_pointer (&context->pair_waiters, ow_pairing_waiters_free);
  g_clear_object (&context->opencode);
  g_clear_object (&context->identity);
  g_clear_object (&context->tokens);
  g_clear_object (&context->runtime);
  g_clear_object (&context->hub);
  g_clear_object (&context->approvals);
  g_clear_object (&context->pairing);
  g_clear_object (&context->devices);
  g_clear_object (&context->tasks);
  g_clear_object (&context->permissions);
  g_clear_object (&context->metrics);
  g_clear_pointer (&context->workspaces, g_ptr_array_unref);
  g_free (context->active_workspace);
  g_free (context->public_url);
  g_strfreev (context->cors_origins);
  g_free (context);
}
