#!/usr/bin/python3
"""What a desktop session provides, for the ui tests: a StatusNotifierWatcher with a host
registered (the tray) and a notification server. Prints one JSON line per thing that
happens: {"event": "ready"}, {"event": "item", "service": …, "path": …} when a tray item
registers, {"event": "notify", "id": …, "summary": …, "body": …} and
{"event": "close", "id": …}. Runs until killed.

Usage: desktop_services.py [--no-tray]"""

import json
import sys

from gi.repository import Gio, GLib

WATCHER_XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""

NOTIFICATIONS_XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""

items = []
next_id = [1]


def say(**event):
    print(json.dumps(event), flush=True)


def on_watcher_call(connection, sender, path, interface, method, params, invocation):
    if method == "RegisterStatusNotifierItem":
        service = params.unpack()[0]
        # An item may give its object path (libayatana does) or its bus name.
        if service.startswith("/"):
            name, item_path = sender, service
        else:
            name, item_path = service, "/StatusNotifierItem"
        items.append("%s%s" % (name, item_path))
        say(event="item", service=name, path=item_path)
        connection.emit_signal(None, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher",
                               "StatusNotifierItemRegistered",
                               GLib.Variant("(s)", (items[-1],)))
    invocation.return_value(None)


def on_watcher_get(connection, sender, path, interface, name):
    if name == "RegisteredStatusNotifierItems":
        return GLib.Variant("as", items)
    if name == "IsStatusNotifierHostRegistered":
        return GLib.Variant("b", True)
    return GLib.Variant("i", 0)


def on_notifications_call(connection, sender, path, interface, method, params, invocation):
    if method == "Notify":
        args = params.unpack()
        number = args[1] or next_id[0]
        next_id[0] += 1
        say(event="notify", id=number, summary=args[3], body=args[4])
        invocation.return_value(GLib.Variant("(u)", (number,)))
    elif method == "CloseNotification":
        say(event="close", id=params.unpack()[0])
        invocation.return_value(None)
    elif method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["body", "actions"],)))
    else:
        invocation.return_value(GLib.Variant("(ssss)", ("test", "openwork", "1", "1.2")))


def main():
    tray = "--no-tray" not in sys.argv
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    pending = []

    def register(xml, path, name, call, get=None):
        node = Gio.DBusNodeInfo.new_for_xml(xml)
        bus.register_object(path, node.interfaces[0], call, get, None)
        pending.append(name)

        def acquired(*_):
            pending.remove(name)
            if not pending:
                say(event="ready")
        Gio.bus_own_name_on_connection(bus, name, Gio.BusNameOwnerFlags.NONE, acquired, None)

    if tray:
        register(WATCHER_XML, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher",
                 on_watcher_call, on_watcher_get)
    register(NOTIFICATIONS_XML, "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
             on_notifications_call)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
