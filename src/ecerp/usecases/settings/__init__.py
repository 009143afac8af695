"""Settings use cases: the settings source and the command that changes them.

The names below are re-exported for the facade (``ecerp.api``), which still
imports them from here; their homes are the modules of this package.
"""

from ecerp.usecases.settings.commands import KEEP as KEEP
from ecerp.usecases.settings.commands import ChangeSettings as ChangeSettings
from ecerp.usecases.settings.source import SettingsSource as SettingsSource
