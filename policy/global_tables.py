"""The pack's rule for global tables as AWS takes them (issue 20): a PROVISIONED table with replicas has its
write capacity under auto scaling.

"A global table must have throughput capacity configured one of two ways: On-demand capacity mode ...
Provisioned capacity mode with auto scaling" (https://docs.aws.amazon.com/amazondynamodb/latest/
developerguide/V2globaltables_reqs_bestpractices.html, "Requirements for Managing Capacity"); DynamoDB
refuses a replica of a PROVISIONED table whose write capacity, or a global secondary index's, is not auto
scaled (access.kms_dynamodb.GLOBAL_TABLE_WRITE_CAPACITY_ERROR, GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR).
With the provider, the refusal comes at `pulumi up`, after the table exists; this rule refuses the
program first.

`dynamodb-provisioned-global-table-auto-scaling` (mandatory, over the stack): an aws:dynamodb/table:Table
whose billingMode is PROVISIONED (the provider's default when unset: terraform-provider-aws
internal/service/dynamodb/table.go, `"billing_mode": {... Default: awstypes.BillingModeProvisioned}`), with
replicas (inline `replicas`, or an aws:dynamodb/tableReplica:TableReplica whose globalTableArn is the
table's), needs in the table's region, for its write capacity and each global secondary index's:

- an aws:appautoscaling/target:Target: serviceNamespace "dynamodb", scalableDimension
  dynamodb:table:WriteCapacityUnits (an index's: dynamodb:index:WriteCapacityUnits), resourceId
  table/<name> (table/<name>/index/<index>), as Application Auto Scaling names them
  (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html);
- an aws:appautoscaling/policy:Policy on the same capacity: a target alone scales nothing.

The replicas' regions need nothing of their own: "the write settings (minimum, maximum, and target
utilization) are replicated across Regions" (https://docs.aws.amazon.com/amazondynamodb/latest/
developerguide/bp-global-table-design.prescriptive-guidance.throughput.html).

In a preview a value not known yet is never guessed, in either direction. A Target or Policy whose
resourceId (or a table name) is not known yet may be the table's, and leaves that capacity undecided: no
violation in this preview, and the rule runs again at `pulumi up` with the real values. What it is derived
from still counts (Pulumi's property dependencies): a resourceId derived only from other tables is
theirs, and a Policy whose resourceId comes from Targets is on their capacity. A table whose billing mode
is not known yet, or with no replica known to be its, is not judged. What is provably missing is a
violation whatever else is unknown: no Target or Policy in the stack could be the table's (none at all,
or every one known to be for another namespace, dimension, table or region).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pulumi_policy import PolicyResource

from access.kms_dynamodb import (
    AUTOSCALING_NAMESPACE,
    GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR,
    GLOBAL_TABLE_WRITE_CAPACITY_ERROR,
    SCALABLE_DIMENSIONS,
    autoscaling_resource_id,
)
from access.provider_types import AUTOSCALING_POLICY, AUTOSCALING_TARGET, DYNAMODB_TABLE, DYNAMODB_TABLE_REPLICA
from policy.external_access import StackViolation
from policy.resources import derived_from, known, known_string, region_of

GLOBAL_TABLES_REQUIREMENTS = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html"
)
PROVISIONED = "PROVISIONED"
# What EncryptedTable calls its auto scaling, for the advice.
COMPONENT_INPUT = "EncryptedTable's autoscaling input (write settings)"

# A verdict that may not be known yet: True, False, or None (not known in this preview).
Verdict = bool | None


@dataclass(frozen=True)
class _Table:
    resource: PolicyResource
    arn: str | None
    name: str | None
    region: str | None


@dataclass(frozen=True)
class Capacity:
    """A write capacity that must be auto scaled: the table's (index None) or a global secondary index's."""

    index: str | None

    @property
    def dimension(self) -> str:
        return SCALABLE_DIMENSIONS[("table" if self.index is None else "index", "write")]

    def resource_id(self, table: str | None) -> str:
        return autoscaling_resource_id(table or "<name>", self.index)


def _best(verdicts: Iterable[Verdict]) -> Verdict:
    """Any True wins; else any None (may still match); else False (nothing can)."""
    found: Verdict = False
    for verdict in verdicts:
        if verdict is True:
            return True
        if verdict is None:
            found = None
    return found


def _all(verdicts: Iterable[Verdict]) -> Verdict:
    """Every part True; any False fails; else None."""
    found: Verdict = True
    for verdict in verdicts:
        if verdict is False:
            return False
        if verdict is None:
            found = None
    return found


def _field(resource: PolicyResource, name: str, wanted: str) -> Verdict:
    is_known, value = known_string(resource, name)
    return (value == wanted) if is_known else None


def _resource_id(resource: PolicyResource, table: _Table, capacity: Capacity) -> Verdict:
    """Is the resourceId this capacity's?"""
    is_known, value = known_string(resource, "resourceId")
    if is_known:
        if value is None:
            return False
        if table.name is not None:
            return value == capacity.resource_id(table.name)
        # The table's name is not known yet: any id of this kind of capacity may be it.
        index_part = value.split("/index/", 1)[1] if "/index/" in value else None
        return None if value.startswith("table/") and index_part == capacity.index else False
    # Not known yet: derived from other tables only, it is theirs; else it may be this one's.
    sources = derived_from(resource, "resourceId", (DYNAMODB_TABLE,))
    if sources and all(source.urn != table.resource.urn for source in sources):
        return False
    return None


def _matches(resource: PolicyResource, table: _Table, capacity: Capacity) -> Verdict:
    """Is this Target (or Policy) on this capacity of this table, in the table's region?"""
    region = region_of(resource)
    in_region: Verdict = None if region is None or table.region is None else region == table.region
    return _all(
        (
            _field(resource, "serviceNamespace", AUTOSCALING_NAMESPACE),
            _field(resource, "scalableDimension", capacity.dimension),
            in_region,
            _resource_id(resource, table, capacity),
        )
    )


def _policy_matches(policy: PolicyResource, table: _Table, capacity: Capacity, targets: dict[str, Verdict]) -> Verdict:
    """A Policy whose resourceId comes from Targets is on their capacity (targets: each Target's verdict for
    this capacity), unless its own known fields say otherwise."""
    sources = [s.urn for s in derived_from(policy, "resourceId", (AUTOSCALING_TARGET,)) if s.urn in targets]
    if sources:
        own = (
            _field(policy, "serviceNamespace", AUTOSCALING_NAMESPACE),
            _field(policy, "scalableDimension", capacity.dimension),
        )
        return False if False in own else _best(targets[urn] for urn in sources)
    return _matches(policy, table, capacity)


def _read_table(resource: PolicyResource) -> _Table:
    _, arn = known_string(resource, "arn")
    _, name = known_string(resource, "name")
    if name is None and arn is not None:
        name = arn.split(":table/", 1)[-1]
    region = arn.split(":")[3] if arn else region_of(resource)
    return _Table(resource, arn, name, region)


def _provisioned(resource: PolicyResource) -> Verdict:
    is_known, mode = known(lambda: resource.props.get("billingMode"))
    if not is_known:
        return None
    return mode in (None, "", PROVISIONED)


def _replica_of(replica: PolicyResource, table: _Table) -> Verdict:
    """Is this TableReplica a replica of this table?"""
    is_known, global_table = known_string(replica, "globalTableArn")
    if is_known:
        if global_table is None:
            return False
        if table.arn is not None:
            return global_table == table.arn
        if table.name is not None:
            return None if global_table.endswith(f":table/{table.name}") else False
        return None
    sources = derived_from(replica, "globalTableArn", (DYNAMODB_TABLE,))
    if sources:
        return any(source.urn == table.resource.urn for source in sources)
    return None


def _replica_regions(table: _Table, replicas: list[PolicyResource]) -> list[str]:
    """The regions of the table's replicas that are known to be its: inline, and its TableReplicas. None known
    (none at all, or not known yet) leaves the table unjudged: only a table provably global is."""
    _, inline = known(lambda: [str(r.get("regionName")) for r in table.resource.props.get("replicas") or []])
    regions = list(inline or [])
    for replica in replicas:
        if _replica_of(replica, table) is True:
            regions.append(region_of(replica) or f"the region of {replica.name}")
    return regions


def _capacities(resource: PolicyResource) -> list[Capacity]:
    """The write capacities to auto scale: the table's, and each known global secondary index's (indexes not
    known yet add nothing provable)."""
    _, names = known(lambda: [str(i.get("name")) for i in resource.props.get("globalSecondaryIndexes") or []])
    return [Capacity(None), *(Capacity(name) for name in names or [])]


def missing_auto_scaling(
    table: _Table, targets: list[PolicyResource], policies: list[PolicyResource]
) -> list[tuple[Capacity, str]]:
    """Each capacity of the table provably without a Target or a Policy, with which is missing."""
    capacities = _capacities(table.resource)
    missing: list[tuple[Capacity, str]] = []
    for capacity in capacities:
        verdicts = {t.urn: _matches(t, table, capacity) for t in targets}
        target = _best(verdicts.values())
        policy = _best(_policy_matches(p, table, capacity, verdicts) for p in policies)
        if target is False:
            missing.append((capacity, "Target"))
        if policy is False:
            missing.append((capacity, "Policy"))
    return missing


def provisioned_global_table_violations(resources: Iterable[PolicyResource]) -> list[StackViolation]:
    """Each PROVISIONED table with replicas whose write capacity (or an index's) provably has no auto scaling."""
    resources = list(resources)
    replicas = [r for r in resources if r.resource_type == DYNAMODB_TABLE_REPLICA]
    targets = [r for r in resources if r.resource_type == AUTOSCALING_TARGET]
    policies = [r for r in resources if r.resource_type == AUTOSCALING_POLICY]
    found: list[StackViolation] = []
    for resource in resources:
        if resource.resource_type != DYNAMODB_TABLE or _provisioned(resource) is not True:
            continue
        table = _read_table(resource)
        regions = _replica_regions(table, replicas)
        if not regions:
            continue
        missing = missing_auto_scaling(table, targets, policies)
        if not missing:
            continue
        name = table.name or resource.name
        where = table.region or "the table's region"
        lacks = "; ".join(
            f"no aws:appautoscaling/{kind.lower()}:{kind} for serviceNamespace {AUTOSCALING_NAMESPACE}, "
            f"scalableDimension {capacity.dimension}, resourceId {capacity.resource_id(table.name)} in {where}"
            for capacity, kind in missing
        )
        refusal = (
            GLOBAL_TABLE_WRITE_CAPACITY_ERROR
            if any(capacity.index is None for capacity, _ in missing)
            else GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR
        )
        found.append(
            StackViolation(
                f"the table {name} is PROVISIONED with replicas in {', '.join(regions)} but its write capacity is "
                f"not auto scaled: {lacks}. A global table is on-demand or provisioned with auto scaling "
                f"({GLOBAL_TABLES_REQUIREMENTS}); DynamoDB refuses the replica ({refusal!r}) after the table "
                f"exists. Set billingMode to PAY_PER_REQUEST, or auto scale its write capacity: {COMPONENT_INPUT}",
                resource.urn,
            )
        )
    return found


__all__ = ["Capacity", "missing_auto_scaling", "provisioned_global_table_violations"]
