"""Inventory: where stock is, how it moves, and what orders hold of it.

The words mean one thing each, in the domain and in every layer above it:

- **balance** (per SKU and *location*): the sum of the moves into a location
  minus those out of it (:meth:`StockLedger.balance
  <ecerp.domain.inventory.ledger.StockLedger.balance>`); virtual locations
  (``@supplier``, ``@customer``, ``@adjustment``) go negative.
- **on hand** (per SKU and *warehouse*): the sellable units physically in the
  warehouse, the balances of its stock location and bins summed
  (:meth:`~ecerp.domain.inventory.ledger.StockLedger.on_hand`,
  :attr:`StockPosition.on_hand <ecerp.domain.inventory.moves.StockPosition>`,
  ``on_hand_at``).  Damaged and in-transit units are not on hand.
- **reserved**: what orders hold in a warehouse; **available** is on hand
  minus reserved, what can still be promised.

Modules: :mod:`.locations` (locations, warehouses), :mod:`.moves` (moves and
the value types), :mod:`.ledger` (the validating overlay a unit of work
writes), :mod:`.book` (the named operations and reservations),
:mod:`.state` (committed stock), :mod:`.history` (as-of reads and period
snapshots), :mod:`.stocktakes`, :mod:`.transfers`, :mod:`.invariants`,
:mod:`.errors`, :mod:`.events`.
"""
