"""Rewrites a spec to run across the namespace hosts of
tests/hosts/namespace_hosts.sh: the server in namespace A, the client in B,
joined by a veth pair and reached over ssh (experiments/hosts-veth.sh,
experiments/run-over-veth.sh).

usage: veth_spec.py SOURCE TARGET NET SSH_CONFIG [NAME_SUFFIX]
"""
import json
import sys

from plot.jsonc import load_jsonc_file


def main(argv):
    if len(argv) not in (5, 6):
        sys.exit(__doc__)
    source, target, net, ssh_config = argv[1:5]
    spec = load_jsonc_file(source)
    spec["hosts"] = {"server": "ssh://root@%s.1.2" % net, "clients": ["ssh://root@%s.2.2" % net],
                     "ssh_options": ["-F", ssh_config]}
    spec.setdefault("defaults", {}).setdefault("server", {})["address"] = "%s.3.1" % net
    if len(argv) == 6:
        spec["name"] += argv[5]
    with open(target, "w") as out:
        json.dump(spec, out, indent=2)


if __name__ == "__main__":
    main(sys.argv)
