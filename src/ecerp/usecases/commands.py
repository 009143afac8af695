"""Re-exports for the facade and the test kits (the old home of these names).

Every command now lives in its context's ``commands`` module
(``ecerp.usecases.<context>.commands``); the base class in
:mod:`ecerp.usecases.base`.
"""

from ecerp.usecases.allocation.commands import AllocateOrders as AllocateOrders
from ecerp.usecases.base import Command as Command
from ecerp.usecases.catalog.commands import AddToCatalog as AddToCatalog
from ecerp.usecases.inventory.commands import AddWarehouse as AddWarehouse
from ecerp.usecases.inventory.commands import AdjustStock as AdjustStock
from ecerp.usecases.inventory.commands import ClosePeriod as ClosePeriod
from ecerp.usecases.inventory.commands import MarkDamaged as MarkDamaged
from ecerp.usecases.inventory.commands import PostStocktake as PostStocktake
from ecerp.usecases.inventory.commands import ReceiveStock as ReceiveStock
from ecerp.usecases.inventory.commands import ReceiveTransfer as ReceiveTransfer
from ecerp.usecases.inventory.commands import RecordCount as RecordCount
from ecerp.usecases.inventory.commands import RepairDamaged as RepairDamaged
from ecerp.usecases.inventory.commands import ScrapDamaged as ScrapDamaged
from ecerp.usecases.inventory.commands import SendTransfer as SendTransfer
from ecerp.usecases.inventory.commands import StartStocktake as StartStocktake
from ecerp.usecases.orders.commands import MAX_POSITION as MAX_POSITION
from ecerp.usecases.orders.commands import AcceptOrders as AcceptOrders
from ecerp.usecases.orders.commands import CancelOrder as CancelOrder
from ecerp.usecases.orders.commands import ChangeAddress as ChangeAddress
from ecerp.usecases.orders.commands import ChangeShippingService as ChangeShippingService
from ecerp.usecases.orders.commands import EditOrderLines as EditOrderLines
from ecerp.usecases.orders.commands import HoldOrder as HoldOrder
from ecerp.usecases.orders.commands import ImportOrders as ImportOrders
from ecerp.usecases.orders.commands import MarkPaid as MarkPaid
from ecerp.usecases.orders.commands import MergeOrders as MergeOrders
from ecerp.usecases.orders.commands import ProcessOrders as ProcessOrders
from ecerp.usecases.orders.commands import ReleaseOrder as ReleaseOrder
from ecerp.usecases.orders.commands import ShipOrders as ShipOrders
from ecerp.usecases.orders.commands import SplitByAvailability as SplitByAvailability
from ecerp.usecases.orders.commands import SplitOrder as SplitOrder
from ecerp.usecases.orders.commands import StartPicking as StartPicking
from ecerp.usecases.orders.commands import UnmergeOrder as UnmergeOrder
