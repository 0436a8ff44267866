"""python -m membudget COMMAND [ARGS]: runs the `membudget` command the wheel carries
(devices, snapshot, plan, kv-space, gather, --help), with its exit status."""
from __future__ import annotations

import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    from . import _abi

    args = sys.argv[1:] if argv is None else argv
    try:
        cli = _abi.cli_path()
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cli, [cli, *args])  # replaces this process: stdio, signals and status are its
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
