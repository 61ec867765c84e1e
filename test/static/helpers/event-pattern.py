"""Matches EventBridge events against event patterns with moto's implementation of EventBridge's
pattern rules (prefix, numeric, exists, anything-but, nested detail...), so a pattern is not
judged by a matcher written for this project.

stdin: [{"pattern": {...}, "event": {...}}, ...]  ->  stdout: [true|false, ...]
"""
import json
import sys

from moto.events.models import EventPattern


def main() -> None:
    cases = json.load(sys.stdin)
    print(json.dumps([EventPattern.load(json.dumps(c["pattern"])).matches_event(c["event"]) for c in cases]))


if __name__ == "__main__":
    main()
