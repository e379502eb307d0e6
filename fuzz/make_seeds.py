#!/usr/bin/env python3
"""Adds fuzz seeds to the committed corpus, fuzz/corpus/<target>/, made from the conformance cases
(tests/data/conformance/*.json) and the Lambda cases (tests/data/lambda/*.json).

Events are taken byte for byte from the case files (number spellings, duplicate keys and escapes
kept), so the JSON here is read with a small parser that remembers each value's source text.

Usage: python3 fuzz/make_seeds.py   (from anywhere)

Each seed is named, as libFuzzer names its inputs, by the SHA-1 of its content, so seeds already in
the corpus are not duplicated and nothing else there is touched. Most seeds add no coverage to a
corpus that has been fuzzed: minimise the corpus afterwards (`cargo fuzz cmin`, see CONTRIBUTING.md),
which keeps only those that do.

Input formats (see fuzz/checks.rs):
  parse_pattern  the pattern text
  match_pattern  pattern \\0 event [\\0 option byte]
  match_machine  pattern \\0 pattern \\0 ... \\0 event
  read_event     the event text
  lambda         source byte (index in Source::ALL: dynamodb, kinesis, sqs, kafka, mq, raw)
                 criteria \\0 record-or-batch
"""

import glob
import hashlib
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
SOURCES = ["dynamodb", "kinesis", "sqs", "kafka", "mq", "raw"]
# Per target: at most this many seeds, each at most MAX_LEN bytes (the fuzz runs use -max_len=4096).
LIMIT = 300
MAX_LEN = 4096


class Raw:
    """A JSON value with the exact text it was parsed from."""

    def __init__(self, value, text):
        self.value = value
        self.text = text


def parse_raw(text):
    """Parses JSON text into nested dicts/lists of Raw (objects: dict of key -> Raw, last wins)."""
    pos = 0

    def ws():
        nonlocal pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1

    def value():
        nonlocal pos
        ws()
        start = pos
        c = text[pos]
        if c == "{":
            pos += 1
            members = {}
            ws()
            if text[pos] == "}":
                pos += 1
            else:
                while True:
                    ws()
                    key = value().value
                    ws()
                    pos += 1  # ':'
                    members[key] = value()
                    ws()
                    pos += 1
                    if text[pos - 1] == "}":
                        break
            return Raw(members, text[start:pos])
        if c == "[":
            pos += 1
            items = []
            ws()
            if text[pos] == "]":
                pos += 1
            else:
                while True:
                    items.append(value())
                    ws()
                    pos += 1
                    if text[pos - 1] == "]":
                        break
            return Raw(items, text[start:pos])
        decoded, end = json.JSONDecoder().raw_decode(text, pos)
        pos = end
        return Raw(decoded, text[start:end])

    return value()


def cases(pattern):
    for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
        with open(path, encoding="utf-8") as f:
            doc = parse_raw(f.read())
        for case in doc.value["cases"].value:
            yield os.path.basename(path)[:-5], case.value


def pick(seeds):
    """Deduplicated, short enough, at most LIMIT, chosen by content hash (stable across runs)."""
    unique = {s for s in seeds if len(s) <= MAX_LEN}
    return sorted(unique, key=lambda s: hashlib.sha1(s).hexdigest())[:LIMIT]


def write(target, seeds):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    chosen = pick(seeds)
    added = 0
    for s in chosen:
        path = os.path.join(folder, hashlib.sha1(s).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(s)
            added += 1
    print(f"{target}: {len(chosen)} seeds, {added} of them new to fuzz/corpus/{target}")


def main():
    patterns, pairs, events = [], [], []
    by_family = {}
    for family, case in cases("tests/data/conformance/*.json"):
        pattern = case["pattern"].value.encode()
        patterns.append(pattern)
        if "event" in case:
            event = case["event"].text.encode()
        elif "event_text" in case:
            event = case["event_text"].value.encode()
        else:
            continue
        pairs.append(pattern + b"\0" + event)
        events.append(event)
        by_family.setdefault(family, []).append((pattern, event))

    # A few seeds with the depth option byte, so the fuzzer starts with small depth limits too.
    deep = [b'{"a": {"b": ["x"]}}\0{"a": {"b": "x"}, "c": [[[1]]]}\0\x02',
            b'{"a": [{"exists": false}]}\0{"b": {"c": {"d": {}}}}\0\x03']

    machine = []
    for family, members in sorted(by_family.items()):
        for i, (pattern, event) in enumerate(members):
            others = [members[(i + k * 7) % len(members)][0] for k in range(1, 4)]
            machine.append(b"\0".join([pattern] + others + [event]))

    lambda_seeds = []
    for family, case in cases("tests/data/lambda/*.json"):
        selector = bytes([SOURCES.index(case["source"].value)])
        criteria = case["criteria"].value.encode()
        if "record" in case:
            lambda_seeds.append(selector + criteria + b"\0" + case["record"].text.encode())
            events.append(case["record"].text.encode())
        elif "batch" in case:
            lambda_seeds.append(selector + criteria + b"\0" + case["batch"].text.encode())
        else:
            lambda_seeds.append(selector + criteria)

    # Events for read_event's fixed rules (fuzz/checks.rs READ_EVENT_RULES).
    events += [
        b'{"source": "aws.ec2", "detail-type": "x"}',
        b'{"detail": {"n": 50, "m": 3.0e2, "s": "abc"}}',
        b'{"detail": {"s": "xyz"}, "a": "z", "b": "q"}',
        b'{"f": null, "w": "aXbYc", "ip": "10.1.2.3"}',
        b'{"ip": "2001:db8::1", "k": true, "a.b.c": "d"}',
        b'{"arr": [{"x": "1", "y": "2"}, {"x": "2", "y": "1"}]}',
        b'{"a": {"b": {"c": "d", "x": 1}}, "": {"": ""}, "u": "\\u00c9"}',
        b'{"n": 3, "s": "az", "detail": {"arr": [{"n": 5, "s": "NO"}, {"n": 5.0, "s": "yes"}]}}',
        b'{"x": {"y": 1}, "x.z": "a*b"}',
        b'\xef\xbb\xbf{"source": "aws.s3", "detail-type": "x"}',
        b'{"source": "aws.ec2", "detail-type": "x", "z": [[[[{"q": 1}]]]]}',
    ]

    write("parse_pattern", patterns)
    write("match_pattern", pairs + deep)
    write("match_machine", machine)
    write("read_event", events)
    write("lambda", lambda_seeds)


if __name__ == "__main__":
    main()
