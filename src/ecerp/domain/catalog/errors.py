"""Errors of the catalog: unknown SKUs and cycles among aliases and bundles."""

from __future__ import annotations

from ecerp.domain.shared.errors import DomainError, NotFoundError


class UnknownSkuError(NotFoundError, DomainError):
    """A SKU, bundle or listing SKU that the catalog cannot resolve."""

    code: str
    channel: str | None
    shop: str | None

    def __init__(self, code: str, channel: str | None = None, shop: str | None = None) -> None:
        where = f" in {channel}/{shop}" if channel or shop else ""
        super().__init__(
            "sku",
            code,
            message=f"unknown SKU {code!r}{where}",
            code=code,
            channel=channel,
            shop=shop,
        )


class CycleError(DomainError):
    """Adding this mapping would make a cycle (``path`` shows it)."""

    path: tuple[str, ...]

    def __init__(self, kind: str, path: tuple[str, ...]) -> None:
        super().__init__(f"{kind} cycle: {' -> '.join(path)}", kind=kind, path=path)


class AliasCycleError(CycleError):
    def __init__(self, path: tuple[str, ...]) -> None:
        super().__init__("alias", path)


class BundleCycleError(CycleError):
    def __init__(self, path: tuple[str, ...]) -> None:
        super().__init__("bundle", path)
