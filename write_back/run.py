"""One write-back run of a shop source: plan, then for each push intent, call, result.

The run holds the source's `push` run lock, so a scheduled run and a manual one never push the
same shipment side by side. Per push: a row left `pending` by a crash (or `failed`, whose
attempt may have landed before the refusal) is first looked for on the shop, then the intent is
recorded, the call made, and the result recorded with its audit entry. The shop refusing one push (a 4xx it states)
fails that push at once and the run goes on; refused credentials fail it and stop the run;
a platform still failing after the connector's retries stops it too, leaving the push `pending`
so the next run asks the shop first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from connectors.config import ConfigError, SourceConfig
from connectors.errors import AuthError, PlatformError
from connectors.http import RetryPolicy
from connectors.shopify_fulfillment import ShopifyFulfilments
from connectors.woocommerce_orders import WooCommerceOrders
from trace_store.store import Store
from write_back.ledger import record_intent, record_result
from write_back.plan import Push, plan
from write_back.shopify import PushRefused, ShopifyDestination
from write_back.woocommerce import WooCommerceDestination

LOCK_ENTITY = "push"
DESTINATION_KINDS = ("shopify", "woocommerce")


class Destination(Protocol):
    def landed(self, push: Push) -> str | None: ...

    def push(self, push: Push) -> str: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one push; `outcome` is pushed, recovered, failed, or in a dry run would create/update."""

    push: Push
    outcome: str
    remote_id: str | None = None
    error: str | None = None


def destination_for(
    config: SourceConfig, *, notify_customer: bool | None = None, policy: RetryPolicy | None = None
) -> Destination:
    """The write-back side of a shop source; ConfigError for a kind that takes none.

    `notify_customer` None follows the source's own `notify_customer` setting."""
    if config.kind not in DESTINATION_KINDS:
        raise ConfigError(
            f"source {config.name!r} is a {config.kind} source; write-back goes to shops: "
            f"{', '.join(DESTINATION_KINDS)}"
        )
    if config.kind == "woocommerce":
        return WooCommerceDestination(WooCommerceOrders(config, policy=policy))
    notify = config.notify_customer if notify_customer is None else notify_customer
    return ShopifyDestination(ShopifyFulfilments(config, policy=policy), notify)


def pending(store: Store, destination: str) -> list[Push]:
    """What a run would push now (the dry run shows this and changes nothing)."""
    with store.connect() as conn:
        return list(plan(conn, destination))


def push_source(
    store: Store,
    config: SourceConfig,
    *,
    dry_run: bool = False,
    destination: Destination | None = None,
    actor: str = "write-back",
    wait_seconds: float = 0,
) -> list[Outcome]:
    """Push what `config`'s shop has not been told; the outcome of each push, in order."""
    if dry_run:
        return [Outcome(p, _would(p)) for p in pending(store, config.name)]
    target = destination if destination is not None else destination_for(config)
    with store.run_lock(config.name, LOCK_ENTITY, wait_seconds):
        return [_push_one(store, target, p, actor) for p in pending(store, config.name)]


def _would(push: Push) -> str:
    """What a run would do with `push`: a crashed one is first looked for on the shop."""
    action = "update" if push.replaces else "create"
    return f"would look on the shop, else {action}" if push.state != "new" else f"would {action}"


def _push_one(store: Store, target: Destination, push: Push, actor: str) -> Outcome:
    if push.state != "new":  # tried before: the shop may hold it although the ledger could not say so
        try:
            found = target.landed(push)
        except PlatformError as exc:  # the row keeps its state: the shop is asked again next run
            return Outcome(push, "failed", error=" ".join(str(exc).split()))
        if found is not None:
            record_result(store, push, actor, remote_id=found, error=None, recovered=True)
            return Outcome(push, "recovered", found)
    record_intent(store, push)
    try:
        remote_id = target.push(push)
    except (PlatformError, PushRefused, AuthError) as exc:
        error = " ".join(str(exc).split())
        record_result(store, push, actor, remote_id=push.replaces[0] if push.replaces else None, error=error)
        if isinstance(exc, AuthError):
            raise
        return Outcome(push, "failed", error=error)
    record_result(store, push, actor, remote_id=remote_id, error=None)
    return Outcome(push, "pushed", remote_id)
