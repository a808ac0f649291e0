"""EventBridge event patterns, from the documentation's own examples, then the key-loss alarms' patterns.

Sources (each block names its page):
- https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html (eb-event-patterns.md)
- https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
- https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
- https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
- https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
- https://github.com/aws/event-ruler README (array consistency, $or, wildcard escapes)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.event_patterns import UnsupportedPatternError, compile_pattern, loads, matches
from access.key_protection import ALARM_KINDS, key_alarm_events, key_alarm_patterns

# -- eb-create-pattern / eb-event-patterns ----------------------------------------------------------
EC2_EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
TERMINATED = {
    "source": ["aws.ec2"],
    "detail-type": ["EC2 Instance State-change Notification"],
    "detail": {"state": ["terminated"]},
}
MACIE_EVENT = {
    "detail-type": "Macie Alert",
    "source": "aws.macie",
    "detail": {"risk-score": 80, "trigger": {"alert-type": "basic", "risk": 8}, "tags": ["Custom_Alert", "Insider"]},
}
MACIE_PATTERN = {
    "source": ["aws.macie"],
    "detail-type": ["Macie Alert"],
    "detail": {"risk-score": [80], "trigger": {"risk": [8]}},
}
AUTOSCALING_EVENT = {
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}
CONTENT_EVENT: dict[str, Any] = {
    "time": "2017-10-02T18:43:48Z",
    "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33", "state": "running"},
}


def _with(detail: dict[str, Any]) -> dict[str, Any]:
    return {**CONTENT_EVENT, "detail": {**CONTENT_EVENT["detail"], **detail}}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # eb-create-pattern: the EC2 termination example; fields AND, values OR, other fields ignored.
    ("terminated", TERMINATED, EC2_EVENT, True),
    ("another state", TERMINATED, {**EC2_EVENT, "detail": {"state": "running"}}, False),
    ("values are OR", {"source": ["aws.ec2", "aws.fargate"]}, EC2_EVENT, True),
    ("a field the event lacks", {**TERMINATED, "detail": {"state": ["terminated"], "zone": ["a"]}}, EC2_EVENT, False),
    ("same nesting", {"state": ["terminated"]}, EC2_EVENT, False),
    # "exact character-by-character matching without case-folding"
    ("case matters", {"source": ["AWS.EC2"]}, EC2_EVENT, False),
    # Value matching: the Macie example (numbers, nested objects).
    ("macie", MACIE_PATTERN, MACIE_EVENT, True),
    (
        "macie risk differs",
        {**MACIE_PATTERN, "detail": {"risk-score": [80], "trigger": {"risk": [9]}}},
        MACIE_EVENT,
        False,
    ),
    # "For numbers, EventBridge uses string representation. ... 300, 300.0, and 3.0e2 are not considered equal."
    ("80 is not 80.0", {"detail": {"risk-score": [80.0]}}, MACIE_EVENT, False),
    # eb-event-patterns-null-values: empty string and null, not interchangeable.
    ("empty string", {"detail": {"eventVersion": [""]}}, AUTOSCALING_EVENT, True),
    ("null", {"detail": {"responseElements": [None]}}, AUTOSCALING_EVENT, True),
    ("null is not empty", {"detail": {"responseElements": [""]}}, AUTOSCALING_EVENT, False),
    ("empty is not null", {"detail": {"eventVersion": [None]}}, AUTOSCALING_EVENT, False),
    ("null is not absent", {"detail": {"missing": [None]}}, AUTOSCALING_EVENT, False),
    # eb-event-patterns-arrays: a non-empty intersection.
    (
        "arrays intersect",
        {
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
            ]
        },
        {
            "resources": [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:"
                "autoScalingGroupName/ASGTerminate",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ]
        },
        True,
    ),
    ("arrays disjoint", {"resources": ["arn:aws:ec2:us-east-1:1:instance/x"]}, EC2_EVENT, False),
    ("no value in an empty array", {"resources": [""]}, AUTOSCALING_EVENT, False),
    ("tags", {"detail": {"tags": ["Insider"]}}, MACIE_EVENT, True),
    # Content filtering: prefix (the "time" example), suffix, equals-ignore-case, and with case ignored.
    ("prefix", {"time": [{"prefix": "2017-10-02"}]}, CONTENT_EVENT, True),
    ("prefix differs", {"time": [{"prefix": "2017-10-03"}]}, CONTENT_EVENT, False),
    ("prefix on a number", {"detail": {"c-count": [{"prefix": "5"}]}}, CONTENT_EVENT, False),
    ("suffix", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    ("suffix differs", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    ("suffix ignoring case", {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"FileName": "a.PNG"}, True),
    (
        "prefix ignoring case",
        {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]},
        {"service": "EventBridge"},
        True,
    ),
    ("equals-ignore-case", {"name": [{"equals-ignore-case": "alice"}]}, {"name": "ALICE"}, True),
    ("equals-ignore-case differs", {"name": [{"equals-ignore-case": "alice"}]}, {"name": "alicia"}, False),
    # Wildcard: the operators page's "dir/*.png", and event-ruler's escapes.
    ("wildcard", {"FilePath": [{"wildcard": "dir/*.png"}]}, {"FilePath": "dir/sub/a.png"}, True),
    ("wildcard differs", {"FilePath": [{"wildcard": "dir/*.png"}]}, {"FilePath": "other/a.png"}, False),
    ("wildcard is whole", {"FilePath": [{"wildcard": "dir/*.png"}]}, {"FilePath": "dir/a.png.txt"}, False),
    ("escaped star", {"v": [{"wildcard": "a\\*b"}]}, {"v": "a*b"}, True),
    ("escaped star is literal", {"v": [{"wildcard": "a\\*b"}]}, {"v": "axxb"}, False),
    ("escaped backslash", {"v": [{"wildcard": "a\\\\*"}]}, {"v": "a\\zz"}, True),
    # Anything-but: a string, a number, lists, prefix, suffix, ignoring case, wildcard.
    ("anything-but", {"detail": {"state": [{"anything-but": "initializing"}]}}, CONTENT_EVENT, True),
    ("anything-but the value", {"detail": {"state": [{"anything-but": "running"}]}}, CONTENT_EVENT, False),
    ("anything-but a number", {"detail": {"x-limit": [{"anything-but": 123}]}}, CONTENT_EVENT, True),
    ("anything-but strings", {"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}, CONTENT_EVENT, False),
    ("anything-but numbers", {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, CONTENT_EVENT, True),
    ("anything-but prefix", {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, CONTENT_EVENT, True),
    ("anything-but prefix hit", {"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, CONTENT_EVENT, False),
    ("anything-but suffix", {"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.png"}, False),
    (
        "anything-but ignoring case",
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "INITIALIZING"},
        False,
    ),
    (
        "anything-but ignoring case, a list",
        {"state": [{"anything-but": {"equals-ignore-case": ["stopped", "initializing"]}}]},
        {"state": "Running"},
        True,
    ),
    (
        "anything-but wildcard",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "a/lib/b"},
        False,
    ),
    (
        "anything-but wildcard miss",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "a/b"},
        True,
    ),
    ("anything-but needs a value", {"detail": {"missing": [{"anything-but": "x"}]}}, CONTENT_EVENT, False),
    # anything-but on an array: any element that differs.
    ("anything-but an array", {"tags": [{"anything-but": "banned"}]}, {"tags": ["banned", "ok"]}, True),
    ("anything-but all excluded", {"tags": [{"anything-but": "banned"}]}, {"tags": ["banned"]}, False),
    # Numeric: the c-count / d-count / x-limit example, each alone too.
    (
        "numeric",
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        CONTENT_EVENT,
        True,
    ),
    ("numeric upper bound", {"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}, CONTENT_EVENT, False),
    ("numeric on a string", {"v": [{"numeric": [">", 0]}]}, {"v": "5"}, False),
    ("numeric on a boolean", {"v": [{"numeric": [">", 0]}]}, {"v": True}, False),
    ("numeric in an array", {"vals": [{"numeric": [">", 0, "<", 10]}]}, {"vals": [100, 5, 200]}, True),
    # IP address matching: IPv4 and IPv6.
    ("cidr", {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, CONTENT_EVENT, True),
    ("cidr outside", {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, CONTENT_EVENT, False),
    ("cidr v6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"}, True),
    ("cidr not an address", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "ten"}, False),
    # Exists: only leaves; a field holding an object is not there as a leaf (the page's two events).
    ("exists false, absent", {"detail": {"c-count": [{"exists": False}]}}, {"detail": {"state": "x"}}, True),
    ("exists false, object", {"detail": {"c-count": [{"exists": False}]}}, {"detail": {"c-count": {"c1": 100}}}, True),
    ("exists false, present", {"detail": {"c-count": [{"exists": False}]}}, CONTENT_EVENT, False),
    ("exists true", {"detail": {"c-count": [{"exists": True}]}}, CONTENT_EVENT, True),
    ("exists true, absent", {"detail": {"missing": [{"exists": True}]}}, CONTENT_EVENT, False),
    ("exists true, object", {"detail": {"c-count": [{"exists": True}]}}, {"detail": {"c-count": {"c1": 1}}}, False),
    ("exists true, null", {"detail": {"responseElements": [{"exists": True}]}}, AUTOSCALING_EVENT, True),
    ("exists true, empty array", {"resources": [{"exists": True}]}, AUTOSCALING_EVENT, False),
    ("exists false under an absent object", {"nothing": {"here": [{"exists": False}]}}, CONTENT_EVENT, True),
    # The page's complex example.
    (
        "complex",
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
            },
        },
        CONTENT_EVENT,
        True,
    ),
    (
        "complex, one field off",
        {"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "running"}]}},
        CONTENT_EVENT,
        False,
    ),
]

# event-ruler README, "JSON Array Matching": objects in an array are matched whole.
EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}
NESTED_EMPLOYEES = {
    "employees": [
        [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
        [{"firstName": "Peter", "lastName": "Jones"}],
    ]
}
CASES += [
    ("an array of objects", {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    ("arrays of arrays", {"employees": {"firstName": ["Peter"]}}, NESTED_EMPLOYEES, True),
    ("one element", {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, EMPLOYEES, True),
    ("never across elements", {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, EMPLOYEES, False),
    (
        "never across nested elements",
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        NESTED_EMPLOYEES,
        False,
    ),
]

# $or (the operators page's "Location is New York, or Day is Monday"; event-ruler's nested examples).
CASES += [
    (
        "$or first",
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "New York", "Day": "x"},
        True,
    ),
    (
        "$or second",
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Paris", "Day": "Monday"},
        True,
    ),
    (
        "$or neither",
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Paris", "Day": "x"},
        False,
    ),
    (
        "$or with an and inside",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"]},
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/ES"},
        True,
    ),
    (
        "$or with an and inside, half",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"]},
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/S3"},
        False,
    ),
    (
        "$or nested in detail",
        {"detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}},
        {"detail": {"detail-type": "CloudWatch Alarm State Change"}},
        True,
    ),
    # With one object, "$or" is a plain field name (event-ruler's backward compatibility).
    ("$or as a field", {"$or": {"metricType": ["MetricType"]}}, {"$or": {"metricType": "MetricType"}}, True),
    ("$or as a field, not or", {"$or": {"metricType": ["MetricType"]}}, {"metricType": "MetricType"}, False),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_documentations_examples(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, event) is expected
    # The same pattern and event as JSON text, as DescribeRule returns a rule's pattern.
    assert matches(json.dumps(pattern), json.dumps(event)) is expected


def test_numbers_compare_by_their_text_when_read_from_json() -> None:
    """'300, 300.0, and 3.0e2 are not considered equal' in exact matching; numeric compares values."""
    assert matches('{"v": [300]}', '{"v": 300}')
    assert not matches('{"v": [300]}', '{"v": 300.0}')
    assert not matches('{"v": [300.0]}', '{"v": 3.0e2}')
    assert matches('{"v": [{"numeric": ["=", 300]}]}', '{"v": 3.0e2}')
    assert loads("3.0e2").text == "3.0e2"


def test_booleans_are_not_numbers() -> None:
    assert not matches({"v": [1]}, {"v": True})
    assert matches({"v": [True]}, {"v": True})
    assert not matches({"v": [True]}, {"v": "true"})


UNSUPPORTED: list[tuple[str, Any]] = [
    ("an unknown operator", {"type": [{"contains": "Normal"}]}),
    ("an unknown anything-but", {"v": [{"anything-but": {"numeric": [">", 1]}}]}),
    ("two operators in one object", {"v": [{"prefix": "a", "suffix": "b"}]}),
    ("a scalar where values go", {"source": "aws.kms"}),
    ("an empty value list", {"source": []}),
    ("an empty pattern", {}),
    ("not an object", ["aws.kms"]),
    ("exists not a boolean", {"v": [{"exists": "yes"}]}),
    ("numeric with an unknown comparison", {"v": [{"numeric": ["!=", 1]}]}),
    ("numeric with a string bound", {"v": [{"numeric": [">", "1"]}]}),
    ("consecutive wildcards", {"v": [{"wildcard": "a**b"}]}),
    ("a backslash escaping a letter", {"v": [{"wildcard": "a\\b"}]}),
    ("a cidr that is not one", {"v": [{"cidr": "not-an-ip"}]}),
    ("anything-but mixing strings and numbers", {"v": [{"anything-but": ["a", 1]}]}),
    ("an unknown operator in a branch no event reaches", {"$or": [{"a": ["x"]}, {"b": [{"regex": ".*"}]}]}),
    # One object is no $or: "$or" is then a field whose values are read as operators ("a" is none).
    ("$or with one object", {"$or": [{"a": ["x"]}]}),
]


@pytest.mark.parametrize("pattern", [u[1] for u in UNSUPPORTED], ids=[u[0] for u in UNSUPPORTED])
def test_what_is_not_understood_is_refused_before_any_event(pattern: Any) -> None:
    with pytest.raises(UnsupportedPatternError):
        compile_pattern(pattern)


def test_the_error_names_where_and_what() -> None:
    with pytest.raises(UnsupportedPatternError, match=r"detail\.type: operator 'contains'"):
        compile_pattern({"detail": {"type": [{"contains": "x"}]}})


def test_a_compiled_pattern_is_reused() -> None:
    compiled = compile_pattern(TERMINATED)
    assert compiled.matches(EC2_EVENT)
    assert not compiled.matches({**EC2_EVENT, "source": "aws.s3"})
    assert not compiled.matches("[1]"), "an event is a JSON object"


# -- the key-loss alarms ----------------------------------------------------------------------------
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321"


@pytest.mark.parametrize("kind", ALARM_KINDS)
def test_each_alarm_pattern_matches_its_events_for_its_key_only(kind: str) -> None:
    pattern = key_alarm_patterns(KEY)[kind]
    events = key_alarm_events(kind, KEY)
    assert events
    assert all(matches(pattern, event) for event in events)
    assert not any(matches(pattern, event) for event in key_alarm_events(kind, OTHER_KEY))
    # Read back as text, the way the verifier reads a live rule.
    assert all(matches(json.dumps(pattern), event) for event in events)


def test_an_alarm_pattern_missing_an_event_name_misses_that_event() -> None:
    pattern = key_alarm_patterns(KEY)["key-changes"]
    narrowed = {**pattern, "detail": {**pattern["detail"], "eventName": ["PutKeyPolicy"]}}
    missed = [e["detail"]["eventName"] for e in key_alarm_events("key-changes", KEY) if not matches(narrowed, e)]
    assert "ScheduleKeyDeletion" in missed
    assert "DisableKey" in missed
