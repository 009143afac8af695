"""The old home of :class:`~ecerp.api.settings.SettingsAPI`.

Kept so that ``from ecerp.settings_api import SettingsAPI`` goes on working;
import it from :mod:`ecerp.api` instead.
"""

from ecerp.api.settings import SettingsAPI as SettingsAPI
from ecerp.domain.settings import Settings as Settings
from ecerp.domain.settings import SettingsVersion as SettingsVersion

__all__ = ["Settings", "SettingsAPI", "SettingsVersion"]
