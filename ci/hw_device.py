#!/usr/bin/env python3
"""ci/hw_device.py DEVICES_JSON DEVICE [OPS]: the hardware jobs' check that membudget serves
their device. DEVICES_JSON is `membudget devices --json`; DEVICE a name such as cuda:0. Exits
1 with the reason unless DEVICE's backend is present, DEVICE is listed and (when OPS is given)
is served by those ops, integrated for the UMA ops; else prints one line about it and, on a
second line, its UUID (empty when it has none)."""
import json
import sys

UMA_OPS = {"cuda-uma", "hip-apu"}


def main(path, name, ops=None):
    doc = json.load(open(path))
    backend = name.split(":")[0]
    states = [b for b in doc["backends"] if b["name"] == backend]
    if not states:
        return "membudget has no %s backend" % backend
    if states[0]["state"] != "present":
        return "the %s backend is %s: %s" % (backend, states[0]["state"], states[0]["reason"])
    dev = [d for d in doc["devices"] if d["device"] == name]
    if not dev:
        return "no %s in membudget devices (it lists %s)" % (
            name, ", ".join(d["device"] for d in doc["devices"]) or "none")
    d = dev[0]
    if ops and (d["ops"] != ops or (ops in UMA_OPS and not d["integrated"])):
        return "%s (%s) is served by ops %r, integrated=%s, not by %s" % (
            name, d["model"], d["ops"], d["integrated"], ops)
    print("%s is %s (ops %s) at %s, total %d" % (name, d["model"], d["ops"],
                                                 d["pci_bus_id"] or "-", d["total_memory"]))
    print(d["uuid"])
    return None


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    err = main(*sys.argv[1:])
    if err:
        sys.exit(err)
