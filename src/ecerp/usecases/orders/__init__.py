"""Orders use cases: importing, processing and accepting channel orders,
their lifecycle, merging and splitting (``commands``, ``handlers``,
``consolidation``), review holds (``review``), the reservation rule
(``reservations``), orders kept unmapped (``unmapped``) and their queries."""
