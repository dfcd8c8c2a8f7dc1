"""The explicit list of what the app factory wires in, in the order of the sample's flow.

A package appears after the packages it may import (receipt → … → report → statistics).
"""

MODEL_MODULES = [
    "lims.core.jobs",
    "lims.audit.models",
    "lims.orgs.models",
    "lims.users.models",
    "lims.foods.models",
    "lims.limits.models",
    "lims.capabilities.models",
    "lims.imports.models",
    "lims.instruments.models",
    "lims.samples.models",
    "lims.results.models",
    "lims.drugs.models",
    "lims.reports.models",
    "lims.stations.models",
    "lims.stats.models",
]

BLUEPRINTS = [
    ("lims.core.views", "bp"),
    ("lims.core.faults", "bp"),
    ("lims.users.views", "bp"),
    ("lims.audit.views", "bp"),
    ("lims.orgs.views", "bp"),
    ("lims.foods.views", "bp"),
    ("lims.capabilities.views", "bp"),
    ("lims.imports.views", "bp"),
    ("lims.instruments.views", "bp"),
    ("lims.samples.views", "bp"),
    ("lims.results.views", "bp"),
    ("lims.drugs.views", "bp"),
    ("lims.reports.views", "bp"),
    ("lims.reports.public", "bp"),
    ("lims.stations.views", "bp"),
    ("lims.stations.views", "public_bp"),
    ("lims.stats.views", "bp"),
]

CLI_COMMANDS = [
    ("lims.orgs.cli", "orgs_cli"),
    ("lims.users.cli", "users_cli"),
    ("lims.audit.cli", "audit_cli"),
    ("lims.foods.cli", "taxonomy_cli"),
    ("lims.limits.cli", "limits"),
    ("lims.capabilities.cli", "capabilities_cli"),
    ("lims.imports.cli", "import_command"),
    ("lims.instruments.cli", "instruments"),
    ("lims.instruments.cli", "agent"),
    ("lims.reports.keys_cli", "keys"),
    ("lims.reports.cli", "reports_cli"),
    ("lims.stations.cli", "stations_cli"),
    ("lims.drugs.cli", "drugs_cli"),
    ("lims.stats.cli", "stats_cli"),
    ("lims.core.demo", "demo_command"),
    ("lims.core.jobs", "worker_command"),
    ("lims.backup.cli", "backup_command"),
    ("lims.backup.cli", "restore_command"),
]

# Modules that add routes to the /api/v1 blueprint (imported before it is registered).
API_MODULES = [
    "lims.core.openapi",
    "lims.core.api_guards",
    "lims.instruments.api",
    "lims.samples.api",
    "lims.results.api",
    "lims.stations.api",
    "lims.stats.api",
]
