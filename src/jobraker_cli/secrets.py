"""``jobraker secrets rotate``: re-seal every stored secret under the current key.

Secrets at rest (TOTP seeds, later third-party credentials) are sealed with AES-256-GCM under
the keyring's current key (``jobraker_adapters.security.secretbox``). To rotate:

1. add a new key and make it current: ``jobraker secrets rotate --new-key`` does it for the
   keyring file of the data directory; with ``JOBRAKER_SECRET_KEYS``, add the key there and name
   it in ``JOBRAKER_SECRET_KEY_ID``, keeping the old one, and restart the API;
2. re-seal: ``jobraker secrets rotate`` (``--new-key`` runs this step too);
3. once it reports nothing left under the old key, the old key may be removed.

Values are re-sealed one by one, each only if it is still the value read, so the API can keep
running meanwhile.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from jobraker_adapters.container import Container, Settings, configure_logging

if TYPE_CHECKING:
    from collections.abc import Callable

    Builder = Callable[[Settings], Container]

__all__ = ["add_secrets_parser", "cmd_secrets"]


def add_secrets_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``secrets`` command to the ``jobraker`` parser."""
    secrets_parser = commands.add_parser("secrets", help="manage the keys of secrets at rest")
    actions = secrets_parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = actions.add_parser("rotate", help="re-seal every stored secret under the current key")
    rotate.add_argument(
        "--new-key",
        action="store_true",
        help="first add a fresh key to the keyring file and make it the current one",
    )
    rotate.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="data directory of the embedded PostgreSQL and Redis and of the keyring file "
        "(default: $JOBRAKER_DATA_DIR, else ~/.local/share/jobraker)",
    )


def cmd_secrets(args: argparse.Namespace, build: Builder) -> int:
    """``jobraker secrets rotate [--new-key]``."""
    settings = Settings.from_os(data_dir=args.data_dir)
    level = settings.log_level if settings.log_level in {"DEBUG", "WARNING", "ERROR"} else "WARNING"
    configure_logging(attrs.evolve(settings, log_level=level))
    container = build(settings)
    try:
        if args.new_key:
            key_id = container.add_secret_key()
            print(f"Added key {key_id} to the keyring; it is now the current key.", flush=True)
        container.migrate()
        report = container.rotate_secrets()()
    finally:
        container.shutdown_resources()
    print(
        f"Checked {report.checked:,} stored secrets: {report.resealed:,} re-sealed under "
        f"key {report.key_id}."
    )
    return 0
