"""Re-exports for the facade (the old home of these names): ecerp.usecases.queries."""

from ecerp.usecases.allocation.queries import WaitingAnswer as WaitingAnswer
from ecerp.usecases.allocation.queries import why_waiting as why_waiting
from ecerp.usecases.inventory.queries import ALL_WAREHOUSES as ALL_WAREHOUSES
from ecerp.usecases.inventory.queries import stock_position as stock_position
from ecerp.usecases.inventory.queries import stock_report as stock_report
from ecerp.usecases.orders.queries import UnmappedCode as UnmappedCode
from ecerp.usecases.orders.queries import unmapped_codes as unmapped_codes
