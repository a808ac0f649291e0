"""Where a finding is: its region and the ARN of the resource it is about, from the check's name and the
stack's outputs. Pure. A judge that knows more sets it on the finding itself (Finding.about: an audit
finding's key or role, a probe's principal, the deciding statement); locate fills only what is empty.

- region: a replica's check is named `replica[<region>].<check>`; every other check is the primary's;
- resource: the rule's subject (verify.rules.Subject) in that region: the table (a replica's ARN in its
  region), the key of that region, the alarm rule of the kind the check names (`key_protection.alarm[<kind>]`,
  its ARN built from the rule name the outputs declare: EventBridge rule ARNs are
  arn:<partition>:events:<region>:<account>:rule/<name>, https://docs.aws.amazon.com/service-authorization/
  latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies), or the alarm
  topic of that region.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from verify.findings import Finding
from verify.inputs import StackOutputs
from verify.rules import Subject, rule_for

_REPLICA_REGION = re.compile(r"replica\[(?P<region>[^\]]*)\]\.")
_PARAMETER = re.compile(r"\[(?P<value>[^\]]*)\]")


def region_of(check: str, want: StackOutputs) -> str:
    replica = _REPLICA_REGION.match(check)
    return replica["region"] if replica else want.region


def _table(region: str, want: StackOutputs) -> str:
    if region == want.region:
        return want.table_arn
    return next((r.replica_arn for r in want.replicas if r.region == region), "")


def _key(region: str, want: StackOutputs) -> str:
    if region == want.region:
        return want.key_arn
    return next((r.key_arn for r in want.replicas if r.region == region), "")


def _alarm_rule(check: str, region: str, want: StackOutputs) -> str:
    alarms = want.key_protection.alarms_in(region) if want.key_protection else None
    kind = _PARAMETER.search(_REPLICA_REGION.sub("", check, count=1))
    name = dict(alarms.rules).get(kind["value"]) if alarms and kind else None
    if not name:
        return _key(region, want)
    partition = want.table_arn.split(":")[1]
    return f"arn:{partition}:events:{region}:{want.account_id}:rule/{name}"


def _topic(region: str, want: StackOutputs) -> str:
    alarms = want.key_protection.alarms_in(region) if want.key_protection else None
    return alarms.topic_arn if alarms else _key(region, want)


def resource_of(finding: Finding, region: str, want: StackOutputs) -> str:
    subject = rule_for(finding).subject
    if subject is Subject.KEY:
        return _key(region, want)
    if subject is Subject.ALARM_RULE:
        return _alarm_rule(finding.check, region, want)
    if subject is Subject.TOPIC:
        return _topic(region, want)
    return _table(region, want)


def locate(finding: Finding, want: StackOutputs) -> Finding:
    """The finding with its region and resource filled where its judge left them empty."""
    region = finding.region or region_of(finding.check, want)
    resource = finding.resource or resource_of(finding, region, want)
    return dataclasses.replace(finding, region=region, resource=resource)


def located(findings: Iterable[Finding], want: StackOutputs) -> list[Finding]:
    return [locate(finding, want) for finding in findings]
