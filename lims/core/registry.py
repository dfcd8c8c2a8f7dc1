"""The explicit list of what the app factory wires in, in the order of the sample's flow.

A package appears after the packages it may import (receipt → … → report → statistics).
"""

MODEL_MODULES = [
    "lims.audit.models",
    "lims.orgs.models",
    "lims.users.models",
    "lims.limits.models",
]

BLUEPRINTS = [
    ("lims.core.views", "bp"),
    ("lims.users.views", "bp"),
    ("lims.audit.views", "bp"),
    ("lims.orgs.views", "bp"),
]

CLI_COMMANDS = [
    ("lims.orgs.cli", "orgs_cli"),
    ("lims.users.cli", "users_cli"),
    ("lims.audit.cli", "audit_cli"),
    ("lims.limits.cli", "limits"),
    ("lims.instruments.cli", "instruments"),
    ("lims.instruments.cli", "agent"),
    ("lims.reports.keys_cli", "keys"),
    ("lims.core.demo", "demo_command"),
]
