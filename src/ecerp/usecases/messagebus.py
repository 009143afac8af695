"""Re-exports for the facade and the test kits (the old home of these names).

The bus is :mod:`ecerp.usecases.bus`, handler maps :mod:`ecerp.usecases.registry`,
the library's merged maps :mod:`ecerp.usecases.library`.
"""

from ecerp.usecases.bus import MessageBus as MessageBus
from ecerp.usecases.bus import publisher_name as publisher_name
from ecerp.usecases.bus import quiet_gc as quiet_gc
from ecerp.usecases.library import COMMAND_HANDLERS as COMMAND_HANDLERS
from ecerp.usecases.registry import Subscription as Subscription
from ecerp.usecases.registry import handler_name as handler_name
